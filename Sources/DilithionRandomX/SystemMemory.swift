#if canImport(Glibc)
import Glibc
#endif

/// What the kernel reports about memory (`/proc/meminfo`), for choosing the RandomX mode.
public enum SystemMemory {
    /// `MemAvailable` in bytes, or nil when it cannot be read (not Linux, no /proc).
    public static func availableBytes(meminfoPath: String = "/proc/meminfo") -> UInt64? {
        guard let file = fopen(meminfoPath, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let bytes = availableBytes(meminfoLine: text) { return bytes }
        }
        return nil
    }

    /// The bytes of a `MemAvailable:   123456 kB` line, nil for any other line.
    static func availableBytes(meminfoLine line: String) -> UInt64? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard fields.count == 3, fields[0] == "MemAvailable:", fields[2] == "kB", let kib = UInt64(fields[1]) else {
            return nil
        }
        return kib.multipliedReportingOverflow(by: 1024).overflow ? nil : kib * 1024
    }
}
