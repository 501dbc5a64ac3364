/// A block header: 80 bytes for `nVersion < 4` (legacy, RandomX-hashed), 144 bytes for
/// `nVersion >= 4` (VDF blocks, SHA3-256-hashed), which add `vdfOutput` and `vdfProofHash`.
public struct BlockHeader: Hashable, Sendable {
    public var version: Int32
    public var previousBlockHash: Hash256
    public var merkleRoot: Hash256
    public var time: UInt32
    public var bits: UInt32
    public var nonce: UInt32
    /// SHA3-256 of the first 100 bytes of the VDF proof (v ≥ 4 only; zero otherwise).
    public var vdfOutput: Hash256
    /// SHA3-256 of the whole VDF proof (v ≥ 4 only; zero otherwise).
    public var vdfProofHash: Hash256

    public static let legacySize = 80
    public static let vdfSize = 144
    /// The first version with the 144-byte layout and SHA3-256 hashing.
    public static let firstVDFVersion: Int32 = 4

    public init(
        version: Int32, previousBlockHash: Hash256, merkleRoot: Hash256, time: UInt32, bits: UInt32,
        nonce: UInt32, vdfOutput: Hash256 = .zero, vdfProofHash: Hash256 = .zero
    ) {
        self.version = version
        self.previousBlockHash = previousBlockHash
        self.merkleRoot = merkleRoot
        self.time = time
        self.bits = bits
        self.nonce = nonce
        self.vdfOutput = vdfOutput
        self.vdfProofHash = vdfProofHash
    }

    /// True for the 144-byte, SHA3-hashed layout.
    public var isVDF: Bool { version >= Self.firstVDFVersion }

    /// Bytes on the wire: decided by this header's own `nVersion`.
    public var encodedSize: Int { isVDF ? Self.vdfSize : Self.legacySize }

    /// The header's bytes.
    public var serialized: [UInt8] {
        var writer = ByteWriter(capacity: encodedSize)
        write(to: &writer)
        return writer.bytes
    }

    public func write(to writer: inout ByteWriter) {
        writer.writeInt32(version)
        writer.writeHash(previousBlockHash)
        writer.writeHash(merkleRoot)
        writer.writeUInt32(time)
        writer.writeUInt32(bits)
        writer.writeUInt32(nonce)
        if isVDF {
            writer.writeHash(vdfOutput)
            writer.writeHash(vdfProofHash)
        }
    }

    public static func read(from reader: inout ByteReader) throws(MessageDecodeError) -> BlockHeader {
        let version = try reader.readInt32("header.version")
        var header = BlockHeader(
            version: version,
            previousBlockHash: try reader.readHash("header.prev"),
            merkleRoot: try reader.readHash("header.merkle"),
            time: try reader.readUInt32("header.time"),
            bits: try reader.readUInt32("header.bits"),
            nonce: try reader.readUInt32("header.nonce"))
        if header.isVDF {
            header.vdfOutput = try reader.readHash("header.vdfOutput")
            header.vdfProofHash = try reader.readHash("header.vdfProofHash")
        }
        return header
    }

    /// The block hash: SHA3-256 of the 144 bytes for VDF headers; RandomX of the 80 bytes for
    /// legacy headers, computed by `legacyHasher` (nil → ``HeaderHashError/legacyHasherUnavailable``).
    public func hash(legacyHasher: (any LegacyHeaderHasher)? = nil) throws(HeaderHashError) -> Hash256 {
        if isVDF { return SHA3.hash(serialized) }
        guard let legacyHasher else { throw .legacyHasherUnavailable }
        return legacyHasher.hash(legacyHeader: serialized)
    }

    /// `hash < target(nBits)`, the proof-of-work condition for legacy headers.
    public func meetsTarget(hash: Hash256) -> Bool {
        guard let target = CompactTarget(bits: bits).target else { return false }
        return hash < target
    }
}

/// Computes the RandomX hash of an 80-byte legacy header (key `Dilithion-RandomX-v1`).
///
/// A protocol so that the codec stays free of librandomx: `DilithionRandomX` provides the real
/// one; tests of everything else use VDF (SHA3) headers and never pay for RandomX.
public protocol LegacyHeaderHasher: Sendable {
    func hash(legacyHeader: [UInt8]) -> Hash256
}

/// Raised when a legacy header must be hashed and no RandomX hasher was supplied.
public enum HeaderHashError: Error, Sendable, Equatable {
    case legacyHasherUnavailable
}
