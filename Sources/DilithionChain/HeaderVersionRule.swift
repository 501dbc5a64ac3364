import DilithionWire

/// Which header layout a network accepts at a height (C++ `vdfActivationHeight`,
/// `vdfExclusiveHeight`, enforced in `CheckProofOfWorkDFMP`): mainnet never activated VDF blocks, so
/// a VDF header there (free to make, with a claim of work) is refused; testnet and DilV take only VDF
/// headers from genesis, so a legacy header there (a RandomX hash to compute) is refused before it
/// costs one.
public struct HeaderVersionRule: Sendable, Equatable {
    /// VDF headers (nVersion ≥ 4) are valid from this height.
    public var vdfFromHeight: Int
    /// Legacy headers (nVersion < 4) are valid below this height.
    public var legacyBelowHeight: Int

    public init(vdfFromHeight: Int, legacyBelowHeight: Int) {
        self.vdfFromHeight = vdfFromHeight
        self.legacyBelowHeight = legacyBelowHeight
    }

    /// Legacy headers only (mainnet: the C++ activation heights are 999,999,999; our legacy regtest).
    public static let legacyOnly = HeaderVersionRule(vdfFromHeight: .max, legacyBelowHeight: .max)
    /// VDF headers only (testnet, DilV, our regtest).
    public static let vdfOnly = HeaderVersionRule(vdfFromHeight: 0, legacyBelowHeight: 0)

    /// Why `header` may not sit at `height`, or nil. A version ≤ 0 is refused above the checkpoints
    /// (the C++ headers sync refuses it there; `vouchedByCheckpoint` lifts that check, as there).
    func violation(_ header: BlockHeader, height: Int, vouchedByCheckpoint: Bool) -> ChainRejection? {
        let allowed =
            header.isVDF
            ? height >= vdfFromHeight
            : height < legacyBelowHeight && (vouchedByCheckpoint || header.version > 0)
        return allowed ? nil : .unexpectedVersion(version: header.version, height: height)
    }
}
