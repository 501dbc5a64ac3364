import DilithionAttestation
import DilithionWire
import Logging

/// The seed attestation methods.
extension RPCMethodTable {
    /// The public endpoint's table for one request from `clientAddress`: `getmikattestation` only.
    ///
    /// Parameters `{"mik_pubkey": hex (1,952 bytes), "dna_hash": hex (32 bytes)}` (or positional);
    /// result `{"seed_id", "timestamp", "signature", "mik_identity", "client_ip", "asn",
    /// "asn_description"}` in the C++ node's order. A refusal is error -32603 with the C++ node's text.
    static func attestation(_ service: AttestationService, clientAddress: String, logger: Logger) -> RPCMethodTable {
        var table = RPCMethodTable()
        // Nothing required by the table: a missing parameter gets the C++ node's own message.
        table.register(RPCMethod(name: "getmikattestation", parameterNames: ["mik_pubkey", "dna_hash"],
                                 summary: "A seed attestation for a MIK registration (seed nodes).") { values throws(RPCError) in
            func text(_ index: Int) -> String? {
                guard index < values.count, !values[index].isNull else { return nil }
                return values[index].stringValue ?? ""  // a number or object fails the size check
            }
            switch service.attest(mikPublicKeyHex: text(0), dnaHashHex: text(1), clientAddress: clientAddress) {
            case .success(let grant):
                // New MIKs at info (at most the daily limit per /24); renewals and refusals, which a caller
                // can repeat at will, at debug.
                logger.log(level: grant.isNewMIK ? .info : .debug, "attestation signed", metadata: [
                    "mik": "\(grant.mikIdentityHex.prefix(12))", "client": "\(grant.clientIP)", "asn": "\(grant.asn)",
                    "new": "\(grant.isNewMIK)"])
                return .object([
                    ("seed_id", .int(Int64(grant.attestation.seedID))), ("timestamp", .int(Int64(grant.attestation.timestamp))),
                    ("signature", .string(HexCoding.encode(grant.attestation.signature))),
                    ("mik_identity", .string(grant.mikIdentityHex)), ("client_ip", .string(grant.clientIP)),
                    ("asn", .int(Int64(grant.asn))), ("asn_description", .string(grant.asnDescription)),
                ])
            case .failure(let refusal):
                logger.debug("attestation refused", metadata: ["reason": "\(refusal.reason)", "client": "\(clientAddress)"])
                throw .internalError(refusal.message)
            }
        })
        return table
    }
}
