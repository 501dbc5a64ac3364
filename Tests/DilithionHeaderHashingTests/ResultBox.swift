import DilithionHeaderHashing
import DilithionSystem
import XCTest

/// Waits for one pipeline result delivered on another thread (a minute at most: a hang guard).
final class ResultBox: @unchecked Sendable {
    private let lock = PThreadMutex()
    private let changed = ConditionVariable()
    private var result: HeaderBatchResult?  // guarded by lock

    func deliver(_ result: HeaderBatchResult) {
        lock.withLock {
            self.result = result
            changed.broadcast()
        }
    }

    func wait(file: StaticString = #filePath, line: UInt = #line) -> HeaderBatchResult? {
        let deadline = MonotonicClock.nanoseconds() + 60_000_000_000
        return lock.withLock {
            while result == nil, MonotonicClock.nanoseconds() < deadline { changed.wait(lock, untilMonotonicNanoseconds: deadline) }
            if result == nil { XCTFail("no result", file: file, line: line) }
            return result
        }
    }
}
