import DilithionNet
import DilithionSystem
import DilithionTestKit
@testable import DilithionRandomX
import DilithionWire
import VectorSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

@testable import DilithionHeaderHashing

/// The real RandomX behind the service, in light mode (full mode needs a 2 GiB dataset: measured by
/// `scripts/bench`, not here).
final class RandomXBackendTests: XCTestCase {
    func testLightModeWorkersGiveTheMainnetGenesisHashAndTheLegacyRegtestGenesisHash() throws {
        let header = try Vectors.hex("mainnet-genesis-header.hex")
        let expected = Hash256(internalBytes: try Vectors.hex("mainnet-genesis-randomx-hash.raw.hex"))
        let engine = RandomXEngine(mode: .light)
        let service = HeaderHashingService(
            backend: RandomXBackend(engine: engine), configuration: HashingConfiguration(workers: 2, preparation: .atStart),
            clock: ManualClock())
        defer { service.stop() }
        let box = OutcomeBox()
        let target = try XCTUnwrap(CompactTarget(bits: 0x1E01_FFFE).target)
        service.submit(
            HeaderHashBatch(jobs: [HeaderHashJob(bytes: header, cacheKey: SHA3.hash(header), requirement: HashRequirement(target: target))],
                            completion: box.completion(1)),
            from: HashSubmitter(1))
        let legacy = LegacyRegtestGenesis.block.header
        service.submit(
            HeaderHashBatch(jobs: [HeaderHashJob(header: legacy, requirement: HashRequirement(target: CompactTarget(bits: legacy.bits).target))],
                            completion: box.completion(2)),
            from: HashSubmitter(2))
        let outcomes = Dictionary(uniqueKeysWithValues: box.wait(for: 2).map { ($0.tag, $0.outcome) })
        XCTAssertEqual(outcomes[1], HeaderHashOutcome(hashes: [expected]))
        XCTAssertEqual(outcomes[2], HeaderHashOutcome(hashes: [LegacyRegtestGenesis.expectedHash]))
        XCTAssertEqual(engine.mode, .light)
        XCTAssertEqual(service.cachedHash(forKey: SHA3.hash(header)), expected)
    }

    /// Full mode through the service: the workers build the 2 GiB dataset together, then hash with
    /// it. Needs about 2.4 GiB and minutes of CPU, so it runs only with DILITHION_TEST_RANDOMX_FULL=1.
    func testFullModeWorkersBuildTheDatasetTogetherAndGiveTheSameHash() throws {
        guard getenv("DILITHION_TEST_RANDOMX_FULL").map({ String(cString: $0) }) == "1" else {
            throw XCTSkip("set DILITHION_TEST_RANDOMX_FULL=1 (2.4 GiB, minutes of CPU)")
        }
        let header = try Vectors.hex("mainnet-genesis-header.hex")
        let expected = Hash256(internalBytes: try Vectors.hex("mainnet-genesis-randomx-hash.raw.hex"))
        let engine = RandomXEngine(mode: .full)
        let service = HeaderHashingService(
            backend: RandomXBackend(engine: engine), configuration: HashingConfiguration(workers: 2), clock: SystemClock())
        defer { service.stop() }
        let box = OutcomeBox()
        service.submit(
            HeaderHashBatch(jobs: [HeaderHashJob(bytes: header, cacheKey: SHA3.hash(header), requirement: HashRequirement())],
                            completion: box.completion(1)),
            from: HashSubmitter(1))
        XCTAssertEqual(box.wait(for: 1, guardSeconds: 3600).first?.outcome, HeaderHashOutcome(hashes: [expected]))
        XCTAssertEqual(engine.mode, .full, "the dataset was allocated")
        XCTAssertTrue(engine.isPrepared)
        XCTAssertNotNil(service.preparationDuration)
    }

    func testAutoChoosesFullModeOnlyWithTheMemoryForIt() {
        XCTAssertEqual(RandomXMode.auto.resolved(availableBytes: nil), .light)
        XCTAssertEqual(RandomXMode.auto.resolved(availableBytes: RandomXMode.fullModeMinimumAvailableBytes - 1), .light)
        XCTAssertEqual(RandomXMode.auto.resolved(availableBytes: RandomXMode.fullModeMinimumAvailableBytes), .full)
        XCTAssertEqual(RandomXMode.light.resolved(availableBytes: 1 << 40), .light)
        XCTAssertEqual(RandomXMode.full.resolved(availableBytes: 0), .full)
        XCTAssertEqual(SystemMemory.availableBytes(meminfoLine: "MemAvailable:   23780644 kB\n"), 23_780_644 * 1024)
        XCTAssertNil(SystemMemory.availableBytes(meminfoLine: "MemFree:        22597024 kB"))
        XCTAssertNil(SystemMemory.availableBytes(meminfoLine: "MemAvailable: lots kB"))
        XCTAssertNotNil(SystemMemory.availableBytes(), "this is Linux: /proc/meminfo has MemAvailable")
        XCTAssertNil(SystemMemory.availableBytes(meminfoPath: "/nonexistent/meminfo"))
    }
}
