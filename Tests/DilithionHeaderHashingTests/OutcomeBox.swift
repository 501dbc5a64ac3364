import DilithionHeaderHashing
import DilithionSystem
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Collects outcomes delivered on other threads; waits for them without sleeping.
final class OutcomeBox: @unchecked Sendable {
    private let lock = PThreadMutex()
    private let changed = ConditionVariable()
    private var outcomes: [(tag: Int, outcome: HeaderHashOutcome)] = []  // guarded by lock

    func completion(_ tag: Int) -> @Sendable (HeaderHashOutcome) -> Void {
        { outcome in
            self.lock.withLock {
                self.outcomes.append((tag, outcome))
                self.changed.broadcast()
            }
        }
    }

    /// Blocks until `count` outcomes arrived; returns them in arrival order. Gives up after
    /// `guardSeconds` (a hang guard that fails the test, not a timing assertion).
    func wait(
        for count: Int, guardSeconds: UInt64 = 60, file: StaticString = #filePath, line: UInt = #line
    ) -> [(tag: Int, outcome: HeaderHashOutcome)] {
        let deadline = MonotonicClock.nanoseconds() + guardSeconds * 1_000_000_000
        return lock.withLock {
            while outcomes.count < count, MonotonicClock.nanoseconds() < deadline {
                changed.wait(lock, untilMonotonicNanoseconds: deadline)
            }
            if outcomes.count < count { XCTFail("\(outcomes.count) of \(count) outcomes arrived", file: file, line: line) }
            return outcomes
        }
    }

    var all: [(tag: Int, outcome: HeaderHashOutcome)] { lock.withLock { outcomes } }
}
