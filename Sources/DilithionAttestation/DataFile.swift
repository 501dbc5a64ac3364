#if canImport(Glibc)
import Glibc
#endif

/// Reads an operator-supplied data file (the ASN table, the datacenter list, the regtest seed keys)
/// whole, refusing anything larger than ``maxBytes``.
enum DataFile {
    /// iptoasn's `ip2asn-v4.tsv` is about 30 MB; 256 MiB leaves room for growth and still refuses a
    /// wrong path such as a disk image.
    static let maxBytes = 256 * 1024 * 1024

    static func read(path: String, what: String) throws(AttestationSetupError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(what: what, path: path, reason: errorText()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .cannotRead(what: what, path: path, reason: errorText()) }
        guard status.st_size <= maxBytes else {
            throw .cannotRead(what: what, path: path, reason: "\(status.st_size) bytes is more than \(maxBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }  // a file that shrank while read: take what is there
            offset += count
        }
        return Array(bytes.prefix(offset))
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
