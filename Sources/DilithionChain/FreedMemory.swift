#if canImport(Glibc)
import Glibc
#endif

/// Returns the heap pages freed by a large pruning of the header tree to the operating system.
///
/// glibc's malloc keeps freed memory in its arenas, and after the first large blocks are freed its
/// dynamic mmap threshold places later large arrays (the tree's record storage and hash index) in
/// the arenas too, so compaction alone would leave the resident set as high as at the peak.
/// `malloc_trim(0)` releases every whole free page (madvise), wherever it is. It is not in Swift's
/// Glibc module map, so it is looked up by name once; elsewhere (other C libraries) this does nothing.
enum FreedMemory {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let trim: Trim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
        #else
        return nil
        #endif
    }()

    /// Headers a pruning pass must remove before it is worth a trim (a trim walks the heap).
    static let worthTrimmingAfter = 10_000

    /// Gives free heap pages back (glibc); a no-op where that is not available.
    static func release() { _ = trim?(0) }
}
