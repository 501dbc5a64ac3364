import DilithionAttestation
import DilithionOps
import Logging

/// The fuzz oracle for what a public HTTP port parses: the request parser, then the attestation
/// endpoint's JSON-RPC handling of whatever request comes out. Any input that makes it trap is a bug.
///
/// Input layout: byte 0 chooses the parser limits (bit 0: tiny limits, so the limit paths are
/// reached) and the chunk sizes come from bytes 1...16; the rest is the byte stream a client sends.
///
/// Properties checked on every input:
/// - fed in chunks or whole, the parser yields the same requests and the same error;
/// - it never buffers more than it was fed, and a request's body has its `Content-Length`;
/// - every request gets a response from the endpoint whose bytes start with a status line, and the
///   endpoint answers JSON (or an HTTP refusal) without reaching anything but `getmikattestation`.
enum HTTPFuzzHarness {
    /// What the parser yields over a stream.
    enum Outcome: Equatable {
        case request(method: String, target: String, version: String, headers: [String], body: [UInt8])
        case error(HTTPParseError)
    }

    /// A seed node whose key comes from a fixed seed; 127.0.0.0/8 is a "datacenter" so both the
    /// refusal and (from other addresses) the signing path are reachable.
    static let endpoint: AttestationEndpoint = {
        let key = try! SeedAttestationKey(seed: [UInt8](repeating: 7, count: 32))
        let parameters = AttestationParameters.of(.regtest, regtestSeedKeys: [key.publicKey])
        let service = AttestationService(configuration: .init(
            key: key, seedID: 0, parameters: parameters,
            asnDatabase: ASNDatabase(tsv: Array("127.0.0.0\t127.255.255.255\t64502\tZZ\tFUZZ-DATACENTER\n".utf8)),
            datacenterASNs: DatacenterASNList(asns: [64502]), newMIKsPerSubnetPerDay: 100, now: { 1_774_656_000 }))
        return AttestationEndpoint(service: service, logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    }()

    static func run(_ data: UnsafeRawBufferPointer) {
        guard !data.isEmpty else { return }
        var configuration = HTTPServerConfiguration.publicAttestation
        if data[0] & 1 == 1 {
            configuration.maxHeaderBytes = 64
            configuration.maxBodyBytes = 32
        }
        let stream = Array(data.dropFirst())
        let chunkSizes = stream.prefix(16).map { Int($0 % 9) + 1 }
        let whole = outcomes(stream, configuration: configuration, chunkSizes: [max(stream.count, 1)])
        let chunked = outcomes(stream, configuration: configuration, chunkSizes: chunkSizes.isEmpty ? [1] : chunkSizes)
        precondition(whole == chunked, "chunking changed what the parser yields")
        for case .request(let method, let target, let version, let headers, let body) in whole {
            let request = HTTPRequest(
                method: method, target: target, version: version,
                headers: headers.map { line in
                    let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                }, body: body, clientAddress: data[0] & 2 == 0 ? "127.0.0.1" : "192.0.2.1")
            let bytes = endpoint.handle(request).serialized(keepAlive: false)
            precondition(bytes.starts(with: Array("HTTP/1.1 ".utf8)), "a response without a status line")
        }
    }

    /// Feeds `stream` in chunks of the given sizes (cycled); collects requests up to the first error.
    static func outcomes(_ stream: [UInt8], configuration: HTTPServerConfiguration, chunkSizes: [Int]) -> [Outcome] {
        var parser = HTTPRequestParser(configuration: configuration)
        var results: [Outcome] = []
        var offset = 0
        var chunkIndex = 0
        while offset < stream.count {
            let size = min(chunkSizes[chunkIndex % chunkSizes.count], stream.count - offset)
            chunkIndex += 1
            parser.append(stream[offset..<(offset + size)])
            offset += size
            precondition(parser.bufferedByteCount <= offset, "the parser holds more than it was fed")
            do {
                while let request = try parser.nextRequest() {
                    let declared = request.header("content-length").flatMap { Int($0) } ?? 0
                    precondition(request.body.count == declared, "a body that is not its Content-Length")
                    precondition(request.version == "HTTP/1.1" || request.version == "HTTP/1.0", "an unknown version passed")
                    results.append(.request(method: request.method, target: request.target, version: request.version,
                                            headers: request.headers.map { "\($0.name):\($0.value)" }, body: request.body))
                }
            } catch {
                results.append(.error(error))
                return results
            }
        }
        return results
    }
}
