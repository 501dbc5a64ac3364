import Foundation
import Testing
@testable import DilithionOps

@Suite struct LockFileTests {
    @Test func aSecondLockFailsWithAClearMessageUntilReleased() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/.lock"
        let first = try LockFile(path: path)
        #expect(throws: LockFileError.alreadyLocked(path: path)) { try LockFile(path: path) }
        #expect(LockFileError.alreadyLocked(path: path).description
            == "cannot lock \(path): another dilithion-node is already running with this data directory")
        #expect(LockFileError.exitCode == 1)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\(getpid())\n")
        first.release()
        let second = try LockFile(path: path)
        second.release()
    }

    @Test func aMissingDirectoryIsCannotOpen() {
        #expect(throws: LockFileError.self) { try LockFile(path: "/nonexistent-dir-\(UUID().uuidString)/.lock") }
    }
}
