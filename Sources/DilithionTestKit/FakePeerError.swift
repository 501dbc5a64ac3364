/// Why a ``FakePeer`` or ``FakePeerListener`` could not be set up.
///
/// Every case carries what a test log needs to tell a refused connection (the node is not
/// listening) from a misuse of the kit (an address that is not loopback).
public enum FakePeerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The host is not a loopback address (`127.0.0.0/8` or `::1`); the kit never dials anything else.
    case notLoopback(host: String)
    /// The host is not a numeric IPv4 or IPv6 address (nor `localhost`).
    case invalidAddress(host: String)
    /// `socket(2)` or a socket option failed with `errno`.
    case socketFailed(errno: Int32)
    /// `connect(2)` to `host`:`port` failed with `errno` (`ECONNREFUSED` when nothing listens there).
    case connectFailed(host: String, port: UInt16, errno: Int32)
    /// `bind(2)` or `listen(2)` of a ``FakePeerListener`` failed with `errno`.
    case listenFailed(errno: Int32)
    /// ``FakePeerListener/accept(timeout:)`` saw no connection within its time limit.
    case acceptTimedOut

    /// One line for a test failure message.
    public var description: String {
        switch self {
        case .notLoopback(let host): return "not a loopback address: \(host)"
        case .invalidAddress(let host): return "not a numeric address: \(host)"
        case .socketFailed(let code): return "socket failed (errno \(code))"
        case .connectFailed(let host, let port, let code): return "connect to \(host) port \(port) failed (errno \(code))"
        case .listenFailed(let code): return "listen failed (errno \(code))"
        case .acceptTimedOut: return "no connection arrived in time"
        }
    }
}
