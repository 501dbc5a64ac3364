import DilithionNet
import DilithionSystem
import DilithionWire

/// Which outbound connections the node wants and when to try each again.
///
/// `--connect` targets replace everything else; `--addnode` targets are always kept; seeds
/// (hardcoded ones only for public networks, and never with `--connect`) and address-book entries
/// fill the outbound slots. Failed attempts back off exponentially (1 s doubling to 5 min) with
/// ±20 % jitter; manual targets are retried forever, others dropped after 3 failures.
struct DialState {
    struct Target {
        var key: String
        var address: SocketAddress
        var isManual: Bool
        var isOneShot: Bool
        var failures = 0
        var nextAttemptNanoseconds: UInt64 = 0
        var peer: PeerID?
        var isSelf = false
    }

    static let baseBackoffNanoseconds: UInt64 = 1_000_000_000
    static let maxBackoffNanoseconds: UInt64 = 300_000_000_000
    static let automaticFailureLimit = 3

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
        for text in configuration.seedNodes { add(text, port: port, manual: false, oneShot: false) }
        if configuration.network != .regtest {
            for text in parameters.seeds { add(text, port: port, manual: false, oneShot: false) }
        }
    }

    @discardableResult
    mutating func add(_ text: String, port: UInt16, manual: Bool, oneShot: Bool) -> Bool {
        guard let address = NetAddressKey.parse(text, defaultPort: port) else { return false }
        let key = address.description
        if targets[key] != nil { return false }
        targets[key] = Target(key: key, address: address, isManual: manual, isOneShot: oneShot)
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

    mutating func markSelf(peer: PeerID) {
        if let key = targetOfPeer[peer] { targets[key]?.isSelf = true }
    }

    mutating func markSuccess(peer: PeerID) {
        if let key = targetOfPeer[peer] { targets[key]?.failures = 0 }
    }

    mutating func peerDisconnected(_ peer: PeerID, reason: DisconnectReason, nowNanoseconds: UInt64) {
        guard let key = targetOfPeer.removeValue(forKey: peer), var target = targets[key] else { return }
        target.peer = nil
        if target.isOneShot || target.isSelf {
            targets[key] = nil
            return
        }
        target.failures += 1
        if !target.isManual && target.failures >= Self.automaticFailureLimit {
            targets[key] = nil
            return
        }
        let exponent = min(target.failures - 1, 20)
        let backoff = min(Self.baseBackoffNanoseconds << UInt64(exponent), Self.maxBackoffNanoseconds)
        let jitter = Double.random(in: 0.8...1.2)
        target.nextAttemptNanoseconds = nowNanoseconds + UInt64(Double(backoff) * jitter)
        targets[key] = target
    }

    /// Targets to dial now, and when to look again.
    mutating func due(nowNanoseconds: UInt64, freeSlots: Int) -> (dial: [Target], nextCheck: UInt64) {
        var dial = [Target]()
        var next = nowNanoseconds + 30_000_000_000
        var slots = freeSlots
        for target in targets.values.sorted(by: { ($0.isManual ? 0 : 1, $0.key) < ($1.isManual ? 0 : 1, $1.key) }) {
            guard target.peer == nil, !target.isSelf else { continue }
            if target.nextAttemptNanoseconds > nowNanoseconds {
                next = min(next, target.nextAttemptNanoseconds)
                continue
            }
            // Manual targets do not take automatic slots; others only while slots are free.
            if !target.isManual {
                guard slots > 0 else { continue }
                slots -= 1
            }
            dial.append(target)
        }
        return (dial, next)
    }

    mutating func dialed(_ key: String, peer: PeerID) {
        targets[key]?.peer = peer
        targetOfPeer[peer] = key
    }

    func hasTarget(_ key: String) -> Bool { targets[key] != nil }
}
