#if canImport(Glibc)
import Glibc
#endif

/// The process-level figures RELIABILITY.md §5 asks the stats endpoint for: resident memory, open
/// descriptors and their limit, CPU time. Read from `/proc/self` and `getrlimit`/`getrusage` when
/// `/metrics` is scraped; rendered under the conventional Prometheus `process_*` names.
public struct ProcessStatistics: Sendable, Equatable {
    /// Resident set size in bytes (`VmRSS`).
    public var residentBytes: Int
    /// Open file descriptors (entries of `/proc/self/fd`, the directory's own descriptor excluded).
    public var openDescriptors: Int
    /// The soft `RLIMIT_NOFILE`.
    public var maxDescriptors: Int
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double

    public init(residentBytes: Int, openDescriptors: Int, maxDescriptors: Int, cpuSeconds: Double) {
        self.residentBytes = residentBytes
        self.openDescriptors = openDescriptors
        self.maxDescriptors = maxDescriptors
        self.cpuSeconds = cpuSeconds
    }

    /// This process now; nil where `/proc` is not mounted.
    public static func current() -> ProcessStatistics? {
        guard let resident = residentBytesFromProc(), let open = openDescriptorCount() else { return nil }
        var limit = rlimit()
        let maxDescriptors = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : -1
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
        return ProcessStatistics(residentBytes: resident, openDescriptors: open, maxDescriptors: maxDescriptors,
                                 cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }

    /// The `process_*` families in Prometheus text.
    public var prometheusText: String {
        var out = PrometheusText()
        out.single("process_resident_memory_bytes", type: .gauge, help: "Resident memory size in bytes.",
                   value: Double(residentBytes))
        out.single("process_open_fds", type: .gauge, help: "Open file descriptors.", value: Double(openDescriptors))
        out.single("process_max_fds", type: .gauge, help: "Maximum number of open file descriptors (soft limit).",
                   value: Double(maxDescriptors))
        out.single("process_cpu_seconds_total", type: .counter, help: "User and system CPU time spent, in seconds.",
                   value: cpuSeconds)
        return out.text
    }

    /// `VmRSS` of `/proc/self/status`, in bytes.
    static func residentBytesFromProc() -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmRSS:") else { continue }
            let digits = text.dropFirst(6).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// Entries of `/proc/self/fd`, minus the descriptor used to list them.
    static func openDescriptorCount() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return count - 1
    }
}
