/// How header hashes are computed: both modes give the same hashes.
///
/// - light: every VM reads a shared 256 MiB cache; about 10–40 ms per hash.
/// - full: every VM reads a shared 2 GiB dataset, built once from the cache (tens of seconds on
///   two cores); about a millisecond per hash.
/// - auto: full when the machine has the memory for it (``RandomXMode/fullModeMinimumAvailableBytes``
///   available), light otherwise.
public enum RandomXMode: String, Sendable, CaseIterable {
    case light
    case full
    case auto

    /// Memory that must be available for `auto` to choose full mode: the dataset (2,080 MiB), the
    /// cache it is built from (256 MiB) and 1 GiB left for everything else.
    public static let fullModeMinimumAvailableBytes: UInt64 = (2080 + 256 + 1024) << 20

    /// `light` or `full`: `auto` decided by `availableBytes` (nil: unknown, which means light).
    public func resolved(availableBytes: UInt64?) -> RandomXMode {
        switch self {
        case .light, .full: return self
        case .auto:
            guard let availableBytes, availableBytes >= Self.fullModeMinimumAvailableBytes else { return .light }
            return .full
        }
    }
}
