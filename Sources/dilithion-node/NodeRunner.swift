import DilithionAttestation
import DilithionNode
import DilithionNodeOps
import DilithionOps
import DilithionSystem
import DilithionWire
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Runs one node process: lock the data directory, set up logging and signals, open the node, serve
/// RPC and metrics, wait for a shutdown request, stop everything in order.
///
/// Phases (each logs one line): starting → data directory locked → store opened → [seed attestation
/// ready] → rpc listening → reactor started → dispatcher started → [attestation listening] →
/// [metrics listening] → running → shutdown requested →
/// rpc stopped → node stopped → shutdown complete. A shutdown request in any phase skips the
/// phases not yet begun and goes straight to stopping what has started.
struct NodeRunner {
    /// How long the orderly shutdown may take before the process exits anyway (status 1). The node
    /// drains, flushes and checkpoints the store within a few seconds; the rest is margin for a
    /// slow disk.
    static let shutdownDeadlineSeconds: Double = 60

    let options: NodeOptions

    /// Returns the exit status.
    func run() -> Int32 {
        // Signals first: a SIGTERM that arrives while the data directory is locked or logging is
        // set up must become an orderly shutdown (exit 0), not the default action that kills the
        // process (found by scripts/reliability/sigterm-phases). The watcher's thread lives as long
        // as the process; a second signal exits from there.
        let shutdown = ShutdownLatch()
        SignalWatcher.ignoreBrokenPipe()
        _ = SignalWatcher { number in
            shutdown.request(reason: number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)")
        }

        if let failure = makeDataDirectory() {
            printError("dilithion-node: cannot create the data directory \(options.dataDirectory): \(failure)")
            return 1
        }
        let lock: LockFile
        do {
            lock = try LockFile(path: options.lockFilePath)
        } catch {
            printError("dilithion-node: \(error)")
            return LockFileError.exitCode
        }
        defer { lock.release() }

        let sink: LogSink
        if options.printToConsole {
            sink = .standardError
        } else {
            do {
                sink = try LogSink(appendingTo: options.logFilePath)
            } catch {
                printError("dilithion-node: \(error)")
                return 1
            }
        }
        LoggingSystem.bootstrap(NodeLogHandler.factory(levels: options.logLevels, sink: sink))
        let logger = Logger(label: "dilithion.main")
        logger.info("starting", metadata: [
            "version": "\(NodeConfiguration.softwareVersion)", "network": "\(options.network.rawValue)",
            "datadir": "\(options.dataDirectory)", "conf": "\(options.configFile ?? "none")", "pid": "\(getpid())"])
        logger.info("data directory locked", metadata: ["lock": "\(options.lockFilePath)"])

        let node: Node
        do {
            node = try Node(
                configuration: options.nodeConfiguration, logger: Logger(label: NodeLogHandler.nodeLabel),
                categoryLogger: { Logger(label: "dilithion.\($0)") })
        } catch {
            logger.critical("cannot open the node: \(error)")
            printError("dilithion-node: cannot open the node: \(error)")
            return 1
        }

        var servers: [HTTPServer] = []
        let status = startAndServe(node: node, shutdown: shutdown, logger: logger, servers: &servers)

        let reason = shutdown.requestedReason ?? "startup failure"
        logger.info("shutdown requested", metadata: ["reason": "\(reason)"])
        let done = ShutdownLatch()
        let deadline = NativeThread {
            if done.wait(seconds: Self.shutdownDeadlineSeconds) == nil {
                printError("dilithion-node: shutdown did not finish within \(Int(Self.shutdownDeadlineSeconds)) s; exiting")
                _exit(1)
            }
        }
        for server in servers { server.stop() }
        logger.info("rpc stopped")
        node.stop()
        logger.info("node stopped")
        CookieFile.remove(path: options.cookieFilePath)
        done.request(reason: "finished")
        deadline.join()
        logger.info("shutdown complete", metadata: ["exit": "\(status)"])
        return status
    }

    /// Starts RPC, the node, the attestation endpoint and metrics unless a shutdown is requested
    /// first, then waits for one. Returns 0, or 1 when a part could not start.
    private func startAndServe(node: Node, shutdown: ShutdownLatch, logger: Logger, servers: inout [HTTPServer]) -> Int32 {
        guard shutdown.requestedReason == nil else { return 0 }
        func fail(_ what: String, _ error: Any) -> Int32 {
            logger.critical("\(what)\(error)")
            printError("dilithion-node: \(what)\(error)")
            return 1
        }
        // Attestation first: a bad key or data file is reported before any port opens.
        let attestation: AttestationSetup?
        let attestationParameters: AttestationParameters
        do {
            attestationParameters = try AttestationSetup.parameters(options: options)
            attestation = options.attestBind.isEmpty ? nil : try AttestationSetup.make(options: options) { node.now }
        } catch {
            return fail("seed attestation: ", error)
        }
        if let attestation { logAttestation(attestation, logger: logger) }

        let rpcLogger = Logger(label: "dilithion.rpc")
        var accepted: [RPCCredentials] = []
        do {
            accepted.append(try CookieFile.create(path: options.cookieFilePath))
        } catch {
            return fail("", error)
        }
        if let credentials = options.rpcCredentials { accepted.append(credentials) }
        var table = RPCMethodTable.node(node) { shutdown.request(reason: "stop RPC") }
        table.registerAttestationChecks(parameters: attestationParameters, node: node)
        let rpc = RPCServer(table: table, authenticator: RPCAuthenticator(credentials: accepted), logger: rpcLogger,
                            warmupMessage: "Starting network...")
        let rpcHTTP = HTTPServer(endpoints: options.rpcBind, logger: rpcLogger, handler: rpc.handle)
        do {
            let bound = try rpcHTTP.start()
            servers.append(rpcHTTP)
            logger.info("rpc listening", metadata: ["addresses": "\(bound.map(\.description).joined(separator: " "))"])
        } catch {
            return fail("rpc: ", error)
        }

        guard shutdown.requestedReason == nil else { return 0 }
        do {
            try node.start()
        } catch {
            return fail("cannot start the node: ", error)
        }
        rpc.finishWarmup()

        var attestHTTP: HTTPServer?
        if let attestation {
            let attestLogger = Logger(label: "dilithion.attest")
            let endpoint = AttestationEndpoint(service: attestation.service, logger: attestLogger)
            let server = HTTPServer(configuration: .publicAttestation, endpoints: options.attestBind, logger: attestLogger,
                                    refusal: AttestationEndpoint.refusal, handler: endpoint.handle)
            do {
                let bound = try server.start()
                servers.append(server)
                attestHTTP = server
                logger.info("attestation listening", metadata: [
                    "addresses": "\(bound.map(\.description).joined(separator: " "))", "method": "getmikattestation"])
            } catch {
                return fail("attestation: ", error)
            }
        }

        if options.metricsPort != 0 {
            let metricsHTTP = HTTPServer(
                endpoints: [Endpoint(host: "127.0.0.1", port: options.metricsPort)], logger: rpcLogger
            ) { [attestHTTP] request in
                guard request.method == "GET" || request.method == "HEAD" else { return .text("GET only\n", status: 405) }
                guard request.target == "/metrics" else { return .text("see /metrics\n", status: 404) }
                var text = node.metricsSnapshot().prometheusText
                var httpServers = [(name: "rpc", statistics: rpcHTTP.statistics)]
                if let attestHTTP, let attestation {
                    httpServers.append((name: "attest", statistics: attestHTTP.statistics))
                    text += attestation.service.statistics.prometheusText
                }
                text += HTTPServerStatistics.prometheusText(httpServers)
                text += ProcessStatistics.current()?.prometheusText ?? ""
                return .text(text, status: 200, contentType: PrometheusText.contentType)
            }
            do {
                let bound = try metricsHTTP.start()
                servers.append(metricsHTTP)
                logger.info("metrics listening", metadata: ["address": "\(bound.map(\.description).joined(separator: " "))"])
            } catch {
                return fail("metrics: ", error)
            }
        }
        logger.info("running", metadata: ["tip": "\(node.blockchainInfo().blocks)"])
        _ = shutdown.wait()
        return 0
    }

    /// One log line for the attestation set-up; a new key's public key also goes to standard error,
    /// where the operator sees it (it must be listed as a seed key before the endpoint can start).
    private func logAttestation(_ setup: AttestationSetup, logger: Logger) {
        if setup.keyCreated {
            printError("dilithion-node: created the seed attestation key \(options.attestKeyPath); public key "
                + HexCoding.encode(setup.publicKey))
        }
        let report = setup.asnReport
        logger.info("seed attestation ready", metadata: [
            "seed_id": "\(setup.service.seedID)", "key": "\(HexCoding.encode(setup.publicKey.prefix(8)))",
            "key_file": "\(options.attestKeyPath)", "asn_ranges": "\(report.ranges)",
            "asn_skipped": "\(report.notRouted + report.malformed)",
            "datacenter_asns": "\(setup.datacenterASNs.asns.count)", "rate_limit": "\(options.attestationRateLimit)/24/day"])
        if !setup.datacenterASNs.malformedLines.isEmpty {
            logger.warning("datacenter ASN list: lines skipped (not an ASN)", metadata: [
                "file": "\(options.datacenterASNsPath)", "lines": "\(setup.datacenterASNs.malformedLines.map(String.init).joined(separator: ","))"])
        }
    }

    private func makeDataDirectory() -> String? {
        do {
            try FileManager.default.createDirectory(
                atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return nil
        } catch {
            return "\(error.localizedDescription)"
        }
    }
}
