import Foundation
import Testing
@testable import DilithionOps

@Suite struct CookieFileTests {
    @Test func createsAPrivateFreshCookieAndReadsItBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-cookie-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/.cookie"
        let first = try CookieFile.create(path: path)
        #expect(first.user == "__cookie__")
        #expect(first.password.count == 64)
        #expect(first.password.allSatisfy { "0123456789abcdef".contains($0) })
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "__cookie__:\(first.password)")
        #expect(try CookieFile.read(path: path) == first)
        let second = try CookieFile.create(path: path)
        #expect(second != first)
        #expect(try CookieFile.read(path: path) == second)
        CookieFile.remove(path: path)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: CookieFileError.self) { try CookieFile.read(path: path) }
    }
}
