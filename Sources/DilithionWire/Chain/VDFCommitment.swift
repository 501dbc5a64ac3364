/// The VDF proof a v4 block embeds in its coinbase scriptSig, after the tag `56 44 46 01` ("VDF\x01")
/// and a u16 little-endian length, and the two header fields that commit to it.
public struct VDFCommitment: Sendable, Equatable {
    /// The tag that precedes the proof in the coinbase scriptSig.
    public static let tag: [UInt8] = [0x56, 0x44, 0x46, 0x01]
    /// `vdfOutput` is the hash of this many leading proof bytes.
    public static let outputPrefixLength = 100

    public let proof: [UInt8]

    public init(proof: [UInt8]) { self.proof = proof }

    /// SHA3-256 of the proof: must equal the header's `vdfProofHash`.
    public var proofHash: Hash256 { SHA3.hash(proof) }

    /// SHA3-256 of the first 100 proof bytes: must equal the header's `vdfOutput`.
    public var output: Hash256 { SHA3.hash(Array(proof.prefix(Self.outputPrefixLength))) }

    /// Finds the tagged proof in a coinbase scriptSig, or nil when there is none or it is cut short.
    public static func extract(fromScriptSig script: [UInt8]) -> VDFCommitment? {
        guard script.count >= tag.count + 2 else { return nil }
        var index = 0
        while index + tag.count + 2 <= script.count {
            if script[index] == tag[0], Array(script[index..<index + tag.count]) == tag {
                let lengthOffset = index + tag.count
                let length = Int(script[lengthOffset]) | Int(script[lengthOffset + 1]) << 8
                let proofStart = lengthOffset + 2
                guard proofStart + length <= script.count else { return nil }
                return VDFCommitment(proof: Array(script[proofStart..<proofStart + length]))
            }
            index += 1
        }
        return nil
    }

    /// The bytes to embed in a scriptSig: tag ‖ u16 length ‖ proof.
    public var scriptBytes: [UInt8] {
        Self.tag + [UInt8(proof.count & 0xFF), UInt8(proof.count >> 8)] + proof
    }
}
