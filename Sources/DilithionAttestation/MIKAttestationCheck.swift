import DilithionWire

/// The consensus rule "a MIK registration carries 3-of-4 seed attestations" for one block, as the C++
/// node's `CheckMIKAttestations` (`src/consensus/vdf_validation.cpp`) applies it, with its error
/// texts: below the chain's activation height every block passes; above it the coinbase must carry
/// MIK data, and a registration must carry at least 3 attestation entries of which at least 3
/// verify (``AttestationVerifier/verifySet(_:mikPublicKey:dnaHash:seedPublicKeys:blockTime:)``
/// against the block's time). A missing DNA commitment verifies as 32 zero bytes.
public enum MIKAttestationCheck {
    /// Why a block passes.
    public enum Pass: Sendable, Equatable {
        /// Below the activation height.
        case beforeActivation
        /// The coinbase references an already registered MIK.
        case notARegistration
        /// A registration whose attestations verify.
        case attested(AttestationVerifier.SetVerdict)
    }

    /// Checks `block` at `height` under `parameters`. The failure is the C++ node's error line.
    public static func check(_ block: BlockMessage, height: Int, parameters: AttestationParameters) -> Result<Pass, CheckFailure> {
        guard height >= parameters.activationHeight else { return .success(.beforeActivation) }
        let blob = block.blob
        guard let first = blob.first else { return fail("empty vtx") }
        let countBytes: Int
        if first < 253 {
            countBytes = 1
        } else if first == 253 && blob.count >= 3 {
            countBytes = 3
        } else {
            return fail("unsupported tx count encoding")
        }
        var reader = ByteReader(Array(blob[countBytes...]))
        guard let coinbase = try? Transaction.read(from: &reader) else { return fail("failed to deserialize coinbase") }
        guard let input = coinbase.inputs.first else { return fail("coinbase has no inputs") }
        guard let mik = MIKScriptData.parse(scriptSig: input.scriptSig) else { return fail("failed to parse MIK from coinbase") }
        guard mik.isRegistration else { return .success(.notARegistration) }
        guard let count = mik.attestationCount else {
            return fail("MIK registration at height \(height) missing required seed attestations")
        }
        guard count >= AttestationLimits.minimumAttestations else {
            return fail("insufficient attestations: \(count) < \(AttestationLimits.minimumAttestations)")
        }
        guard parameters.seedPublicKeys.count == AttestationLimits.seedCount else {
            return fail("chainparams has \(parameters.seedPublicKeys.count) seed pubkeys, expected \(AttestationLimits.seedCount)")
        }
        let verdict = AttestationVerifier.verifySet(
            mik.attestations, mikPublicKey: mik.publicKey, dnaHash: mik.dnaHash ?? [UInt8](repeating: 0, count: 32),
            seedPublicKeys: parameters.seedPublicKeys, blockTime: Int64(block.header.time))
        if let error = verdict.error { return fail("\(error) at height \(height)") }
        return .success(.attested(verdict))
    }

    /// A block that fails the rule: `message` is the C++ node's error line.
    public struct CheckFailure: Error, Sendable, Equatable {
        public let message: String
    }

    private static func fail(_ text: String) -> Result<Pass, CheckFailure> {
        .failure(CheckFailure(message: "CheckMIKAttestations: \(text)"))
    }
}
