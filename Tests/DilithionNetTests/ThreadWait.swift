#if canImport(Glibc)
import Glibc
#endif

/// The system call a thread of this process is blocked in, read from `/proc/self/task/<tid>/syscall`
/// (Linux). It lets a test prove that an engine thread is idle *and will stay idle*: a thread asleep
/// in its event or condition wait with no timeout cannot run again until a descriptor or another
/// thread wakes it. That replaces watching a quiet period go by.
struct ThreadWait {
    /// The system call number.
    let call: Int
    /// Its six arguments.
    let arguments: [UInt64]

    #if arch(x86_64)
    private static let epollWait = 232, epollPwait = 281, epollPwait2 = 441, poll = 7, ppoll = 271, futex = 202
    #elseif arch(arm64)
    private static let epollWait = -1, epollPwait = 22, epollPwait2 = 441, poll = -1, ppoll = 73, futex = 98
    #endif

    /// The thread ids (`tid`) of this process's threads whose name is `name`.
    static func threads(named name: String) -> Set<Int> {
        guard let directory = opendir("/proc/self/task") else { return [] }
        defer { closedir(directory) }
        var found: Set<Int> = []
        while let entry = readdir(directory) {
            let entryName = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let tid = Int(entryName), read("/proc/self/task/\(tid)/comm") == name else { continue }
            found.insert(tid)
        }
        return found
    }

    /// What thread `tid` is blocked in; nil while it runs (the kernel then reports `running`) or
    /// sleeps outside a system call.
    static func current(ofThread tid: Int) -> ThreadWait? {
        guard let text = read("/proc/self/task/\(tid)/syscall") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 7, let call = Int(fields[0]), call >= 0 else { return nil }
        let arguments = fields[1...6].compactMap { UInt64($0.dropFirst(2), radix: 16) }
        guard arguments.count == 6 else { return nil }
        return ThreadWait(call: call, arguments: arguments)
    }

    /// Whether this is an event wait (`epoll_wait`, `poll` and their variants) or a futex wait
    /// (a condition variable) with no timeout.
    var waitsWithoutTimeout: Bool {
        switch call {
        case Self.epollWait, Self.epollPwait:
            return Int32(truncatingIfNeeded: arguments[3]) == -1
        case Self.poll:
            return Int32(truncatingIfNeeded: arguments[2]) == -1
        case Self.ppoll:
            return arguments[2] == 0  // NULL timespec
        case Self.epollPwait2:
            return arguments[3] == 0  // NULL timespec
        case Self.futex:
            let operation = arguments[1] & 0x7F  // without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME
            let isWait = operation == 0 || operation == 9  // FUTEX_WAIT, FUTEX_WAIT_BITSET
            return isWait && arguments[3] == 0  // NULL timeout
        default:
            return false
        }
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = fread(&bytes, 1, bytes.count, file)
        guard count > 0 else { return nil }
        return String(decoding: bytes[0..<count], as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
    }
}
