/// The mining-identity (MIK) data in a coinbase scriptSig, parsed exactly as the C++ node's
/// `DFMP::ParseMIKFromScriptSig` parses it (including its quirks: the 8-byte registration nonce is
/// taken whenever 8 bytes follow the signature, and an unknown type byte resumes the search after
/// itself).
///
/// Layout after the BIP34-style height push: … `DF` ‖ type ‖ body, where a registration (type 1) is
/// public key 1,952 ‖ signature 3,309 ‖ [nonce 8] ‖ [`DD` ‖ DNA hash 32] ‖ [`DA` ‖ count ‖ count ×
/// attestation entry], and a reference (type 2) is identity 20 ‖ signature 3,309 ‖ [`DD` ‖ DNA 32].
public struct MIKScriptData: Sendable, Equatable {
    /// The marker before the MIK data.
    static let mikMarker: UInt8 = 0xDF
    /// Before the DNA commitment.
    static let dnaMarker: UInt8 = 0xDD
    /// Before the attestations.
    static let attestationMarker: UInt8 = 0xDA
    /// Shortest scriptSig that can hold MIK data (marker, type, identity, signature).
    static let minimumScriptBytes = 1 + 1 + AttestationLimits.mikIdentityBytes + AttestationLimits.signatureBytes

    /// A registration (type 1) rather than a reference to an earlier one (type 2).
    public let isRegistration: Bool
    /// The MIK public key (registrations only).
    public let publicKey: [UInt8]
    /// The DNA hash, when the commitment is present.
    public let dnaHash: [UInt8]?
    /// The attestation count byte as written (nil when there is no attestation block that fits).
    public let attestationCount: UInt8?
    /// The attestation entries.
    public let attestations: [Attestation]

    /// Creates the data from its parts.
    public init(isRegistration: Bool, publicKey: [UInt8], dnaHash: [UInt8]?, attestationCount: UInt8?, attestations: [Attestation]) {
        self.isRegistration = isRegistration
        self.publicKey = publicKey
        self.dnaHash = dnaHash
        self.attestationCount = attestationCount
        self.attestations = attestations
    }

    /// Parses `scriptSig`; nil where the C++ parser returns false.
    public static func parse(scriptSig script: [UInt8]) -> MIKScriptData? {
        guard script.count >= minimumScriptBytes else { return nil }
        var position = 0
        let heightLength = Int(script[0])
        if (1...4).contains(heightLength) && script.count > heightLength { position = 1 + heightLength }
        while position < script.count {
            guard script[position] == mikMarker else {
                position += 1
                continue
            }
            position += 1
            guard position < script.count else { return nil }
            let type = script[position]
            position += 1
            switch type {
            case 0x01:
                return registration(in: script, from: position)
            case 0x02:
                guard position + AttestationLimits.mikIdentityBytes + AttestationLimits.signatureBytes <= script.count else {
                    return nil
                }
                position += AttestationLimits.mikIdentityBytes + AttestationLimits.signatureBytes
                return MIKScriptData(isRegistration: false, publicKey: [], dnaHash: dnaHash(in: script, at: &position),
                                     attestationCount: nil, attestations: [])
            default:
                continue  // the search resumes after the unknown type byte
            }
        }
        return nil
    }

    /// A registration body starting at `start` (just after the type byte); nil when it does not fit.
    private static func registration(in script: [UInt8], from start: Int) -> MIKScriptData? {
        var position = start
        guard position + AttestationLimits.publicKeyBytes + AttestationLimits.signatureBytes <= script.count else { return nil }
        let publicKey = Array(script[position..<(position + AttestationLimits.publicKeyBytes)])
        position += AttestationLimits.publicKeyBytes + AttestationLimits.signatureBytes
        if position + 8 <= script.count { position += 8 }  // registration nonce (v3.0 and later)
        let dna = dnaHash(in: script, at: &position)
        var count: UInt8?
        var attestations: [Attestation] = []
        if position + 2 <= script.count, script[position] == attestationMarker {
            let written = script[position + 1]
            position += 2
            if position + Int(written) * AttestationLimits.entryBytes <= script.count {
                count = written
                attestations = (0..<Int(written)).compactMap {
                    Attestation(entryAt: position + $0 * AttestationLimits.entryBytes, in: script)
                }
            }
        }
        return MIKScriptData(isRegistration: true, publicKey: publicKey, dnaHash: dna, attestationCount: count,
                             attestations: attestations)
    }

    /// Builds a registration scriptSig (tests and tools): height push ‖ `DF 01` ‖ key ‖ signature ‖
    /// nonce ‖ [`DD` ‖ DNA] ‖ [`DA` ‖ count ‖ entries].
    public static func registrationScript(height: UInt32, publicKey: [UInt8], signature: [UInt8], nonce: UInt64,
                                          dnaHash: [UInt8]?, attestations: [Attestation]?) -> [UInt8] {
        var script: [UInt8] = [4]
        withUnsafeBytes(of: height.littleEndian) { script += $0 }
        script += [mikMarker, 0x01] + publicKey + signature
        withUnsafeBytes(of: nonce.littleEndian) { script += $0 }
        if let dnaHash { script += [dnaMarker] + dnaHash }
        if let attestations {
            script += [attestationMarker, UInt8(attestations.count)]
            for attestation in attestations { script += attestation.entryBytes }
        }
        return script
    }

    /// The DNA commitment at `position` if present (advancing past it).
    private static func dnaHash(in script: [UInt8], at position: inout Int) -> [UInt8]? {
        guard position + 1 + AttestationLimits.dnaHashBytes <= script.count, script[position] == dnaMarker else { return nil }
        defer { position += 1 + AttestationLimits.dnaHashBytes }
        return Array(script[(position + 1)..<(position + 1 + AttestationLimits.dnaHashBytes)])
    }
}
