import Foundation

/// Unique directories under the system's temporary directory for one test case (a chain state, a
/// store), all removed by ``removeAll()`` in the test's `tearDown`.
///
/// Threads: the test's own thread (setUp, the test body, tearDown run in turn).
public final class TemporaryDirectories {
    // test thread only
    private var paths: [String] = []

    public init() {}

    /// A path for a new directory named `prefix` plus a UUID (not created: the caller's store does
    /// that), removed with the others by ``removeAll()``.
    public func make(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        paths.append(path)
        return path
    }

    /// Removes every directory made so far (what is already gone is skipped).
    public func removeAll() {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
        paths.removeAll()
    }
}
