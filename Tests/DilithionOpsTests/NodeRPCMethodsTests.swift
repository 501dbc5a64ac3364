import DilithionSystem
import DilithionWire
import Testing
@testable import DilithionNodeOps
@testable import DilithionOps

/// The node methods' parameter handling, results and Core error codes, against a fake node.
@Suite struct NodeRPCMethodsTests {
    let node = FakeNodeBackend(network: .regtest)

    func table(onStop: @escaping @Sendable () -> Void = {}) -> RPCMethodTable { RPCMethodTable.node(node, requestStop: onStop) }

    func code(_ method: String, _ params: [JSON]) -> Int? {
        do {
            _ = try table().call(method, params: .array(params))
            return nil
        } catch {
            return error.code
        }
    }

    @Test func everyRequiredMethodIsRegistered() {
        let names = Set(table().names)
        for name in ["getpeerinfo", "getnetworkinfo", "getconnectioncount", "getnettotals", "getblockchaininfo",
                     "getblockcount", "getbestblockhash", "getblockhash", "getblockheader", "getblock", "addnode",
                     "disconnectnode", "setban", "listbanned", "clearbanned", "generate", "setmocktime", "uptime", "stop", "help"] {
            #expect(names.contains(name), "\(name) missing")
        }
    }

    @Test func generateAndSetMockTimeExistOnlyOnRegtest() {
        let mainnet = RPCMethodTable.node(FakeNodeBackend(network: .mainnet)) {}
        #expect(mainnet["generate"] == nil)
        #expect(throws: RPCError.methodNotFound("generate")) { try mainnet.call("generate", params: .array([.int(1)])) }
        #expect(mainnet["setmocktime"] == nil)
    }

    @Test func setMockTimeMovesForwardOnly() throws {
        let table = table()
        #expect(try table.call("setmocktime", params: .array([.int(node.now + 3600)])) == .null)
        #expect(node.mockTimes == [node.now + 3600])
        #expect(code("setmocktime", [.int(node.now - 1)]) == -8)
        #expect(code("setmocktime", []) == -32602)
    }

    @Test func chainQueries() throws {
        let table = table()
        #expect(try table.call("getblockcount", params: nil) == .int(2))
        #expect(try table.call("getbestblockhash", params: nil) == .string(node.hashes[2].displayHex))
        #expect(try table.call("getblockhash", params: .array([.int(1)])) == .string(node.hashes[1].displayHex))
        #expect(try table.call("getblockhash", params: .array([.string("1")])) == .string(node.hashes[1].displayHex))
        #expect(try table.call("getconnectioncount", params: nil) == .int(3))
        #expect(try table.call("uptime", params: nil) == .int(100))
        let header = try table.call("getblockheader", params: .array([.string(node.hashes[1].displayHex)]))
        #expect(header["height"] == .int(1))
        #expect(header["previousblockhash"] == .string(node.hashes[0].displayHex))
        #expect(header["nextblockhash"] == .string(node.hashes[2].displayHex))
        #expect(header["bits"] == .string("207fffff"))
        let raw = try table.call("getblockheader", params: .array([.string(node.hashes[1].displayHex), .bool(false)]))
        #expect(raw.stringValue?.count == BlockHeader.vdfSize * 2)
        #expect(try table.call("getblock", params: .array([.string(node.hashes[0].displayHex), .int(0)])) == .string("abcd"))
        let named = try table.call("getblockhash", params: .object([("height", .int(2))]))
        #expect(named == .string(node.hashes[2].displayHex))
    }

    @Test func parameterErrorsUseCoreCodes() {
        #expect(code("getblockhash", [.int(3)]) == -8)
        #expect(code("getblockhash", [.int(-1)]) == -8)
        #expect(code("getblockhash", [.bool(true)]) == -3)
        #expect(code("getblockhash", []) == -32602)
        #expect(code("getblockheader", [.string("abc")]) == -8)
        #expect(code("getblockheader", [.string(String(repeating: "z", count: 64))]) == -8)
        #expect(code("getblockheader", [.string(String(repeating: "0", count: 64))]) == -5)
        #expect(code("getblock", [.string(node.hashes[0].displayHex), .int(2)]) == -8)
        #expect(code("getblock", [.string(node.hashes[2].displayHex)]) == -1)
        #expect(code("addnode", [.string("127.0.0.1"), .string("frob")]) == -8)
        #expect(code("addnode", [.string("example.com"), .string("add")]) == -5)
        #expect(code("disconnectnode", []) == -32602)
        #expect(code("disconnectnode", [.string("127.0.0.1:1"), .int(1)]) == -32602)
        #expect(code("disconnectnode", [.string("127.0.0.9:1")]) == -29)
        #expect(code("disconnectnode", [.string(""), .int(1)]) == nil)
        #expect(code("setban", [.string("bad"), .string("add")]) == -30)
        #expect(code("setban", [.string("10.0.0.1"), .string("remove")]) == -30)
        #expect(code("setban", [.string("10.0.0.1"), .string("add"), .int(0)]) == -8)
        #expect(code("setban", [.string("10.0.0.1"), .string("add"), .int(60)]) == nil)
        #expect(code("generate", [.int(0)]) == -8)
        #expect(code("generate", [.int(1), .int(0)]) == -8)
        #expect(code("help", [.string("nosuch")]) == -8)
    }

    @Test func addnodeReportsAlreadyAddedAndNotAdded() throws {
        let table = table()
        _ = try table.call("addnode", params: .array([.string("127.0.0.1:5"), .string("add")]))
        #expect(throws: RPCError(code: -23, message: "Node already added")) {
            try table.call("addnode", params: .array([.string("127.0.0.1:5"), .string("add")]))
        }
        _ = try table.call("addnode", params: .array([.string("127.0.0.1:5"), .string("remove")]))
        #expect(throws: RPCError.self) { try table.call("addnode", params: .array([.string("127.0.0.1:5"), .string("remove")])) }
        #expect(code("addnode", [.string("127.0.0.2:5"), .string("remove")]) == -24)
    }

    @Test func listbannedAndNetworkShapes() throws {
        let table = table()
        let banned = try table.call("listbanned", params: nil)
        #expect(banned == .array([.object([
            ("address", .string("10.0.0.1")), ("ban_created", .int(1_700_000_090)), ("banned_until", .int(1_700_000_150)),
            ("ban_duration", .int(60)), ("time_remaining", .int(50)), ("reason", .string("manual")),
        ])]))
        let totals = try table.call("getnettotals", params: nil)
        #expect(totals["totalbytessent"] == .int(20))
        let info = try table.call("getblockchaininfo", params: nil)
        #expect(info["chain"] == .string("regtest"))
        #expect(info["size_on_disk"] == .int(100))
    }

    @Test func stopRequestsShutdown() throws {
        let stopped = ShutdownLatch()
        let table = table { stopped.request(reason: "stop RPC") }
        #expect(try table.call("stop", params: nil) == .string("Dilithion node stopping"))
        #expect(stopped.requestedReason == "stop RPC")
    }
}
