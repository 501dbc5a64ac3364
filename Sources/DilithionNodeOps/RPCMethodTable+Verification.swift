import DilithionAttestation
import DilithionOps
import DilithionWire

/// Checking seed attestations on the admin RPC, for relays and operators: one attestation against a
/// seed key (`verifyattestation`), or a stored block against the MIK-registration rule
/// (`checkmikattestations`), both exactly as C++ consensus checks them.
extension RPCMethodTable {
    /// Adds `verifyattestation` (keys from `parameters` unless given) and `checkmikattestations`.
    public mutating func registerAttestationChecks(parameters: AttestationParameters, node: any NodeRPCBackend) {
        register(RPCMethod(
            name: "verifyattestation",
            parameterNames: ["mik_pubkey", "dna_hash", "seed_id", "timestamp", "signature", "seed_pubkey", "block_time"],
            requiredCount: 5,
            summary: "Check one seed attestation; seed_pubkey defaults to the chain's key for seed_id, "
                + "block_time adds the 1-hour freshness rule.") { values throws(RPCError) in
            try Self.verifyAttestation(RPCParameters(values), chain: parameters)
        })
        register(RPCMethod(name: "checkmikattestations", parameterNames: ["blockhash"], requiredCount: 1,
                           summary: "Apply the MIK-registration attestation rule to a stored block.") { values throws(RPCError) in
            let hash = try RPCParameters(values).hash(0, "blockhash")
            guard let info = node.headerInfo(hash: hash) else { throw .invalidAddressOrKey("Block not found") }
            guard let payload = node.blockPayload(hash: hash) else { throw .misc("Block not available (not yet downloaded)") }
            guard case .block(let message)? = try? Message.decode(command: Command.block, payload: payload) else {
                throw .internalError("stored block \(hash.displayHex) does not decode")
            }
            return NodeRPCEncoding.mikAttestationCheck(MIKAttestationCheck.check(message, height: info.height, parameters: parameters),
                               height: info.height, activationHeight: parameters.activationHeight)
        })
    }

    private static func verifyAttestation(_ parameters: RPCParameters, chain: AttestationParameters) throws(RPCError) -> JSON {
        let mik = try bytes(parameters, 0, "mik_pubkey", count: AttestationLimits.publicKeyBytes)
        let dna = try bytes(parameters, 1, "dna_hash", count: AttestationLimits.dnaHashBytes)
        guard let seedID = try parameters.int(2, "seed_id"), (0...255).contains(seedID) else {
            throw .invalidParameter("seed_id must be 0-255")
        }
        guard let timestamp = try parameters.int(3, "timestamp"), (0...Int64(UInt32.max)).contains(timestamp) else {
            throw .invalidParameter("timestamp must be a unix time that fits 32 bits")
        }
        let signature = try bytes(parameters, 4, "signature", count: nil)
        let seedKey: [UInt8]
        let keySource: String
        if parameters.optional(5) != nil {
            seedKey = try bytes(parameters, 5, "seed_pubkey", count: AttestationLimits.publicKeyBytes)
            keySource = "given"
        } else if seedID < chain.seedPublicKeys.count {
            seedKey = chain.seedPublicKeys[Int(seedID)]
            keySource = "chain"
        } else {
            throw .invalidParameter("\(chain.network.rawValue) has no seed key \(seedID); pass seed_pubkey")
        }
        let attestation = Attestation(seedID: UInt8(seedID), timestamp: UInt32(timestamp), signature: signature)
        let signatureValid = AttestationVerifier.verify(attestation, mikPublicKey: mik, dnaHash: dna, seedPublicKey: seedKey)
        var members: [(String, JSON)] = [
            ("seed_id", .int(seedID)), ("seed_pubkey", .string(keySource)),
            ("message", .string(HexCoding.encode(AttestationMessage.digest(
                mikPublicKey: mik, dnaHash: dna, timestamp: UInt32(timestamp), seedID: UInt8(seedID))))),
            ("signature_valid", .bool(signatureValid)),
        ]
        var valid = signatureValid
        if let blockTime = try parameters.int(6, "block_time") {
            let age = blockTime - timestamp
            let fresh = age >= 0 && age <= AttestationLimits.validityWindowSeconds
            members += [("seconds_before_block", .int(age)), ("fresh", .bool(fresh))]
            valid = valid && fresh
        }
        return .object([("valid", .bool(valid))] + members)
    }

    private static func bytes(_ parameters: RPCParameters, _ index: Int, _ name: String, count: Int?) throws(RPCError) -> [UInt8] {
        guard let text = try parameters.string(index, name) else { throw .invalidParams("\(name) is required") }
        guard let bytes = HexCoding.decode(text), count == nil || bytes.count == count else {
            throw .invalidParameter("\(name) must be \(count.map { "\($0 * 2) hex digits" } ?? "hex")")
        }
        return bytes
    }
}
