import DilithionAttestation
import DilithionWire

/// Everything a node needs to serve `getmikattestation`, built from its options before anything
/// listens: the chain's seed keys, this node's key (created on first use), its seed id, the ASN
/// table and the datacenter list. Any problem is one line for the operator.
public struct AttestationSetup: Sendable {
    /// The signing service.
    public let service: AttestationService
    /// This node's public key.
    public let publicKey: [UInt8]
    /// Whether the key file was created now.
    public let keyCreated: Bool
    /// What the ASN table held.
    public let asnReport: ASNDatabase.LoadReport
    /// The datacenter list.
    public let datacenterASNs: DatacenterASNList

    /// Why the setup failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The chain's attestation rules, with the regtest seed keys read from `--attest-seed-keys`.
    public static func parameters(options: NodeOptions) throws(Failure) -> AttestationParameters {
        guard options.network == .regtest, let path = options.attestSeedKeysPath else {
            return AttestationParameters.of(options.network)
        }
        do {
            return AttestationParameters.of(.regtest, regtestSeedKeys: try AttestationParameters.loadSeedKeyList(path: path))
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// Loads or creates the key, finds its seed id, loads the data files and builds the service.
    /// `now` is the node's unix clock.
    public static func make(options: NodeOptions, now: @escaping @Sendable () -> Int64) throws(Failure) -> AttestationSetup {
        let parameters = try parameters(options: options)
        let key: SeedAttestationKey
        let created: Bool
        do {
            (key, created) = try SeedKeyFile.loadOrCreate(path: options.attestKeyPath)
        } catch {
            throw Failure(description: "seed attestation key: \(error)")
        }
        let seedID: UInt8
        do {
            seedID = try parameters.requireSeedID(of: key.publicKey)
        } catch {
            let hint = created ? " (a new key was just created in \(options.attestKeyPath); its public key is "
                + "\(HexCoding.encode(key.publicKey)))" : ""
            throw Failure(description: error.description + hint)
        }
        guard let asnPath = options.asnDatabasePath else { throw Failure(description: "--asn-db is required") }
        let asnDatabase: ASNDatabase
        let datacenterASNs: DatacenterASNList
        do throws(AttestationSetupError) {
            asnDatabase = try ASNDatabase.load(path: asnPath)
            guard asnDatabase.rangeCount > 0 else { throw AttestationSetupError.emptyASNDatabase(path: asnPath) }
            datacenterASNs = try DatacenterASNList.load(path: options.datacenterASNsPath)
            // Fail closed: an empty list on a chain that refuses datacenter callers would attest them all.
            if parameters.refusesDatacenterAddresses && datacenterASNs.asns.isEmpty {
                throw AttestationSetupError.emptyDatacenterList(path: options.datacenterASNsPath)
            }
        } catch {
            throw Failure(description: error.description)
        }
        let service = AttestationService(configuration: .init(
            key: key, seedID: seedID, parameters: parameters, asnDatabase: asnDatabase, datacenterASNs: datacenterASNs,
            newMIKsPerSubnetPerDay: options.attestationRateLimit, now: now))
        return AttestationSetup(service: service, publicKey: key.publicKey, keyCreated: created,
                                asnReport: asnDatabase.loadReport, datacenterASNs: datacenterASNs)
    }
}
