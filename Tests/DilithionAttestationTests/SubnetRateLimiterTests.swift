import Testing
@testable import DilithionAttestation

@Suite struct SubnetRateLimiterTests {
    static let day: Int64 = 20_000 * 86_400
    static let mikA = [UInt8](repeating: 0xA, count: 20)
    static let mikB = [UInt8](repeating: 0xB, count: 20)
    static let mikC = [UInt8](repeating: 0xC, count: 20)

    @Test func oneNewMIKPerSubnetPerDayRenewalsExempt() {
        var limiter = SubnetRateLimiter(newMIKsPerDay: 1)
        #expect(limiter.admit(address: 0x7F00_010A, mikIdentity: Self.mikA, now: Self.day) == .newMIK(countToday: 1))
        // Another address of the same /24, another MIK: limited; a refusal records nothing.
        #expect(limiter.admit(address: 0x7F00_01FE, mikIdentity: Self.mikB, now: Self.day + 10) == .limited)
        #expect(limiter.admit(address: 0x7F00_01FE, mikIdentity: Self.mikB, now: Self.day + 20) == .limited)
        // The first MIK again, from any address of the /24: a renewal.
        #expect(limiter.admit(address: 0x7F00_0101, mikIdentity: Self.mikA, now: Self.day + 30) == .renewal)
        // Another /24 has its own allowance, and knows nothing of mikA.
        #expect(limiter.admit(address: 0x7F00_020A, mikIdentity: Self.mikA, now: Self.day + 40) == .newMIK(countToday: 1))
        // The next UTC day opens the allowance again.
        #expect(limiter.admit(address: 0x7F00_01FE, mikIdentity: Self.mikB, now: Self.day + 86_400) == .newMIK(countToday: 1))
        #expect(limiter.admit(address: 0x7F00_01FE, mikIdentity: Self.mikC, now: Self.day + 86_401) == .limited)
        #expect(limiter.admit(address: 0x7F00_01FE, mikIdentity: Self.mikA, now: Self.day + 86_402) == .renewal)
        #expect(limiter.trackedSubnetCount == 2)
    }

    @Test func higherLimitsCountEachNewMIK() {
        var limiter = SubnetRateLimiter(newMIKsPerDay: 2)
        #expect(limiter.admit(address: 1, mikIdentity: Self.mikA, now: Self.day) == .newMIK(countToday: 1))
        #expect(limiter.admit(address: 2, mikIdentity: Self.mikB, now: Self.day) == .newMIK(countToday: 2))
        #expect(limiter.admit(address: 3, mikIdentity: Self.mikC, now: Self.day) == .limited)
    }

    @Test func stateStaysBoundedUnderAFloodFromManySubnets() {
        var limiter = SubnetRateLimiter(newMIKsPerDay: 1)
        let subnets = AttestationLimits.maxTrackedSubnets + 10
        for index in 0..<subnets {
            _ = limiter.admit(address: UInt32(index) << 8, mikIdentity: Self.mikA, now: Self.day + Int64(index) * 60)
        }
        #expect(limiter.trackedSubnetCount <= AttestationLimits.maxTrackedSubnets)
        // The most recent subnet is still known (its MIK is a renewal).
        #expect(limiter.admit(address: UInt32(subnets - 1) << 8, mikIdentity: Self.mikA, now: Self.day + Int64(subnets) * 60) == .renewal)
    }
}
