import DilithionTestKit
import DilithionWire

/// `fakepeer --free-headers HEIGHT:COUNT` (issue 13): learns the node's headers up to `HEIGHT` with
/// `getheaders`, then sends `COUNT` free version-4 headers forking there: correct linkage, the fork
/// point's `nBits`, times one second apart (always after the branch's median time past), random
/// merkle root, nonce and VDF fields, and no block behind any of them (a relay cannot check a VDF
/// proof at header time, so each costs nothing to make). Block requests for them are never
/// answered.
struct FreeHeaderAttack {
    /// What one attack sent.
    struct Outcome {
        /// Headers of the node's chain learned to reach the fork point.
        var learnedHeaders = 0
        /// Free headers sent.
        var sentHeaders = 0
        /// `headers` messages they took.
        var messages = 0
        /// Why the attack stopped early, if it did.
        var failure: String?
    }

    let forkHeight: Int
    let count: Int

    func run(on peer: FakePeer, network: Network) -> Outcome {
        var outcome = Outcome()
        guard let base = learnHeader(atHeight: forkHeight, from: peer, network: network, outcome: &outcome) else {
            outcome.failure = outcome.failure ?? "the node's chain has no block at height \(forkHeight)"
            return outcome
        }
        var random = SystemRandomNumberGenerator()
        func randomHash() -> Hash256 { Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next()) }
        var parent = base
        var batch = [BlockHeader]()
        for _ in 0..<count {
            let header = BlockHeader(
                version: 4, previousBlockHash: parent.hash, merkleRoot: randomHash(), time: parent.header.time + 1,
                bits: parent.header.bits, nonce: UInt32(truncatingIfNeeded: random.next()), vdfOutput: randomHash(),
                vdfProofHash: randomHash())
            guard let hash = try? header.hash() else { break }
            batch.append(header)
            parent = (header, hash)
            if batch.count == Limits.maxHeaders {
                flush(&batch, to: peer, outcome: &outcome)
            }
        }
        flush(&batch, to: peer, outcome: &outcome)
        return outcome
    }

    private func flush(_ batch: inout [BlockHeader], to peer: FakePeer, outcome: inout Outcome) {
        guard !batch.isEmpty else { return }
        if peer.send(.headers(batch)) {
            outcome.sentHeaders += batch.count
            outcome.messages += 1
        }
        batch.removeAll(keepingCapacity: true)
    }

    /// The node's header at `height` (genesis for 0), asked for page by page from genesis.
    private func learnHeader(
        atHeight height: Int, from peer: FakePeer, network: Network, outcome: inout Outcome
    ) -> (header: BlockHeader, hash: Hash256)? {
        var current = (header: network.parameters.genesisBlock.header, hash: network.parameters.genesisHash)
        var currentHeight = 0
        while currentHeight < height {
            guard peer.send(.getheaders(GetHeadersMessage(locator: [current.hash]))) else {
                outcome.failure = "the node closed the connection"
                return nil
            }
            let reply = peer.receive(for: 10) { frames in frames.contains { $0.command == Command.headers } }
            guard let frame = reply.frames.first(where: { $0.command == Command.headers }),
                case .headers(let headers)? = try? Message.decode(frame), !headers.isEmpty
            else {
                outcome.failure = reply.closed ? "the node closed the connection" : "no headers beyond height \(currentHeight)"
                return nil
            }
            for header in headers.prefix(height - currentHeight) {
                guard let hash = try? header.hash() else { return nil }
                current = (header, hash)
                currentHeight += 1
                outcome.learnedHeaders += 1
            }
        }
        return current
    }
}
