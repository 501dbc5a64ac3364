/// The withheld-branch policy's memory: strikes per address.
///
/// **Policy.** A peer that announces headers has to serve their blocks (honest nodes, ours and the
/// C++ node, announce and serve only blocks they hold). When a branch with more work than the active
/// tip expires because nobody delivered its blocks within
/// ``DilithionChain/ChainConfiguration/unbackedBranchLifetimeSeconds``, every peer whose last header
/// was on it (connected, or departed: ``DepartedClaims``) gets a strike: `withheld-branch`, logged at
/// info and counted in `dilithion_misbehaviour_total{reason="withheld-branch"}`. A connected peer
/// also gets ``SyncSettings/withheldBranchPoints`` (50) misbehaviour points. The second strike of an
/// address within ``SyncSettings/withheldStrikeWindowSeconds`` (an hour) bans it for the default
/// duration (manual peers are never banned). Such a branch never touched the active chain, the
/// served headers or the reported tip; the strike is for the download slots and memory it cost.
/// Bounded: at most ``capacity`` addresses are remembered, the least recent first to go.
struct WithheldBranchStrikes {
    /// Most addresses remembered.
    static let capacity = 4_096

    private var byHost: [String: [Int64]] = [:]

    /// Records a strike for `host` at `now` (wall seconds) and returns its strikes within the last
    /// `window` seconds, this one included.
    mutating func record(host: String, at now: Int64, window: Int64) -> Int {
        var times = (byHost[host] ?? []).filter { now - $0 < window }
        times.append(now)
        byHost[host] = times
        if byHost.count > Self.capacity, let stalest = byHost.min(by: { ($0.value.last ?? 0) < ($1.value.last ?? 0) }) {
            byHost[stalest.key] = nil
        }
        return times.count
    }
}
