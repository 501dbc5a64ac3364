import DilithionWire
import Foundation

/// Test data made by dilithium-py (pure-Python FIPS 204, an implementation independent of ours and
/// of BoringSSL): `ML_DSA_65.key_derive(bytes(range(32)))` written in the C++ node's key file layout,
/// and its deterministic signature over the attestation digest of ``Fixture/mikPublicKey``,
/// ``Fixture/dnaHash``, ``Fixture/timestamp`` as seed ``Fixture/seedID``. The expected digest and
/// identity are Python's `hashlib.sha3_256` over the preimage built by hand.
enum Fixture {
    static let seed: [UInt8] = Array(0..<32)
    static let mikPublicKey: [UInt8] = (0..<1952).map { UInt8(($0 * 7 + 3) % 256) }
    static let dnaHash: [UInt8] = Array(0x40..<0x60)
    static let timestamp: UInt32 = 1_774_656_000
    static let seedID: UInt8 = 2
    static let expectedDigestHex = "afb0a74c94064f4fe650436a6c09d1b3a8cf139500c8d88cd10d424e61b859e4"
    static let expectedMIKIdentityHex = "7991ab075b8e260ab82e4bb1ca8a86718da3f93c"
    /// SHA3-256 of the public key dilithium-py derives from ``seed``.
    static let expectedPublicKeySHA3Hex = "1800725067e388d837d911fe4f66101cc1961b1bb755030dc574272cfb00013f"

    static var cppKeyFile: [UInt8] { hexFile("cpp-seed-attestation-key.hex") }
    static var signature: [UInt8] { hexFile("cpp-key-attestation-signature.hex") }

    static func hexFile(_ name: String) -> [UInt8] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let bytes = HexCoding.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            preconditionFailure("fixture \(path) is missing or not hex")
        }
        return bytes
    }

    /// A fresh directory under the system temporary directory.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "attest-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
