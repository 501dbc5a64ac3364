import DilithionWire

/// Known-good block hashes at fixed heights, per network.
///
/// A header at a checkpoint height must have the checkpoint's hash, forks that branch below the
/// highest checkpoint are refused, and legacy proof-of-work is not re-checked at or below it (as
/// the C++ header sync does, PROTOCOL.md §4.3).
public struct Checkpoints: Sendable, Equatable {
    /// Height → expected block hash.
    public let hashes: [Int: Hash256]

    /// Checkpoints from a height → hash table.
    public init(_ hashes: [Int: Hash256]) { self.hashes = hashes }

    /// No checkpoints.
    public static let none = Checkpoints([:])

    /// The built-in list for a network. Regtest has none by design; the public networks' lists are
    /// empty until hashes from the C++ chain parameters are verified against running nodes (the
    /// captured testnet chain in `vectors/` is a private reset, not the public chain).
    public static func of(_ network: Network) -> Checkpoints {
        switch network {
        case .mainnet, .testnet, .dilv, .regtest: return .none
        }
    }

    /// The highest checkpointed height, or nil when there are none.
    public var highestHeight: Int? { hashes.keys.max() }

    /// Throws ``ChainRejection/checkpointMismatch(height:)`` when `height` is checkpointed with
    /// another hash.
    public func check(height: Int, hash: Hash256) throws(ChainRejection) {
        if let expected = hashes[height], expected != hash { throw .checkpointMismatch(height: height) }
    }
}
