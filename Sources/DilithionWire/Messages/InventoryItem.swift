/// An inventory vector (36 bytes): type u32 ‖ hash32, as in `inv` and `getdata`.
///
/// The type is kept raw so that unknown types survive decoding; the peer layer decides what to do
/// with them (the C++ node skips each and adds 10 points).
public struct InventoryItem: Hashable, Sendable {
    public enum Kind: UInt32, Sendable {
        case transaction = 1
        case block = 2
        case filteredBlock = 3
        case compactBlock = 4
    }

    public var type: UInt32
    public var hash: Hash256

    public static let encodedSize = 36

    public init(type: UInt32, hash: Hash256) {
        self.type = type
        self.hash = hash
    }

    public init(_ kind: Kind, hash: Hash256) { self.init(type: kind.rawValue, hash: hash) }

    /// The known kind, or nil for a type the protocol does not define.
    public var kind: Kind? { Kind(rawValue: type) }
}
