import Foundation
import Logging
import Testing
@testable import DilithionOps

/// The HTTP server's connection handling over real loopback sockets: idle and slow clients cannot
/// keep others from being served; deadlines, limits and refusals are counted. Waits are on events
/// (a reply, a close, a gate), never on the clock.
@Suite struct HTTPServerTests {
    static let cookie = RPCCredentials(user: "__cookie__", password: String(repeating: "cd", count: 32))

    /// A JSON-RPC server over `configuration` with one method, `count`.
    static func withRPCServer(_ configuration: HTTPServerConfiguration, _ body: (UInt16, HTTPServer) throws -> Void) throws {
        var table = RPCMethodTable()
        table.register(RPCMethod(name: "count", summary: "constant") { _ throws(RPCError) in .int(42) })
        let rpc = RPCServer(table: table, authenticator: RPCAuthenticator(credentials: [cookie]), logger: Logger(label: "test.rpc"))
        let server = HTTPServer(configuration: configuration, endpoints: [Endpoint(host: "127.0.0.1", port: 0)],
                                logger: Logger(label: "test.http"), handler: rpc.handle)
        let port = try server.start()[0].port
        defer { server.stop() }
        try body(port, server)
    }

    static func call(_ port: UInt16) throws -> JSON {
        try RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port), credentials: cookie).call("count", params: [])
    }

    @Test func anAuthenticatedCallIsAnsweredWhile200IdleConnectionsAreHeld() throws {
        // Room for all 200: every one stays open while the call is answered.
        var roomy = HTTPServerConfiguration()
        roomy.maxConnections = 256
        roomy.headerTimeoutSeconds = 600  // no idle deadline may fire during the test, however slow the machine
        try Self.withRPCServer(roomy) { port, server throws in
            let idle = (0..<200).map { _ in HeldConnection(port: port) }
            defer { idle.forEach { $0.close() } }
            #expect(try Self.call(port) == .int(42))
            // Accepts are in connection order, so all 200 were in before the call, and none was closed
            // (the call's own connection may still be finishing its close).
            let statistics = server.statistics
            #expect(statistics.accepted == 201)
            #expect(statistics.closes["evicted"] == 0 && statistics.closes["idle-timeout"] == 0)
            #expect(statistics.openConnections >= 200)
        }
        // The default slots (64): the call still gets in, by closing idle connections.
        var defaults = HTTPServerConfiguration()
        defaults.headerTimeoutSeconds = 600
        try Self.withRPCServer(defaults) { port, server throws in
            let idle = (0..<200).map { _ in HeldConnection(port: port) }
            defer { idle.forEach { $0.close() } }
            #expect(try Self.call(port) == .int(42))
            #expect(server.statistics.closes["evicted"] == 200 - 64 + 1)
            #expect(server.statistics.closes["full"] == 0)
        }
    }

    @Test func idleAndHalfSentConnectionsMeetTheHeaderDeadline() throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerTimeoutSeconds = 0.2
        configuration.requestTimeoutSeconds = 0.4
        try Self.withRPCServer(configuration) { port, server throws in
            let idle = HeldConnection(port: port)
            let partialHeaders = HeldConnection(port: port)
            partialHeaders.send("POST / HTTP/1.1\r\nContent-Le")
            let partialBody = HeldConnection(port: port)
            partialBody.send("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"method\"")
            defer { [idle, partialHeaders, partialBody].forEach { $0.close() } }
            #expect(idle.readUntilClosed().isEmpty)  // closed without a word
            #expect(partialHeaders.statusUntilClosed() == 408)
            #expect(partialBody.statusUntilClosed() == 408)
            let closes = server.statistics.closes
            #expect(closes["idle-timeout"] == 1 && closes["header-timeout"] == 1 && closes["request-timeout"] == 1)
            #expect(try Self.call(port) == .int(42))
        }
    }

    @Test func whenFullTheConnectionWaitingLongestMakesRoom() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = 2
        try Self.withRPCServer(configuration) { port, server throws in
            let oldest = HeldConnection(port: port)
            let younger = HeldConnection(port: port)
            younger.send("POST / HTTP/1.1\r\n")
            defer { oldest.close(); younger.close() }
            #expect(try Self.call(port) == .int(42))
            #expect(oldest.readUntilClosed().isEmpty)
            #expect(server.statistics.closes["evicted"] == 1)
        }
    }

    @Test func onlyWhenEverySlotIsBeingAnsweredIsANewcomerRefused() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = 1
        let server = HTTPServer(configuration: configuration, endpoints: [Endpoint(host: "127.0.0.1", port: 0)],
                                logger: Logger(label: "test.http")) { _ in
            entered.signal()
            release.wait()
            return .text("done\n", status: 200)
        }
        let port = try server.start()[0].port
        defer { server.stop() }
        let busy = HeldConnection(port: port)
        defer { busy.close() }
        busy.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        entered.wait()
        let refused = HeldConnection(port: port)
        #expect(refused.statusUntilClosed() == 503)
        refused.close()
        release.signal()
        #expect(busy.statusUntilClosed() == 200)
        #expect(server.statistics.closes["full"] == 1)
    }

    @Test func perAddressLimitsTouchOnlyThatAddress() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConnectionsPerAddress = 2
        configuration.requestsPerAddressPerMinute = 1
        configuration.requestBurstPerAddress = 2
        try Self.withRPCServer(configuration) { port, server throws in
            let first = HeldConnection(port: port, from: "127.0.0.2")
            let second = HeldConnection(port: port, from: "127.0.0.2")
            let other = HeldConnection(port: port, from: "127.0.0.3")
            defer { [first, second, other].forEach { $0.close() } }
            // A third connection from 127.0.0.2 replaces that address's oldest; 127.0.0.3 keeps its own.
            let third = HeldConnection(port: port, from: "127.0.0.2")
            #expect(first.readUntilClosed().isEmpty)
            third.close()
            #expect(server.statistics.closes["evicted"] == 1)
            // Two requests from 127.0.0.4 pass (the burst), the third is refused; 127.0.0.1 is unaffected.
            let request = "POST / HTTP/1.1\r\nAuthorization: \(RPCAuthenticator.basicHeader(for: Self.cookie))\r\n"
                + "Connection: close\r\nContent-Length: 18\r\n\r\n{\"method\":\"count\"}"
            for expected in [200, 200, 429] {
                let connection = HeldConnection(port: port, from: "127.0.0.4")
                connection.send(request)
                #expect(connection.statusUntilClosed() == expected)
                connection.close()
            }
            #expect(server.statistics.closes["rate-limited"] == 1)
            #expect(try Self.call(port) == .int(42))
        }
    }

    @Test func bytesDrippedOneAtATimeStillMakeARequest() throws {
        try Self.withRPCServer(HTTPServerConfiguration()) { port, server throws in
            let body = #"{"method":"count","id":7}"#
            let request = "POST / HTTP/1.1\r\nAuthorization: \(RPCAuthenticator.basicHeader(for: Self.cookie))\r\n"
                + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            let connection = HeldConnection(port: port)
            defer { connection.close() }
            for byte in request.utf8 { connection.send([byte]) }
            let reply = connection.readUntilClosed()
            #expect(String(decoding: reply, as: UTF8.self).hasSuffix("{\"result\":42,\"error\":null,\"id\":7}\n"))
            #expect(server.statistics.requests == 1)
        }
    }

    @Test func requestsCarryTheClientAddress() throws {
        let seen = LockedValue<String>("")
        let server = HTTPServer(endpoints: [Endpoint(host: "127.0.0.1", port: 0)], logger: Logger(label: "test.http")) { request in
            seen.set(request.clientAddress)
            return .text("ok\n", status: 200)
        }
        let port = try server.start()[0].port
        defer { server.stop() }
        let connection = HeldConnection(port: port, from: "127.0.0.9")
        defer { connection.close() }
        connection.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(connection.statusUntilClosed() == 200)
        #expect(seen.get() == "127.0.0.9")
    }

    @Test func servesIPv6AndIPv4ListenersAndNamesClientsByTheirIPv4Form() throws {
        let server = HTTPServer(endpoints: [Endpoint(host: "::1", port: 0), Endpoint(host: "127.0.0.1", port: 0)],
                                logger: Logger(label: "test.http")) { request in .text(request.clientAddress, status: 200) }
        let bound = try server.start()
        defer { server.stop() }
        #expect(bound.map(\.host) == ["::1", "127.0.0.1"] && bound.allSatisfy { $0.port != 0 })
        for endpoint in bound {
            let (status, body) = try RPCClient(endpoint: endpoint, credentials: nil).post([])
            #expect(status == 200 && String(decoding: body, as: UTF8.self) == endpoint.host)
        }
        // A dual-stack socket would show an IPv4 client as ::ffff:a.b.c.d; the tables key it as a.b.c.d.
        var mapped = sockaddr_storage()
        withUnsafeMutableBytes(of: &mapped) { raw in
            raw.storeBytes(of: sa_family_t(AF_INET6), toByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_family)!, as: sa_family_t.self)
            let address = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
            for (index, byte) in ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3] as [UInt8]).enumerated() {
                raw[address + index] = byte
            }
        }
        #expect(HTTPSockets.numericAddress(of: mapped) == "10.1.2.3")
    }
}

/// A value shared with a handler thread.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}
