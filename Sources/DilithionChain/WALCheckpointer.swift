import Dispatch
import GRDBSQLite
import Synchronization

/// Runs the block store's WAL checkpoints on a thread of their own instead of inside the commit
/// that happens to cross SQLite's threshold.
///
/// SQLite's automatic checkpoint runs in the committing call: during initial block download that
/// is the dispatcher, which then copies every page of the WAL back into the file (a `pread` and a
/// `pwrite` per page) and waits for two `fdatasync`s while no message is handled. Here the writer
/// connection's WAL hook (``install(on:)``, which replaces the automatic checkpoint) only notes the
/// WAL's length after each commit; past ``thresholdFrames`` it hands a `PASSIVE` checkpoint to this
/// type's serial queue, run on a connection of its own. A passive checkpoint never blocks the
/// writer or the readers (it copies what no reader still needs); SQLite restarts the WAL from its
/// start at the next write once a checkpoint copied all of it. Crash safety is SQLite's: a
/// checkpoint may stop at any point and is redone from the WAL on the next open.
///
/// Threads: the hook runs on the committing thread; checkpoints on the queue; ``stop()`` from any
/// thread. State: `pending` and `stopped` are atomics; the connection is confined to the queue.
final class WALCheckpointer: @unchecked Sendable {
    /// SQLite's own default for its automatic checkpoint (1,000 frames: 4 MB at 4 KiB pages).
    static let defaultThresholdFrames: Int32 = 1_000

    let path: String
    let thresholdFrames: Int32
    /// `PRAGMA synchronous` for the checkpoint connection (its fsyncs are the checkpoint's).
    private let synchronous: String
    private let queue = DispatchQueue(label: "block-store-checkpoint")
    /// A checkpoint is queued or running.
    private let pending = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let completed = Atomic<Int>(0)
    private let lastCopied = Atomic<Int>(0)
    private var connection: OpaquePointer?  // checkpoint queue only

    init(path: String, fullSync: Bool, thresholdFrames: Int32 = defaultThresholdFrames) {
        self.path = path
        self.thresholdFrames = thresholdFrames
        synchronous = fullSync ? "FULL" : "NORMAL"
    }

    /// Installs the WAL hook on the writer connection `writer`. Call on the writer's thread (inside
    /// a GRDB write). The hook holds this object without retaining it: ``BlockStore`` removes it
    /// (``uninstall(from:)``) before it lets go of the checkpointer.
    func install(on writer: OpaquePointer) {
        let hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
            context, _, _, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: frames)
            return SQLITE_OK
        }
        sqlite3_wal_hook(writer, hook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the hook (the writer no longer refers to this object).
    func uninstall(from writer: OpaquePointer) { sqlite3_wal_hook(writer, nil, nil) }

    /// Checkpoints that ran to the end (the WAL copied as far as the readers allowed).
    var completedCount: Int { completed.load(ordering: .relaxed) }

    /// Copies the whole WAL into the file and truncates the WAL, waiting (busy timeout) for the
    /// writer and the readers; on the queue, so never beside a passive checkpoint (two checkpoints
    /// at once fail with SQLITE_BUSY). Returns SQLite's result code (`SQLITE_MISUSE` once stopped).
    func truncate() -> Int32 {
        queue.sync {
            guard !stopped.load(ordering: .relaxed), let connection = openedConnection() else { return SQLITE_MISUSE }
            return sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
        }
    }

    /// WAL frames the last passive checkpoint copied into the file.
    var lastCopiedFrames: Int { lastCopied.load(ordering: .relaxed) }

    /// Waits until a queued checkpoint has run (tests).
    func waitUntilIdle() { queue.sync {} }

    /// Finishes a running checkpoint, closes the connection; later hooks queue nothing. Idempotent.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        queue.sync {
            if let connection { sqlite3_close_v2(connection) }
            connection = nil
        }
    }

    /// The writer committed; the WAL holds `frames` frames.
    private func walGrew(to frames: Int32) {
        guard frames >= thresholdFrames, !stopped.load(ordering: .relaxed),
            pending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        queue.async { [self] in
            defer { pending.store(false, ordering: .releasing) }
            guard !stopped.load(ordering: .relaxed), let connection = openedConnection() else { return }
            var logFrames: Int32 = 0
            var copiedFrames: Int32 = 0
            // SQLITE_BUSY (another checkpoint, e.g. BlockStore.checkpoint()) leaves it to the next commit.
            if sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames) == SQLITE_OK {
                completed.add(1, ordering: .relaxed)
                lastCopied.store(Int(copiedFrames), ordering: .relaxed)
            }
        }
    }

    /// The queue's connection, opened on first use. Checkpoint queue only.
    private func openedConnection() -> OpaquePointer? {
        if let connection { return connection }
        var opened: OpaquePointer?
        guard sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let opened else {
            sqlite3_close_v2(opened)
            return nil
        }
        sqlite3_busy_timeout(opened, 10_000)
        sqlite3_exec(opened, "PRAGMA synchronous = \(synchronous)", nil, nil, nil)
        connection = opened
        return opened
    }
}
