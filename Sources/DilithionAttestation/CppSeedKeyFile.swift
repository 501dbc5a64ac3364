import COpenSSL

/// The C++ node's `seed_attestation_key.dat`: magic 0x444C4154 ("DLAT", written as a host-order u32,
/// so `54 41 4C 44` on x86 and ARM) ‖ version 1 ‖ public key (1,952) ‖ pq-crystals expanded private
/// key (4,032) = 5,989 bytes.
///
/// We read it to recognise it and report which seed it belongs to, never to sign: the expanded key
/// is ρ ‖ K ‖ tr ‖ s1 ‖ s2 ‖ t0, and neither swift-crypto nor Debian's OpenSSL 3.0 can sign from it
/// (docs/operating.md, "Seed attestation").
public struct CppSeedKeyFile: Sendable {
    /// The magic as it lies in the file.
    static let magic: [UInt8] = [0x54, 0x41, 0x4C, 0x44]
    /// The only version the C++ node writes.
    static let version: UInt8 = 1
    /// The whole file.
    public static let fileBytes = 5 + AttestationLimits.publicKeyBytes + AttestationLimits.expandedPrivateKeyBytes

    /// The public key.
    public let publicKey: [UInt8]
    /// The expanded private key (secret).
    let expandedPrivateKey: [UInt8]

    /// Why bytes are not a consistent C++ key file.
    public enum ParseError: Error, Equatable {
        case wrongSize(Int)
        case wrongMagic
        case wrongVersion(UInt8)
        /// ρ or tr = SHAKE256(public key) in the private key do not match the public key.
        case keysDoNotMatch
    }

    /// Parses and checks the file's bytes: sizes, magic, version, and that the private key belongs to
    /// the public key (its ρ equals the public key's, and its tr is SHAKE256(public key, 64 bytes)).
    public init(bytes: [UInt8]) throws(ParseError) {
        guard Array(bytes.prefix(4)) == Self.magic else { throw .wrongMagic }
        guard bytes.count == Self.fileBytes else { throw .wrongSize(bytes.count) }
        guard bytes[4] == Self.version else { throw .wrongVersion(bytes[4]) }
        let publicKey = Array(bytes[5..<(5 + AttestationLimits.publicKeyBytes)])
        let privateKey = Array(bytes[(5 + AttestationLimits.publicKeyBytes)...])
        guard privateKey.prefix(32) == publicKey.prefix(32),
              let tr = Self.shake256(publicKey, outputBytes: 64), privateKey[64..<128].elementsEqual(tr) else {
            throw .keysDoNotMatch
        }
        self.publicKey = publicKey
        self.expandedPrivateKey = privateKey
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(SeedKeyError) -> CppSeedKeyFile {
        let (bytes, _) = try SeedKeyFile.readPrivateFile(path: path)
        do {
            return try CppSeedKeyFile(bytes: bytes)
        } catch {
            throw .malformed(path: path, reason: "not a C++ seed_attestation_key.dat: \(error)")
        }
    }

    /// The file's bytes for a key pair (tests and the interop script write C++-layout files).
    public static func serialize(publicKey: [UInt8], expandedPrivateKey: [UInt8]) -> [UInt8] {
        magic + [version] + publicKey + expandedPrivateKey
    }

    /// SHAKE256 through libcrypto (swift-crypto has no public SHAKE).
    static func shake256(_ input: [UInt8], outputBytes: Int) -> [UInt8]? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: outputBytes)
        let ok = EVP_DigestInit_ex(context, EVP_shake256(), nil) == 1
            && input.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) } == 1
            && EVP_DigestFinalXOF(context, &output, outputBytes) == 1
        return ok ? output : nil
    }
}
