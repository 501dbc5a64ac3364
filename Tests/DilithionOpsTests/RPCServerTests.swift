import Foundation
import Logging
import Testing
@testable import DilithionOps

/// The JSON-RPC server over a real loopback socket, with a fake method table.
@Suite struct RPCServerTests {
    static let cookie = RPCCredentials(user: "__cookie__", password: String(repeating: "ab", count: 32))
    static let user = RPCCredentials(user: "alice", password: "s3cret")

    static var table: RPCMethodTable {
        var table = RPCMethodTable()
        table.register(RPCMethod(name: "echo", parameterNames: ["value", "extra"], requiredCount: 1, summary: "echo") {
            params throws(RPCError) in params[0]
        })
        table.register(RPCMethod(name: "count", summary: "constant") { _ throws(RPCError) in .int(42) })
        table.register(RPCMethod(name: "fail", parameterNames: ["code"], requiredCount: 1, summary: "fails") {
            params throws(RPCError) in throw RPCError(code: Int(params[0].intValue ?? -1), message: "failed as asked")
        })
        return table
    }

    /// Runs `body` with a server on a free loopback port.
    static func withServer(
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(), warmup: String? = nil,
        _ body: (UInt16, RPCServer) throws -> Void
    ) throws {
        let rpc = RPCServer(table: table, authenticator: RPCAuthenticator(credentials: [cookie, user]),
                            logger: Logger(label: "test.rpc"), warmupMessage: warmup)
        let http = HTTPServer(configuration: configuration, endpoints: [Endpoint(host: "127.0.0.1", port: 0)],
                              logger: Logger(label: "test.http"), handler: rpc.handle)
        let bound = try http.start()
        defer { http.stop() }
        try body(bound[0].port, rpc)
    }

    static let cookieAuth = RPCAuthenticator.basicHeader(for: cookie)

    @Test func cookieAndUserPasswordAreAccepted() throws {
        try Self.withServer { port, _ throws in
            let client = RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port), credentials: Self.cookie)
            #expect(try client.call("count", params: []) == .int(42))
            let userClient = RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port), credentials: Self.user)
            #expect(try userClient.call("echo", params: [.string("hi")]) == .string("hi"))
        }
    }

    @Test func wrongOrMissingAuthIs401() throws {
        try Self.withServer { port, _ throws in
            let body = #"{"method":"count","params":[],"id":1}"#
            let wrong = RPCAuthenticator.basicHeader(for: RPCCredentials(user: "alice", password: "wrong"))
            #expect(try LoopbackHTTP.post(port: port, body: body, authorization: wrong).status == 401)
            #expect(try LoopbackHTTP.post(port: port, body: body, authorization: nil).status == 401)
            #expect(try LoopbackHTTP.post(port: port, body: body, authorization: "Basic !!notbase64").status == 401)
            #expect(try LoopbackHTTP.post(port: port, body: body, authorization: "Bearer abc").status == 401)
            let client = RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port),
                                   credentials: RPCCredentials(user: "__cookie__", password: "00"))
            #expect(throws: RPCClientError.unauthorized) { try client.call("count", params: []) }
        }
    }

    @Test func errorCodesAndStatuses() throws {
        try Self.withServer { port, _ throws in
            func call(_ body: String) throws -> (Int, Int64?) {
                let reply = try LoopbackHTTP.post(port: port, body: body, authorization: Self.cookieAuth)
                return (reply.status, reply.json?["error"]?["code"]?.intValue)
            }
            #expect(try call("{not json") == (500, -32700))
            #expect(try call("") == (500, -32700))
            #expect(try call("[1,2") == (500, -32700))
            #expect(try call("42") == (400, -32600))
            #expect(try call(#"{"method":7,"id":1}"#) == (400, -32600))
            #expect(try call(#"{"method":"count","params":"x","id":1}"#) == (400, -32600))
            #expect(try call(#"{"jsonrpc":"3.0","method":"count","id":1}"#) == (400, -32600))
            #expect(try call(#"{"method":"nosuch","id":1}"#) == (404, -32601))
            #expect(try call(#"{"method":"echo","params":[],"id":1}"#) == (500, -32602))
            #expect(try call(#"{"method":"echo","params":[1,2,3],"id":1}"#) == (500, -32602))
            #expect(try call(#"{"method":"echo","params":{"bogus":1},"id":1}"#) == (500, -32602))
            #expect(try call(#"{"method":"fail","params":[-8],"id":1}"#) == (500, -8))
            #expect(try call(#"{"method":"fail","params":[-5],"id":1}"#) == (500, -5))
            #expect(try call(#"{"jsonrpc":"2.0","method":"nosuch","id":1}"#) == (200, -32601))
        }
    }

    @Test func repliesInBothDialects() throws {
        try Self.withServer { port, _ throws in
            let legacy = try LoopbackHTTP.post(port: port, body: #"{"method":"echo","params":{"value":"v"},"id":"a"}"#,
                                               authorization: Self.cookieAuth)
            #expect(legacy.status == 200)
            #expect(legacy.json == .object([("result", .string("v")), ("error", .null), ("id", .string("a"))]))
            let modern = try LoopbackHTTP.post(port: port, body: #"{"jsonrpc":"2.0","method":"count","id":7}"#,
                                               authorization: Self.cookieAuth)
            #expect(modern.json == .object([("jsonrpc", .string("2.0")), ("result", .int(42)), ("id", .int(7))]))
            let notification = try LoopbackHTTP.post(port: port, body: #"{"jsonrpc":"2.0","method":"count"}"#,
                                                     authorization: Self.cookieAuth)
            #expect(notification.status == 204)
        }
    }

    @Test func batchesAnswerEveryCallInOrder() throws {
        try Self.withServer { port, _ throws in
            let body = #"[{"jsonrpc":"2.0","method":"count","id":1},{"jsonrpc":"2.0","method":"nosuch","id":2},5,{"jsonrpc":"2.0","method":"count"}]"#
            let reply = try LoopbackHTTP.post(port: port, body: body, authorization: Self.cookieAuth)
            #expect(reply.status == 200)
            guard case .array(let items)? = reply.json else {
                Issue.record("batch reply is not an array: \(reply.text)")
                return
            }
            #expect(items.count == 3)
            #expect(items[0]["result"] == .int(42))
            #expect(items[1]["error"]?["code"] == .int(-32601))
            #expect(items[2]["error"]?["code"] == .int(-32600))
            let empty = try LoopbackHTTP.post(port: port, body: "[]", authorization: Self.cookieAuth)
            #expect(empty.json?["error"]?["code"] == .int(-32600))
        }
    }

    @Test func warmupAnswersMinus28UntilFinished() throws {
        try Self.withServer(warmup: "Starting network...") { port, rpc throws in
            let client = RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port), credentials: Self.cookie)
            #expect(throws: RPCClientError.rpc(RPCError(code: -28, message: "Starting network..."))) {
                try client.call("count", params: [])
            }
            rpc.finishWarmup()
            #expect(try client.call("count", params: []) == .int(42))
        }
    }

    @Test func oversizedAndMalformedRequestsAreRefused() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxBodyBytes = 1024
        configuration.maxHeaderBytes = 512
        try Self.withServer(configuration: configuration) { port, _ throws in
            let big = String(repeating: " ", count: 2048)
            #expect(try LoopbackHTTP.post(port: port, body: big, authorization: Self.cookieAuth).status == 413)
            let longHeader = "X-Filler: " + String(repeating: "a", count: 1024) + "\r\n"
            #expect(try LoopbackHTTP.post(port: port, body: "{}", authorization: Self.cookieAuth, extraHeaders: longHeader).status == 431)
            #expect(try LoopbackHTTP.exchange(port: port, raw: Array("GARBAGE\r\n\r\n".utf8)).status == 400)
            #expect(try LoopbackHTTP.exchange(port: port, raw: Array("POST / HTTP/2.0\r\n\r\n".utf8)).status == 505)
            let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            #expect(try LoopbackHTTP.exchange(port: port, raw: Array(chunked.utf8)).status == 501)
            let get = "GET / HTTP/1.1\r\nAuthorization: \(Self.cookieAuth)\r\nConnection: close\r\n\r\n"
            #expect(try LoopbackHTTP.exchange(port: port, raw: Array(get.utf8)).status == 405)
            // The server still answers normally afterwards.
            let client = RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port), credentials: Self.cookie)
            #expect(try client.call("count", params: []) == .int(42))
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        try Self.withServer { port, _ throws in
            let body = #"{"method":"count","id":1}"#
            let one = "POST / HTTP/1.1\r\nAuthorization: \(Self.cookieAuth)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let last = "POST / HTTP/1.1\r\nAuthorization: \(Self.cookieAuth)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            // Two pipelined requests on one connection: two replies, the first keep-alive.
            let raw = String(decoding: LoopbackHTTP.exchangeRaw(port: port, raw: Array((one + last).utf8)), as: UTF8.self)
            #expect(raw.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            #expect(raw.contains("Connection: keep-alive"))
            #expect(raw.hasSuffix("{\"result\":42,\"error\":null,\"id\":1}\n"))
        }
    }
}
