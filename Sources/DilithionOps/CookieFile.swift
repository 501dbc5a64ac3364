#if canImport(Glibc)
import Glibc
#endif

/// The RPC cookie, like Bitcoin Core's: `<datadir>/.cookie` holds `__cookie__:<64 hex digits>`,
/// readable by the node's user only (0600), new at every start and deleted at shutdown. Whoever can
/// read the data directory can use the RPC without a configured password.
public enum CookieFile {
    /// The user name in the cookie.
    public static let user = "__cookie__"

    /// Writes a fresh random cookie to `path` (replacing a stale one) and returns its credentials.
    public static func create(path: String) throws(CookieFileError) -> RPCCredentials {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let password = secret.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        let text = "\(user):\(password)"
        // A temporary file created 0600 with O_EXCL, then renamed: the secret is never readable by
        // others, and a reader never sees half a cookie.
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite(path: path, reason: reason)
        }
        return RPCCredentials(user: user, password: password)
    }

    /// Reads the credentials in the cookie at `path`.
    public static func read(path: String) throws(CookieFileError) -> RPCCredentials {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { throw .malformed(path: path) }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .malformed(path: path) }
        return RPCCredentials(user: String(line[..<colon]), password: String(line[line.index(after: colon)...]))
    }

    /// Deletes the cookie (at shutdown). A missing file is not an error.
    public static func remove(path: String) { unlink(path) }
}
