/// Blob sizes for generated regtest blocks, by height.
public enum BlockSizePattern: Sendable, Equatable {
    /// Every block about `bytes` long.
    case constant(Int)
    /// Every `every`-th height `large` bytes, the others `small`.
    case periodic(small: Int, large: Int, every: Int)

    /// The target blob size at `height`.
    public func size(atHeight height: Int) -> Int {
        switch self {
        case .constant(let bytes): return bytes
        case .periodic(let small, let large, let every):
            return every > 0 && height % every == 0 ? large : small
        }
    }
}
