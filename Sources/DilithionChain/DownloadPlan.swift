/// The blocks to fetch toward one header (``ChainState/downloadPlan(toward:limit:)``).
public struct DownloadPlan: Sendable, Equatable {
    /// Where the path leaves the active chain: the base of the download window.
    public let forkHeight: Int
    /// Blocks not stored on the path, lowest first.
    public let candidates: [DownloadCandidate]
}
