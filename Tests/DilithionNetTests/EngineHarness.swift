import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire
import Logging

/// Builds a started engine listening on 127.0.0.1:0 with a manual clock (so no deadline can fire
/// unless the test advances it: every delivery the tests see comes from a wakeup, not a timeout).
struct EngineHarness {
    let engine: Engine
    let clock: ManualClock
    let address: SocketAddress

    init(
        handlers: MessageHandlers,
        listen: [SocketAddress] = [.ipv4Loopback()],
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        configure: (inout EngineConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = EngineConfiguration(network: .regtest, listenAddresses: listen)
        configure(&configuration)
        clock = ManualClock()
        engine = try Engine(configuration: configuration, handlers: handlers, clock: clock, logger: logger)
        let addresses = try engine.start()
        address = addresses.first ?? .ipv4Loopback()
    }

    func client(receiveBufferBytes: Int32? = nil) throws -> TestClient {
        try TestClient(connectingTo: address, receiveBufferBytes: receiveBufferBytes)
    }
}
