import DilithionWire

/// The command line of `fakepeer` (see ``FakePeerOptions/usage``).
struct FakePeerOptions {
    /// How a session ends.
    enum Ending: String {
        /// `close(2)`: FIN after the queued bytes.
        case close
        /// `shutdown(SHUT_WR)`, then read until the node closes or the hold time ends.
        case halfClose = "half-close"
        /// `SO_LINGER` 0 then `close(2)`: the kernel sends RST.
        case reset
        /// `_exit(0)` with the socket still open (the kernel closes it, as for a killed process).
        case exit
    }

    /// One item to send, in command-line order.
    enum Payload {
        case raw([UInt8])
        case frame(command: String, payload: [UInt8])
    }

    var host = "127.0.0.1"
    var port: UInt16 = 0
    /// The loopback address to connect from (nil: the kernel's choice).
    var sourceHost: String?
    /// After the handshake: free headers forking at this height, this many (``FreeHeaderAttack``).
    var freeHeaders: (forkHeight: Int, count: Int)?
    var network = Network.regtest
    var handshake = true
    var payloads: [Payload] = []
    var chunkSize = 0
    var paceMilliseconds = 0
    var pings = 0
    var pingIntervalMilliseconds = 0
    var stopReading = false
    var holdSeconds = 0.0
    var ending = Ending.close
    var repeatCount = 1
    var quiet = false

    static let usage = """
        usage: fakepeer --connect HOST:PORT [options]
        A raw P2P peer for reliability tests. Connects only to loopback addresses (127.0.0.0/8, ::1).
          --connect HOST:PORT    the node to connect to (loopback only)
          --network NAME         magic of regtest (default), testnet, mainnet or dilv
          --from HOST            connect from this loopback address (127.0.0.2, ...): the node counts and bans per address
          --no-handshake         send no version/verack (default: complete the handshake first)
          --send-hex HEX         raw bytes to send (repeatable, in order)
          --send-frame CMD:HEX   a well-formed frame with payload HEX (repeatable, in order)
          --free-headers H:N     learn the node's headers up to height H, then send N free v4 headers forking
                                 there (linked, valid bits and times, random merkle/VDF fields, no blocks;
                                 block requests for them are never answered)
          --chunk N              write at most N bytes per write (default: all at once)
          --pace-ms M            sleep M ms between chunks and between pings
          --pings N              send N pings after the payloads, measuring the pong round trip
          --ping-interval-ms M   sleep M ms between pings (default 0: a flood)
          --stop-reading         never read after the handshake (the node's send buffer fills)
          --hold S               stay connected S seconds after sending (reading unless --stop-reading)
          --end MODE             close (default), half-close, reset (SO_LINGER 0 -> RST) or exit
          --repeat N             run the whole session N times (connection churn)
          --quiet                no per-session line, only the final summary
        Prints one JSON line per session and a summary line; exit 0 unless it could not connect.
        """

    /// Parses `arguments` (without the program name); returns an error text for a bad command line.
    static func parse(_ arguments: [String]) -> Result<FakePeerOptions, FakePeerUsageError> {
        var options = FakePeerOptions()
        var index = 0
        func value(_ name: String) throws(FakePeerUsageError) -> String {
            index += 1
            guard index < arguments.count else { throw FakePeerUsageError("\(name) needs a value") }
            return arguments[index]
        }
        func number(_ name: String) throws(FakePeerUsageError) -> Int {
            let text = try value(name)
            guard let parsed = Int(text), parsed >= 0 else { throw FakePeerUsageError("\(name): not a count: \(text)") }
            return parsed
        }
        do throws(FakePeerUsageError) {
            while index < arguments.count {
                let argument = arguments[index]
                switch argument {
                case "--connect":
                    let text = try value(argument)
                    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
                        throw FakePeerUsageError("--connect: expected HOST:PORT, got \(text)")
                    }
                    options.host = String(text[..<colon].filter { $0 != "[" && $0 != "]" })
                    options.port = port
                case "--network":
                    let text = try value(argument)
                    guard let network = Network(rawValue: text) else { throw FakePeerUsageError("--network: unknown \(text)") }
                    options.network = network
                case "--from":
                    options.sourceHost = try value(argument)
                case "--free-headers":
                    let text = try value(argument)
                    let parts = text.split(separator: ":").map { Int($0) }
                    guard parts.count == 2, let height = parts[0], let count = parts[1], height >= 0, count > 0 else {
                        throw FakePeerUsageError("--free-headers: expected HEIGHT:COUNT, got \(text)")
                    }
                    options.freeHeaders = (height, count)
                case "--no-handshake": options.handshake = false
                case "--send-hex":
                    let text = try value(argument)
                    guard let bytes = HexCoding.decode(text) else { throw FakePeerUsageError("--send-hex: not hex") }
                    options.payloads.append(.raw(bytes))
                case "--send-frame":
                    let text = try value(argument)
                    let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2, FrameHeader.isValidCommand(String(parts[0])),
                        let payload = HexCoding.decode(String(parts[1]))
                    else { throw FakePeerUsageError("--send-frame: expected COMMAND:HEX with a valid command") }
                    options.payloads.append(.frame(command: String(parts[0]), payload: payload))
                case "--chunk": options.chunkSize = try number(argument)
                case "--pace-ms": options.paceMilliseconds = try number(argument)
                case "--pings": options.pings = try number(argument)
                case "--ping-interval-ms": options.pingIntervalMilliseconds = try number(argument)
                case "--stop-reading": options.stopReading = true
                case "--hold":
                    let text = try value(argument)
                    guard let seconds = Double(text), seconds >= 0 else { throw FakePeerUsageError("--hold: not seconds: \(text)") }
                    options.holdSeconds = seconds
                case "--end":
                    let text = try value(argument)
                    guard let ending = Ending(rawValue: text) else { throw FakePeerUsageError("--end: unknown \(text)") }
                    options.ending = ending
                case "--repeat": options.repeatCount = max(1, try number(argument))
                case "--quiet": options.quiet = true
                default: throw FakePeerUsageError("unknown option \(argument)")
                }
                index += 1
            }
            guard options.port != 0 else { throw FakePeerUsageError("--connect HOST:PORT is required") }
            guard options.host.hasPrefix("127.") || options.host == "::1" || options.host == "localhost" else {
                throw FakePeerUsageError("--connect: only loopback addresses (127.0.0.0/8, ::1), not \(options.host)")
            }
            if options.host == "localhost" { options.host = "127.0.0.1" }
            if let source = options.sourceHost, !(source.hasPrefix("127.") || source == "::1") {
                throw FakePeerUsageError("--from: only loopback addresses (127.0.0.0/8, ::1), not \(source)")
            }
            if options.freeHeaders != nil, !options.handshake {
                throw FakePeerUsageError("--free-headers needs the handshake")
            }
        } catch {
            return .failure(error)
        }
        return .success(options)
    }
}

/// A bad command line: the text says which option and why.
struct FakePeerUsageError: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
