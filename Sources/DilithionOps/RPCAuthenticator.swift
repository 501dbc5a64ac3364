import Foundation

/// Checks HTTP Basic credentials against the cookie and the optional `rpcuser`/`rpcpassword`,
/// comparing in constant time so the response time does not reveal how much of a guess matched.
public struct RPCAuthenticator: Sendable {
    /// Accepted `user:password` byte strings.
    private let accepted: [[UInt8]]

    /// Accepts any of `credentials` (e.g. the cookie's and the configured user's).
    public init(credentials: [RPCCredentials]) {
        accepted = credentials.map { Array("\($0.user):\($0.password)".utf8) }
    }

    /// Whether an `Authorization` header value carries accepted credentials.
    public func isAuthorized(_ authorization: String?) -> Bool {
        guard let authorization, authorization.count < 4096 else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Data(base64Encoded: String(parts[1].trimmingWhitespace())) else { return false }
        let offered = [UInt8](decoded)
        var matched = false
        for candidate in accepted where Self.constantTimeEqual(candidate, offered) { matched = true }
        return matched
    }

    /// The `Authorization` header value for `credentials`.
    public static func basicHeader(for credentials: RPCCredentials) -> String {
        "Basic " + Data("\(credentials.user):\(credentials.password)".utf8).base64EncodedString()
    }

    /// Equal length and bytes; time depends on the lengths only.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
