import Logging
import Testing
@testable import DilithionOps

@Suite struct LoggingTests {
    @Test func parsesDefaultAndPerCategoryLevels() throws {
        let levels = try LogLevels.parse("warning,net=debug,SYNC=trace").get()
        #expect(levels.level(for: .net) == .debug)
        #expect(levels.level(for: .sync) == .trace)
        #expect(levels.level(for: .rpc) == .warning)
        #expect(levels.level(for: nil) == .warning)
        #expect(levels.level(forAnyOf: NodeLogHandler.nodeCategories) == .trace)
        #expect(try LogLevels.parse("debug").get() == LogLevels(defaultLevel: .debug))
        #expect(throws: LogLevelsParseError.self) { try LogLevels.parse("net=").get() }
        #expect(throws: LogLevelsParseError.self) { try LogLevels.parse("").get() }
    }

    @Test func handlerLevelFollowsTheLabelsCategory() {
        let levels = LogLevels(defaultLevel: .info, overrides: [.net: .debug, .store: .trace])
        #expect(NodeLogHandler(label: "dilithion.net", levels: levels, sink: .standardError).logLevel == .debug)
        #expect(NodeLogHandler(label: "dilithion.rpc", levels: levels, sink: .standardError).logLevel == .info)
        #expect(NodeLogHandler(label: NodeLogHandler.nodeLabel, levels: levels, sink: .standardError).logLevel == .trace)
    }

    @Test func linesAreStableAndSingleLine() {
        let line = NodeLogHandler.format(time: (0, 7), level: .info, category: "net", message: "peer said \"hi\nforged\"",
                                         metadata: ["peer": "3", "addr": "10.2.3.4:5"])
        #expect(line == "1970-01-01T00:00:00.007Z info [net] peer said \"hi\\x0aforged\" addr=10.2.3.4:5 peer=3")
    }
}
