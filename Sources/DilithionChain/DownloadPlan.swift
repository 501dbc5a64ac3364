/// The blocks to fetch toward one header (``ChainState/downloadPlan(toward:limit:)``).
public struct DownloadPlan: Sendable, Equatable {
    /// The base of the download window: where the path leaves the active chain, raised over the
    /// staged (or stored) blocks right above it.
    public let forkHeight: Int
    /// Blocks not stored on the path, lowest first.
    public let candidates: [DownloadCandidate]
}
