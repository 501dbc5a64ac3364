#if canImport(Glibc)
import Glibc
#endif

/// The `key=value` configuration file (the C++ node's `dilithion.conf` syntax): one setting per
/// line, `#` starts a comment (whole line or after the value), blank lines ignored, whitespace
/// around keys and values trimmed, list options repeated once per value.
public enum ConfigFile {
    /// Largest file read (a configuration file is a few hundred bytes; this stops `--conf /dev/zero`).
    public static let maxBytes = 1 << 20

    /// Parses file contents. `path` is only used to name lines in errors.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> [OptionEntry] {
        var entries: [OptionEntry] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ConfigurationError("\(path):\(lineNumber): expected key=value, found \"\(trimmed)\"")
            }
            let key = trimmed[..<equals].trimmingWhitespace()
            let value = trimmed[trimmed.index(after: equals)...].trimmingWhitespace()
            guard !key.isEmpty else { throw ConfigurationError("\(path):\(lineNumber): missing key before '='") }
            entries.append(OptionEntry(key: String(key), value: String(value), source: .file(path: path, line: lineNumber)))
        }
        return entries
    }

    /// Reads and parses the file at `path`; a missing or unreadable file is a configuration error.
    public static func load(path: String) throws(ConfigurationError) -> [OptionEntry] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigurationError("--conf: cannot read \"\(path)\": \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigurationError("--conf: cannot read \"\(path)\": \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= maxBytes else {
                throw ConfigurationError("--conf: \"\(path)\" is larger than \(maxBytes) bytes")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError("--conf: \"\(path)\" is not UTF-8 text")
        }
        return try parse(text, path: path)
    }
}
