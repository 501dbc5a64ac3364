import DilithionSystem
import DilithionWire
import Foundation

/// The seed side of `getmikattestation`: checks the parameters and the caller, applies the chain's
/// policies, and signs. The steps and their order are the C++ node's (`RPC_GetMIKAttestation`):
/// parameters → caller address → datacenter ASN (on chains that refuse them) → new-MIK limit per
/// /24 per day (renewals exempt) → sign SHA3-256("DILV_ATTEST" ‖ MIK ‖ DNA ‖ time ‖ seed id).
///
/// Thread safety: called from HTTP worker threads at once. The rate limiter and the counters are
/// guarded by `lock` (the system layer's `PThreadMutex`, which ThreadSanitizer understands);
/// everything else is immutable. Signing runs outside the
/// lock.
public final class AttestationService: @unchecked Sendable {
    /// What the service needs.
    public struct Configuration: Sendable {
        /// This seed's signing key.
        public var key: SeedAttestationKey
        /// Its seed id on this chain (see ``AttestationParameters/requireSeedID(of:)``).
        public var seedID: UInt8
        /// The chain's rules (the datacenter flag).
        public var parameters: AttestationParameters
        /// IPv4 → ASN.
        public var asnDatabase: ASNDatabase
        /// ASNs that count as datacenters.
        public var datacenterASNs: DatacenterASNList
        /// New MIKs per /24 per day.
        public var newMIKsPerSubnetPerDay: Int
        /// Unix time now (the node's mock-aware clock on regtest).
        public var now: @Sendable () -> Int64

        /// Creates a configuration.
        public init(key: SeedAttestationKey, seedID: UInt8, parameters: AttestationParameters, asnDatabase: ASNDatabase,
                    datacenterASNs: DatacenterASNList,
                    newMIKsPerSubnetPerDay: Int = AttestationLimits.defaultNewMIKsPerSubnetPerDay,
                    now: @escaping @Sendable () -> Int64) {
            self.key = key
            self.seedID = seedID
            self.parameters = parameters
            self.asnDatabase = asnDatabase
            self.datacenterASNs = datacenterASNs
            self.newMIKsPerSubnetPerDay = newMIKsPerSubnetPerDay
            self.now = now
        }
    }

    private let configuration: Configuration
    private let lock = PThreadMutex()
    // guarded by lock
    private var limiter: SubnetRateLimiter
    private var counters = AttestationStatistics()

    /// A service signing with `configuration.key` as seed `configuration.seedID`.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.limiter = SubnetRateLimiter(newMIKsPerDay: configuration.newMIKsPerSubnetPerDay)
        counters.seedID = configuration.seedID
        counters.asnRanges = configuration.asnDatabase.rangeCount
        counters.datacenterASNs = configuration.datacenterASNs.asns.count
    }

    /// The seed id this service signs as.
    public var seedID: UInt8 { configuration.seedID }

    /// Handles one call from `clientAddress` (the TCP peer's numeric address) with the hex
    /// parameters as given (nil when absent). Every refusal is counted by reason.
    public func attest(mikPublicKeyHex: String?, dnaHashHex: String?, clientAddress: String)
        -> Result<AttestationGrant, AttestationRefusal> {
        let result = decide(mikPublicKeyHex: mikPublicKeyHex, dnaHashHex: dnaHashHex, clientAddress: clientAddress)
        lock.withLock {
            switch result {
            case .success(let grant):
                if grant.isNewMIK { counters.grantedNew += 1 } else { counters.grantedRenewal += 1 }
            case .failure(let refusal):
                counters.refusals[refusal.reason, default: 0] += 1
            }
        }
        return result
    }

    /// The counters so far.
    public var statistics: AttestationStatistics {
        lock.withLock {
            var snapshot = counters
            snapshot.trackedSubnets = limiter.trackedSubnetCount
            return snapshot
        }
    }

    private func decide(mikPublicKeyHex: String?, dnaHashHex: String?, clientAddress: String)
        -> Result<AttestationGrant, AttestationRefusal> {
        guard let mikPublicKeyHex else { return .failure(.missingParameter("mik_pubkey")) }
        guard let dnaHashHex else { return .failure(.missingParameter("dna_hash")) }
        guard let mikPublicKey = HexCoding.decode(mikPublicKeyHex), mikPublicKey.count == AttestationLimits.publicKeyBytes else {
            return .failure(.badMIKPublicKey)
        }
        guard let dnaHash = HexCoding.decode(dnaHashHex), dnaHash.count == AttestationLimits.dnaHashBytes else {
            return .failure(.badDNAHash)
        }
        guard let address = IPv4.parse(clientAddress) else { return .failure(.notIPv4(clientAddress)) }
        let ip = IPv4.format(address)
        let entry = configuration.asnDatabase.lookup(address)
        if configuration.parameters.refusesDatacenterAddresses, let entry, configuration.datacenterASNs.contains(entry.asn) {
            return .failure(.datacenterAddress(ip: ip, asn: entry.asn, description: entry.description))
        }
        let identity = AttestationMessage.mikIdentity(of: mikPublicKey)
        let now = configuration.now()
        let decision = lock.withLock { limiter.admit(address: address, mikIdentity: identity, now: now) }
        if decision == .limited { return .failure(.rateLimited(perDay: configuration.newMIKsPerSubnetPerDay)) }
        // The C++ node stamps with time(nullptr) as a u32; clamp rather than wrap a clock beyond 2106.
        let timestamp = UInt32(clamping: now)
        guard let attestation = try? configuration.key.attest(
            mikPublicKey: mikPublicKey, dnaHash: dnaHash, timestamp: timestamp, seedID: configuration.seedID) else {
            return .failure(.signingFailed)
        }
        return .success(AttestationGrant(
            attestation: attestation, mikIdentityHex: HexCoding.encode(identity), clientIP: ip, asn: entry?.asn ?? 0,
            asnDescription: entry?.description ?? "", isNewMIK: decision != .renewal))
    }
}
