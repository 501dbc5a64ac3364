import DilithionWire

/// Read access to the known headers: what ``HeaderBatchPrecheck`` needs of the tree (the narrow
/// interface through which a sync component checks a batch before hashing it).
public protocol HeaderIndex: HeaderAncestry {
    /// The record of `hash` on any branch.
    func record(for hash: Hash256) -> HeaderRecord?
    /// Height of the best header.
    var bestHeight: Int { get }
    /// Height at which the branch of `hash` leaves the best chain (its own height when it is on
    /// it); nil for an unknown hash.
    func bestChainForkHeight(of hash: Hash256) -> Int?
}
