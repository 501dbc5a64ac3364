import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// Our seed attestation key file: `DSAK` ‖ version 1 ‖ seed ξ (32) ‖ SHA3-256(public key) (32), 69
/// bytes, mode 0600. The hash lets loading prove that the seed still gives the same public key (a
/// flipped bit would otherwise silently make a different key, and every attestation would fail
/// consensus).
///
/// A new file is written to a temporary name and hard-linked into place, so a crash never leaves a
/// torn key and two processes racing to create one never overwrite each other: the loser loads the
/// winner's key.
public enum SeedKeyFile {
    /// The file name in the data directory.
    public static let defaultFileName = "seed-attestation.key"
    /// The first four bytes.
    static let magic: [UInt8] = Array("DSAK".utf8)
    /// The format version.
    static let version: UInt8 = 1
    /// The whole file.
    static let fileBytes = magic.count + 1 + 64
    /// Larger files are not read (a key file of either kind is under 6 KiB).
    static let readLimit = 16 * 1024

    /// Loads the key at `path`, or generates one and writes it when there is no file.
    ///
    /// - Returns: the key, and whether it was created now.
    public static func loadOrCreate(path: String) throws(SeedKeyError) -> (key: SeedAttestationKey, created: Bool) {
        if access(path, F_OK) == 0 { return (try load(path: path), false) }
        let key = try SeedAttestationKey.generate()
        if try write(key, to: path) { return (key, true) }
        return (try load(path: path), false)  // another process created it first
    }

    /// Loads the key at `path`.
    public static func load(path: String) throws(SeedKeyError) -> SeedAttestationKey {
        let (bytes, mode) = try readPrivateFile(path: path)
        if let cpp = try? CppSeedKeyFile(bytes: bytes) {
            throw .cppKeyFile(path: path, publicKeyHex: HexCoding.encode(cpp.publicKey))
        }
        guard mode & 0o077 == 0 else { throw .unsafePermissions(path: path, mode: mode & 0o777) }
        guard bytes.count == fileBytes, Array(bytes.prefix(magic.count)) == magic else {
            throw .malformed(path: path, reason: "expected \(fileBytes) bytes starting with DSAK, found \(bytes.count) bytes")
        }
        guard bytes[magic.count] == version else {
            throw .malformed(path: path, reason: "version \(bytes[magic.count]), this node reads version \(version)")
        }
        return try SeedAttestationKey(integrityChecked: Array(bytes[(magic.count + 1)...]))
    }

    /// Writes `key` to `path` unless a file is already there. Returns false when one was.
    @discardableResult
    public static func write(_ key: SeedAttestationKey, to path: String) throws(SeedKeyError) -> Bool {
        let contents = magic + [version] + key.integrityCheckedRepresentation
        let temporary = "\(path).tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: temporary, reason: errorText()) }
        let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        defer { unlink(temporary) }
        guard written == contents.count, synced else { throw .io(path: temporary, reason: errorText()) }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw .io(path: path, reason: errorText())
        }
        syncDirectory(of: path)
        return true
    }

    /// The file's bytes (at most ``readLimit``) and its permission bits.
    static func readPrivateFile(path: String) throws(SeedKeyError) -> ([UInt8], UInt32) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: errorText()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(path: path, reason: errorText()) }
        guard status.st_size <= readLimit else {
            throw .malformed(path: path, reason: "\(status.st_size) bytes is too large for a key file")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .io(path: path, reason: count == 0 ? "file shrank while read" : errorText()) }
            offset += count
        }
        return (bytes, UInt32(status.st_mode))
    }

    /// Makes the new directory entry durable (best effort: a failure here loses nothing but the
    /// guarantee across a power cut, and the key is still in memory).
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
