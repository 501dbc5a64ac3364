import CRandomX
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// RandomX hashing of legacy (nVersion < 4) headers with the fixed key `Dilithion-RandomX-v1`, in
/// light (cache-only) mode, which gives the same hash as full mode at ~10–40 ms per hash and
/// 256 MiB of cache instead of 2 GiB of dataset.
///
/// One cache and one VM, created on first use. A RandomX VM is not thread-safe, so hashing is
/// serialised by a pthread mutex; legacy headers are rare (mainnet only) and checked off the
/// reactor thread.
public final class RandomXHasher: LegacyHeaderHasher, @unchecked Sendable {
    /// The key every Dilithion legacy header is hashed with (no key rotation).
    public static let key = Array("Dilithion-RandomX-v1".utf8)

    private var mutex = pthread_mutex_t()
    // guarded by mutex
    private var cache: OpaquePointer?
    private var machine: OpaquePointer?
    private let flags: randomx_flags

    /// - Parameter useJIT: use the CPU's recommended flags (JIT, AES). `false` runs the portable
    ///   interpreter (slower, same hashes).
    public init(useJIT: Bool = true) {
        pthread_mutex_init(&mutex, nil)
        flags = useJIT ? randomx_get_flags() : RANDOMX_FLAG_DEFAULT
    }

    deinit {
        if let machine { randomx_destroy_vm(machine) }
        if let cache { randomx_release_cache(cache) }
        pthread_mutex_destroy(&mutex)
    }

    /// Hashes an 80-byte legacy header. Traps only if librandomx cannot allocate its cache, which
    /// leaves no way to check legacy headers at all.
    public func hash(legacyHeader: [UInt8]) -> Hash256 {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let vm = preparedMachine()
        var output = [UInt8](repeating: 0, count: 32)
        legacyHeader.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                randomx_calculate_hash(vm, input.baseAddress, input.count, out.baseAddress)
            }
        }
        return Hash256(internalBytes: output)
    }

    private func preparedMachine() -> OpaquePointer {
        if let machine { return machine }
        guard let newCache = randomx_alloc_cache(flags) ?? randomx_alloc_cache(RANDOMX_FLAG_DEFAULT) else {
            preconditionFailure("librandomx could not allocate its 256 MiB cache")
        }
        Self.key.withUnsafeBytes { randomx_init_cache(newCache, $0.baseAddress, $0.count) }
        guard let newMachine = randomx_create_vm(flags, newCache, nil) ?? randomx_create_vm(RANDOMX_FLAG_DEFAULT, newCache, nil) else {
            preconditionFailure("librandomx could not create a light-mode VM")
        }
        cache = newCache
        machine = newMachine
        return newMachine
    }
}
