import DilithionNet
import DilithionSystem
import DilithionWire

/// Which outbound connections the node wants and when to try each again.
///
/// `--connect` targets replace everything else; `--addnode` targets are always kept; hardcoded
/// seeds (public networks only, never with `--connect`) and address-book entries fill the
/// outbound slots. Failed attempts back off exponentially (1 s doubling to 5 min) with ±20 %
/// jitter; manual targets are retried forever, others dropped after 3 failures.
///
/// `--seednode` targets are **address fetches** (Bitcoin Core's `ADDR_FETCH`): they take no
/// outbound slot; the node connects, sends `getaddr`, and leaves once the answer arrived or
/// ``addressFetchTimeoutNanoseconds`` passed. A seed is fetched from at start, and again only
/// while the address book cannot fill the free outbound slots, no sooner than
/// ``refetchDelayNanoseconds`` after the previous fetch (doubling per fetch, up to 5 min).
/// Seeds are never dropped: they are how a node finds the network again.
struct DialState {
    struct Target {
        var key: String
        var address: SocketAddress
        var isManual: Bool
        var isOneShot: Bool
        var isAddressFetch = false
        var failures = 0
        var nextAttemptNanoseconds: UInt64 = 0
        var peer: PeerID?
        var isSelf = false
        /// Address fetch: when the connection in progress must have answered.
        var fetchDeadlineNanoseconds: UInt64?
        /// Address fetch: the connection in progress delivered its answer.
        var fetchAnswered = false
        /// Address fetch: answers received so far (the refetch delay doubles with each).
        var fetchesAnswered = 0
    }

    static let baseBackoffNanoseconds: UInt64 = 1_000_000_000
    static let maxBackoffNanoseconds: UInt64 = 300_000_000_000
    static let automaticFailureLimit = 3
    static let addressFetchTimeoutNanoseconds: UInt64 = 15_000_000_000
    static let refetchDelayNanoseconds: UInt64 = 10_000_000_000

    private(set) var targets: [String: Target] = [:]
    private var targetOfPeer: [PeerID: String] = [:]
    private(set) var connectOnly = false

    mutating func configure(configuration: NodeConfiguration, parameters: NetworkParameters) {
        connectOnly = !configuration.connect.isEmpty
        let port = parameters.defaultPort
        if connectOnly {
            for text in configuration.connect { add(text, port: port, manual: true, oneShot: false) }
            return
        }
        for text in configuration.addNodes { add(text, port: port, manual: true, oneShot: false) }
        for text in configuration.seedNodes { add(text, port: port, manual: false, oneShot: false, addressFetch: true) }
        if configuration.network != .regtest {
            for text in parameters.seeds { add(text, port: port, manual: false, oneShot: false) }
        }
    }

    @discardableResult
    mutating func add(_ text: String, port: UInt16, manual: Bool, oneShot: Bool, addressFetch: Bool = false) -> Bool {
        guard let address = NetAddressKey.parse(text, defaultPort: port) else { return false }
        let key = address.description
        if targets[key] != nil { return false }
        targets[key] = Target(key: key, address: address, isManual: manual, isOneShot: oneShot, isAddressFetch: addressFetch)
        return true
    }

    mutating func remove(_ text: String, port: UInt16) -> Bool {
        guard let address = NetAddressKey.parse(text, defaultPort: port) else { return false }
        return targets.removeValue(forKey: address.description) != nil
    }

    func isManual(peer: PeerID) -> Bool {
        guard let key = targetOfPeer[peer] else { return false }
        return targets[key]?.isManual ?? false
    }

    var manualKeys: [String] { targets.values.filter(\.isManual).map(\.key).sorted() }

    var outboundInProgress: Int { targetOfPeer.count }

    /// Outbound connections in progress or up that hold an outbound slot (not address fetches).
    var slotHoldersInProgress: Int { targetOfPeer.values.filter { targets[$0]?.isAddressFetch == false }.count }

    func isAddressFetch(peer: PeerID) -> Bool {
        guard let key = targetOfPeer[peer] else { return false }
        return targets[key]?.isAddressFetch ?? false
    }

    /// The address fetch on `peer` got its answer (the node disconnects it next).
    mutating func addressFetchAnswered(peer: PeerID) {
        if let key = targetOfPeer[peer] { targets[key]?.fetchAnswered = true }
    }

    /// Network groups of the slot-holding outbound connections (in progress or up): new outbound
    /// candidates come from other groups.
    func outboundGroups() -> Set<[UInt8]> {
        var groups = Set<[UInt8]>()
        for key in targetOfPeer.values {
            guard let target = targets[key], !target.isAddressFetch,
                  let address = NetAddress(host: target.address.host, port: target.address.port) else { continue }
            groups.insert(AddressPolicy.networkGroup(address))
        }
        return groups
    }

    /// Address fetches past their deadline, each returned once: the node disconnects them (and the
    /// disconnect counts as a failed fetch).
    mutating func takeExpiredFetches(nowNanoseconds: UInt64) -> [PeerID] {
        var expired: [PeerID] = []
        for (peer, key) in targetOfPeer {
            guard let deadline = targets[key]?.fetchDeadlineNanoseconds, deadline <= nowNanoseconds,
                  targets[key]?.fetchAnswered == false else { continue }
            targets[key]?.fetchDeadlineNanoseconds = nil
            expired.append(peer)
        }
        return expired.sorted()
    }

    mutating func markSelf(peer: PeerID) {
        if let key = targetOfPeer[peer] { targets[key]?.isSelf = true }
    }

    mutating func markSuccess(peer: PeerID) {
        if let key = targetOfPeer[peer] { targets[key]?.failures = 0 }
    }

    mutating func peerDisconnected(_ peer: PeerID, reason: DisconnectReason, nowNanoseconds: UInt64) {
        guard let key = targetOfPeer.removeValue(forKey: peer), var target = targets[key] else { return }
        target.peer = nil
        target.fetchDeadlineNanoseconds = nil
        if target.isAddressFetch && target.fetchAnswered {
            target.fetchAnswered = false
            target.failures = 0
            target.fetchesAnswered += 1
            let exponent = UInt64(min(target.fetchesAnswered - 1, 20))
            target.nextAttemptNanoseconds = nowNanoseconds + min(Self.refetchDelayNanoseconds << exponent, Self.maxBackoffNanoseconds)
            targets[key] = target
            return
        }
        if target.isOneShot || target.isSelf {
            targets[key] = nil
            return
        }
        target.failures += 1
        if !target.isManual && !target.isAddressFetch && target.failures >= Self.automaticFailureLimit {
            targets[key] = nil
            return
        }
        let exponent = min(target.failures - 1, 20)
        let backoff = min(Self.baseBackoffNanoseconds << UInt64(exponent), Self.maxBackoffNanoseconds)
        let jitter = Double.random(in: 0.8...1.2)
        target.nextAttemptNanoseconds = nowNanoseconds + UInt64(Double(backoff) * jitter)
        targets[key] = target
    }

    /// Targets to dial now, and when to look again. `needAddresses`: the address book cannot fill
    /// the free slots, so the seeds are asked again (when their refetch delay has passed).
    mutating func due(nowNanoseconds: UInt64, freeSlots: Int, needAddresses: Bool = false) -> (dial: [Target], nextCheck: UInt64) {
        var dial = [Target]()
        var next = nowNanoseconds + 30_000_000_000
        var slots = freeSlots
        for target in targetOfPeer.values.compactMap({ targets[$0] }) {
            if let deadline = target.fetchDeadlineNanoseconds, !target.fetchAnswered { next = min(next, deadline) }
        }
        for target in targets.values.sorted(by: { ($0.isManual ? 0 : 1, $0.key) < ($1.isManual ? 0 : 1, $1.key) }) {
            guard target.peer == nil, !target.isSelf else { continue }
            // A seed is always asked once; after that only while addresses are short.
            if target.isAddressFetch && (target.fetchesAnswered > 0 || target.failures > 0) && !needAddresses { continue }
            if target.nextAttemptNanoseconds > nowNanoseconds {
                next = min(next, target.nextAttemptNanoseconds)
                continue
            }
            // Manual targets and address fetches take no automatic slot; others only while slots are free.
            if !target.isManual && !target.isAddressFetch {
                guard slots > 0 else { continue }
                slots -= 1
            }
            dial.append(target)
        }
        return (dial, next)
    }

    mutating func dialed(_ key: String, peer: PeerID, nowNanoseconds: UInt64) {
        targets[key]?.peer = peer
        if targets[key]?.isAddressFetch == true {
            targets[key]?.fetchDeadlineNanoseconds = nowNanoseconds + Self.addressFetchTimeoutNanoseconds
        }
        targetOfPeer[peer] = key
    }

    func hasTarget(_ key: String) -> Bool { targets[key] != nil }
}
