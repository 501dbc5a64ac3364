#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Keeps the block store's reader connections from touching a mapping past the end of a file that
/// shrank under them.
///
/// Readers map the database file (``BlockReader``). If the file is truncated while mapped (by
/// another process, a full disk's repair, an operator's mistake), touching a mapped page beyond
/// the new end raises SIGBUS, which no error path can catch. This store never shrinks its own file
/// (no `VACUUM`, no `auto_vacuum`: deleted rows leave free pages), so a file smaller than it was
/// ever seen is damage. ``mappingIsSafe()`` looks (one `fstat`) before every read; from the first
/// shrink on, reads switch the mapping off (``isMappingDisabled``) and go through SQLite's
/// `pread` path, where a missing page is a short read that SQLite reports as corruption: a typed
/// ``BlockStoreError``, not a signal.
///
/// A truncation that lands between the check and the read it guards still faults: the window is
/// one read transaction. Closing it entirely would take a SIGBUS handler around SQLite's copies.
///
/// Threads: any; the fields are atomics, the descriptor is read-only after init.
final class MappedFileGuard: Sendable {
    /// A read-only descriptor of the database file (-1 when it could not be opened: then the
    /// mapping is never trusted).
    private let descriptor: Int32
    /// The largest size the file was seen with.
    private let largestSize: Atomic<Int>
    /// Set once the file was seen smaller than ``largestSize``; never cleared.
    private let shrank = Atomic<Bool>(false)
    /// Reads that found the file shrunk (the first one disables the mapping).
    private let shrinkSightings = Atomic<Int>(0)

    init(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        largestSize = Atomic(0)
        _ = mappingIsSafe()
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// True while the reader connections may use their mapping: the file is at least as large as
    /// it ever was. False from the first shrink on (and when the file cannot be examined).
    func mappingIsSafe() -> Bool {
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0 else {
            shrank.store(true, ordering: .relaxed)
            return false
        }
        let size = Int(status.st_size)
        let largest = largestSize.max(size, ordering: .relaxed).newValue
        if size < largest {
            shrank.store(true, ordering: .relaxed)
            shrinkSightings.add(1, ordering: .relaxed)
        }
        return !shrank.load(ordering: .relaxed)
    }

    /// True once the file was seen to shrink: readers read without the mapping from then on.
    var isMappingDisabled: Bool { shrank.load(ordering: .relaxed) }

    /// Reads that found the file smaller than it had been.
    var shrinkCount: Int { shrinkSightings.load(ordering: .relaxed) }
}
