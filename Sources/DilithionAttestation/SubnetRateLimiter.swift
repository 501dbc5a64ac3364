/// The seed's limit on new MIK registrations: at most N new MIKs per /24 per day (UTC day = unix
/// time / 86 400), while a MIK already attested from that /24 is a renewal and always passes (miners
/// re-attest on every restart), as in the C++ node's `getmikattestation`. Known MIKs are forgotten
/// 30 days after their last attestation, but only when the table is pruned (as the C++ node does).
///
/// A MIK is "known" per /24: the same MIK from another /24 is new there. A renewal also refreshes
/// the MIK's day. Memory is bounded (``AttestationLimits/maxTrackedSubnets``,
/// ``AttestationLimits/maxKnownMIKsPerSubnet``). A value type with no lock: its owner serializes
/// access.
public struct SubnetRateLimiter: Sendable {
    /// The outcome of one request.
    public enum Decision: Sendable, Equatable {
        /// A MIK this /24 had attested before: no limit applies.
        case renewal
        /// A new MIK within the limit: the number of new MIKs today including this one.
        case newMIK(countToday: Int)
        /// A new MIK over the limit.
        case limited
    }

    private struct Subnet {
        var day: Int64
        var newMIKsToday: Int
        /// MIK identity → the day it was last attested from this /24.
        var knownMIKs: [[UInt8]: Int64]
    }

    /// New MIKs allowed per /24 per day.
    public let newMIKsPerDay: Int
    private var subnets: [UInt32: Subnet] = [:]

    /// A limiter allowing `newMIKsPerDay` new MIKs per /24 per day.
    public init(newMIKsPerDay: Int) {
        self.newMIKsPerDay = newMIKsPerDay
    }

    /// /24 subnets with state.
    public var trackedSubnetCount: Int { subnets.count }

    /// Decides a request from `address` for the MIK with `identity` at unix time `now`, and records
    /// it when it passes. A refused request changes nothing.
    public mutating func admit(address: UInt32, mikIdentity identity: [UInt8], now: Int64) -> Decision {
        let day = now / 86_400
        let key = IPv4.subnet24(address)
        var subnet = subnets[key] ?? Subnet(day: day, newMIKsToday: 0, knownMIKs: [:])
        if subnet.day != day {
            subnet.day = day
            subnet.newMIKsToday = 0
        }
        let decision: Decision
        if subnet.knownMIKs[identity] != nil {
            decision = .renewal
        } else if subnet.newMIKsToday >= newMIKsPerDay {
            return .limited
        } else {
            subnet.newMIKsToday += 1
            decision = .newMIK(countToday: subnet.newMIKsToday)
        }
        subnet.knownMIKs[identity] = day
        if subnet.knownMIKs.count > AttestationLimits.maxKnownMIKsPerSubnet {
            subnet.knownMIKs = Self.newestHalf(of: subnet.knownMIKs)
        }
        subnets[key] = subnet
        if subnets.count > AttestationLimits.maxTrackedSubnets { prune(today: day) }
        return decision
    }

    /// Drops what the C++ node drops (MIKs older than the retention, subnets left with none that
    /// were not active today or yesterday); if that is not enough, the subnets idle longest, down
    /// to 90% of the cap so that pruning does not run on every request.
    private mutating func prune(today: Int64) {
        for (key, var subnet) in subnets {
            subnet.knownMIKs = subnet.knownMIKs.filter { today - $0.value <= AttestationLimits.knownMIKRetentionDays }
            if subnet.knownMIKs.isEmpty && subnet.day < today - 1 {
                subnets[key] = nil
            } else {
                subnets[key] = subnet
            }
        }
        let target = AttestationLimits.maxTrackedSubnets * 9 / 10
        guard subnets.count > target else { return }
        let byActivity = subnets.map { (key: $0.key, day: max($0.value.day, $0.value.knownMIKs.values.max() ?? 0)) }
            .sorted { $0.day < $1.day }
        for entry in byActivity.prefix(subnets.count - target) { subnets[entry.key] = nil }
    }

    private static func newestHalf(of known: [[UInt8]: Int64]) -> [[UInt8]: Int64] {
        let kept = known.sorted { $0.value > $1.value }.prefix(AttestationLimits.maxKnownMIKsPerSubnet / 2)
        return Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
}
