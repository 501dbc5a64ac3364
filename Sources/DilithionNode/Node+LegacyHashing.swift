import DilithionHeaderHashing
import DilithionNet
import DilithionRandomX
import DilithionSystem
import Logging

extension Node {
    /// The hashing service for legacy (RandomX) headers on a network that has them, nil otherwise:
    /// `configuration.randomXMode` resolved against the memory available now, its workers started
    /// (the RandomX cache, or the full dataset, is prepared on the first legacy `headers`).
    static func makeLegacyHashing(configuration: NodeConfiguration, clock: any EngineClock, logger: Logger) -> HeaderHashingService? {
        guard configuration.parameters.usesLegacyHeaders else { return nil }
        let available = SystemMemory.availableBytes()
        let mode = configuration.randomXMode.resolved(availableBytes: available)
        logger.info("legacy header hashing", metadata: [
            "randomx_mode": "\(mode.rawValue)", "requested": "\(configuration.randomXMode.rawValue)",
            "available_mib": "\(available.map { String($0 >> 20) } ?? "unknown")",
            "workers": "\(configuration.hashingWorkers)"])
        return HeaderHashingService(
            backend: RandomXBackend(engine: RandomXEngine(mode: mode)),
            configuration: HashingConfiguration(workers: configuration.hashingWorkers), clock: clock)
    }
}
