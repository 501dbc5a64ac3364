import DilithionWire

/// The blocks `--reindex` carries over, and the counts it reports.
struct ReindexSalvage {
    let destination: BlockStore
    /// The network's genesis block is not carried over: the chain state writes it from the parameters.
    let genesisHash: Hash256
    let legacyHasher: (any LegacyHeaderHasher)?
    private var kept = 0
    private var dropped = 0
    private var foundByPageScan = 0
    private var unreadable = 0
    private var scanning = false
    /// Heights of the blocks kept (from the old rows: they only serve the report).
    private var keptHeights = [Bool]()
    var readError: String?

    init(destination: BlockStore, genesisHash: Hash256, legacyHasher: (any LegacyHeaderHasher)?) {
        self.destination = destination
        self.genesisHash = genesisHash
        self.legacyHasher = legacyHasher
    }

    /// Validates one old row's block and writes it to the new store; undecodable or invalid blocks
    /// are counted and dropped, blocks already copied are skipped before validation.
    mutating func offer(height: Int, payload: [UInt8]) throws(BlockStoreError) {
        guard case .block(let message)? = try? Message.decode(command: Command.block, payload: payload),
            let hash = try? HeaderValidation.hash(message.header, legacyHasher: legacyHasher)
        else {
            dropped += 1
            return
        }
        if hash == genesisHash { return }
        if try destination.reader.contains(hash) { return }
        guard (try? BlockValidation.validate(message, legacyHasher: legacyHasher)) != nil else {
            dropped += 1
            return
        }
        // The old height only orders rows; the header tree recomputes heights from linkage.
        guard try destination.writer.insert(hash: hash, height: height, message: message) else { return }
        kept += 1
        if scanning { foundByPageScan += 1 }
        if height >= 0, height < 1 << 32 {
            if keptHeights.count <= height { keptHeights.append(contentsOf: repeatElement(false, count: height + 1 - keptHeights.count)) }
            keptHeights[height] = true
        }
    }

    /// Counts a row found without a readable height or payload (reported, never a trap).
    mutating func skipUnreadableRow() { unreadable += 1 }

    /// Offers every `blocks` row the page scanner can still read from `path` and `walPath`.
    mutating func scanPages(path: String, walPath: String) throws(BlockStoreError) {
        guard let scanner = SQLitePageScanner(path: path, walPath: walPath) else { return }
        scanning = true
        defer { scanning = false }
        var failure: BlockStoreError?
        _ = scanner.forEachRecord { values in
            // blocks(hash BLOB(32), height INTEGER, header BLOB, payload BLOB, size INTEGER, checksum
            // INTEGER): rows written before schema 2 have no checksum value
            guard failure == nil, values.count >= 5, case .blob(let hash) = values[0], hash.count == 32 else { return }
            guard case .integer(let height) = values[1], case .blob(let payload) = values[3] else {
                skipUnreadableRow()
                return
            }
            do throws(BlockStoreError) {
                try offer(height: Int(clamping: height), payload: payload)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    var report: ReindexReport {
        let highest = keptHeights.lastIndex(of: true) ?? 0
        let missing = highest > 0 ? keptHeights[1...highest].lazy.filter { !$0 }.count : 0
        return ReindexReport(
            keptBlocks: kept, droppedBlocks: dropped, readError: readError, foundByPageScan: foundByPageScan,
            highestKeptHeight: highest, missingHeights: missing, unreadableRows: unreadable)
    }
}
