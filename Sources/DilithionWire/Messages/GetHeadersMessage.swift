/// `getheaders`: cs(n) ‖ n × hash32 (block locator, n ≤ 32) ‖ hash32 hashStop (zero = as many as
/// possible). Note: no leading protocol version field, unlike Bitcoin.
public struct GetHeadersMessage: Hashable, Sendable {
    public var locator: [Hash256]
    public var hashStop: Hash256

    public init(locator: [Hash256], hashStop: Hash256 = .zero) {
        self.locator = locator
        self.hashStop = hashStop
    }
}
