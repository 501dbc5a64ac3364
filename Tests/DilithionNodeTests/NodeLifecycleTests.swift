import DilithionNode
import XCTest

/// The node's lifecycle only moves forward, and the node refuses the moves its enum refuses.
final class NodeLifecycleTests: XCTestCase {
    func testOnlyForwardMovesAreAllowed() {
        let all: [NodeLifecycle] = [.created, .starting, .running, .stopping, .stopped]
        let allowed: Set<String> = [
            "created>starting", "starting>running", "running>stopping", "stopping>stopped",
            "created>stopping", "starting>stopping",
        ]
        for from in all {
            for to in all {
                XCTAssertEqual(from.allows(to), allowed.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
        }
    }

    func testANodeStartsOnceAndNotAfterStopping() throws {
        let harness = NodeHarness()
        defer { harness.shutdown() }
        let node = try harness.makeNode()
        XCTAssertEqual(node.lifecycle, .running)
        XCTAssertThrowsError(try node.start()) { error in
            XCTAssertEqual((error as? NodeLifecycleError)?.from, .running)
        }
        node.stop()
        XCTAssertEqual(node.lifecycle, .stopped)
        node.stop()
        XCTAssertEqual(node.lifecycle, .stopped, "a second stop does nothing")
        XCTAssertThrowsError(try node.start()) { error in
            XCTAssertEqual((error as? NodeLifecycleError)?.to, .starting)
        }
    }
}
