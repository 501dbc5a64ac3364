import DilithionChain
import DilithionWire

/// Regtest block generation (RPC `generate`): blocks built on the active tip, stored through the
/// chain's validation like any received block, and announced by the coordinator.
///
/// Threads: the RPC caller's. It has no state of its own (the generator is made per call); the
/// chain and the coordinator guard theirs.
struct RegtestMiner {
    let chain: ChainState
    let sync: SyncCoordinator
    let wallClock: WallClock

    /// Mines `blocks` blocks of about `blockSize` bytes on the tip, stores them and announces them.
    func generate(blocks: Int, blockSize: Int) throws(NodeControlError) -> [Hash256] {
        guard (1...100_000).contains(blocks) else { throw .invalidParameter("nblocks must be 1...100000") }
        guard (200...Limits.maxBlockBlob).contains(blockSize) else {
            throw .invalidParameter("blocksize must be 200...\(Limits.maxBlockBlob)")
        }
        let generator = RegtestChainGenerator(seed: UInt64(bitPattern: wallClock.now))
        var hashes = [Hash256]()
        for _ in 0..<blocks {
            let parent = chain.tip
            guard let parentTime = chain.record(for: parent.hash)?.header.time else { throw .failed("no tip record") }
            let time = max(parentTime + 1, UInt32(clamping: wallClock.now))
            let block = generator.makeBlock(parent: parent.hash, height: parent.height + 1, size: blockSize, time: time)
            let acceptance: BlockAcceptance
            do { acceptance = try chain.acceptBlock(block, now: wallClock.now) } catch { throw .failed("\(error)") }
            guard case .stored(let hash, _, _) = acceptance else { throw .failed("generated block refused: \(acceptance)") }
            hashes.append(hash)
            sync.announceTipIfMoved(except: nil, block: block)
        }
        return hashes
    }
}
