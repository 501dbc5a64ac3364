#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why `accept` could not take a waiting connection: the process or the system ran out of a
/// resource. The listener then pauses for the back-off (``ReactorConfiguration/acceptBackoffMicroseconds``)
/// and tries again; the connection waits in the kernel's backlog meanwhile. The operator needs to
/// hear about it, because every waiting peer is refused service until descriptors come back.
public enum AcceptFailure: Sendable, Hashable, CaseIterable {
    /// `EMFILE`: this process reached its `RLIMIT_NOFILE`.
    case processDescriptorLimit
    /// `ENFILE`: the system-wide file table is full.
    case systemDescriptorLimit
    /// `ENOBUFS`: no socket buffer memory.
    case noBufferSpace
    /// `ENOMEM`: no kernel memory.
    case noMemory

    /// The failure for an `accept` errno; nil for errors that are not a lack of resources.
    public init?(errno code: Int32) {
        switch code {
        case EMFILE: self = .processDescriptorLimit
        case ENFILE: self = .systemDescriptorLimit
        case ENOBUFS: self = .noBufferSpace
        case ENOMEM: self = .noMemory
        default: return nil
        }
    }

    /// Stable text for log lines and the `reason` label of `dilithion_accept_failures_total`.
    public var reasonCode: String {
        switch self {
        case .processDescriptorLimit: "process-fd-limit"
        case .systemDescriptorLimit: "system-fd-limit"
        case .noBufferSpace: "no-buffer-space"
        case .noMemory: "no-memory"
        }
    }

    /// The errno name, for the log line.
    public var errnoName: String {
        switch self {
        case .processDescriptorLimit: "EMFILE"
        case .systemDescriptorLimit: "ENFILE"
        case .noBufferSpace: "ENOBUFS"
        case .noMemory: "ENOMEM"
        }
    }
}
