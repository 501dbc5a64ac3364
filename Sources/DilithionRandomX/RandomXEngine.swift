import CRandomX
import DilithionWire

/// The shared RandomX state for the Dilithion key (``RandomXHasher/key``): the 256 MiB cache, and in
/// full mode the 2 GiB dataset built from it. Hashing happens on ``RandomXMachine``s made from it,
/// one per thread.
///
/// Preparation comes in three phases so that every hashing thread can build a slice of the dataset
/// at the same time: ``prepareCache()`` on one thread, then ``buildDataset(share:of:)`` on each of
/// `shares` threads at once, then ``finishPreparation()`` on one thread, which releases the cache in
/// full mode (the VMs read only the dataset). Thread safety: the caller orders the phases (a
/// barrier between them, as `HeaderHashingService` has); within the second phase the threads write
/// disjoint slices. After preparation the engine is read-only and machines may be made from any
/// thread; preparing it again does nothing (so a service may be given an engine prepared before).
public final class RandomXEngine: @unchecked Sendable {
    /// The mode in effect: `.light` or `.full`; a full engine whose dataset cannot be allocated falls
    /// back to light in ``prepareCache()``. Written only there.
    public private(set) var mode: RandomXMode
    private let flags: randomx_flags
    private var cache: OpaquePointer?
    private var dataset: OpaquePointer?
    /// Set by ``finishPreparation()``; the phases do nothing after it.
    public private(set) var isPrepared = false

    /// - Parameters:
    ///   - mode: `.light` or `.full` (resolve `.auto` first with ``RandomXMode/resolved(availableBytes:)``).
    ///   - useJIT: the CPU's recommended flags (JIT, hardware AES); `false` runs the portable
    ///     interpreter (slower, same hashes).
    public init(mode: RandomXMode, useJIT: Bool = true) {
        precondition(mode != .auto, "resolve .auto before making an engine")
        self.mode = mode
        flags = useJIT ? randomx_get_flags() : RANDOMX_FLAG_DEFAULT
    }

    deinit {
        if let dataset { randomx_release_dataset(dataset) }
        if let cache { randomx_release_cache(cache) }
    }

    /// Phase 1: the cache from the key (Argon2 over 256 MiB, about a second) and, in full mode, the
    /// dataset's memory. Traps only if librandomx cannot allocate the cache, which leaves no way to
    /// check legacy headers at all.
    public func prepareCache() {
        guard !isPrepared, cache == nil else { return }
        guard let newCache = randomx_alloc_cache(flags) ?? randomx_alloc_cache(RANDOMX_FLAG_DEFAULT) else {
            preconditionFailure("librandomx could not allocate its 256 MiB cache")
        }
        RandomXHasher.key.withUnsafeBytes { randomx_init_cache(newCache, $0.baseAddress, $0.count) }
        cache = newCache
        if mode == .full {
            dataset = randomx_alloc_dataset(flags) ?? randomx_alloc_dataset(RANDOMX_FLAG_DEFAULT)
            if dataset == nil { mode = .light }
        }
    }

    /// Phase 2, on each of `shares` threads at once: this thread's slice of the dataset (nothing in
    /// light mode).
    public func buildDataset(share: Int, of shares: Int) {
        guard !isPrepared, let dataset, let cache, shares > 0, (0..<shares).contains(share) else { return }
        let items = UInt64(randomx_dataset_item_count())
        let start = items * UInt64(share) / UInt64(shares)
        let end = items * UInt64(share + 1) / UInt64(shares)
        randomx_init_dataset(dataset, cache, UInt(start), UInt(end - start))
    }

    /// Phase 3: in full mode the cache is no longer needed and is released.
    public func finishPreparation() {
        guard !isPrepared else { return }
        if dataset != nil, let cache {
            randomx_release_cache(cache)
            self.cache = nil
        }
        isPrepared = true
    }

    /// A VM for one thread. Traps only if librandomx cannot create one (out of memory for its 2 MiB
    /// scratchpad).
    public func makeMachine() -> RandomXMachine {
        let fullMemory = dataset == nil ? RANDOMX_FLAG_DEFAULT : RANDOMX_FLAG_FULL_MEM
        let vmFlags = randomx_flags(rawValue: flags.rawValue | fullMemory.rawValue)
        precondition(isPrepared, "prepare the engine before making machines")
        guard let machine = randomx_create_vm(vmFlags, cache, dataset) ?? randomx_create_vm(fullMemory, cache, dataset)
        else {
            preconditionFailure("librandomx could not create a \(mode.rawValue)-mode VM")
        }
        return RandomXMachine(machine: machine, engine: self)
    }
}
