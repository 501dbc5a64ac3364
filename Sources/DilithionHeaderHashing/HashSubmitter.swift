/// Who submitted a batch: the unit of ordering, fairness, budget and cancellation (a peer, for the
/// node). An opaque number, so this module needs nothing of the network layer.
public struct HashSubmitter: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "submitter \(rawValue)" }
}
