/// A user name and password for HTTP Basic authentication on the RPC port.
public struct RPCCredentials: Sendable, Equatable {
    /// The user name (no `:`).
    public var user: String
    /// The password.
    public var password: String

    /// Creates credentials.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}
