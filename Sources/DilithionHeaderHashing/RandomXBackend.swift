import DilithionRandomX
import DilithionWire

/// RandomX as a ``HeaderHashBackend``: the workers build the engine's dataset together (full mode)
/// and each hashes on its own VM.
public struct RandomXBackend: HeaderHashBackend {
    public let engine: RandomXEngine

    public init(engine: RandomXEngine) { self.engine = engine }

    public func prepareShared() { engine.prepareCache() }
    public func prepare(share: Int, of shares: Int) { engine.buildDataset(share: share, of: shares) }
    public func finishPreparation() { engine.finishPreparation() }
    public func makeWorkerHasher() -> any WorkerHeaderHasher { engine.makeMachine() }
}

extension RandomXMachine: WorkerHeaderHasher {}
