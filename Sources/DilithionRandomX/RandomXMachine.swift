import CRandomX
import DilithionWire

/// One RandomX virtual machine (light or full, by how its ``RandomXEngine`` was prepared).
///
/// Not thread-safe: a VM is owned by one thread (one per hashing worker). The engine must outlive it.
public final class RandomXMachine {
    private let machine: OpaquePointer
    /// Keeps the cache or dataset the VM reads alive.
    private let engine: RandomXEngine
    private var output = [UInt8](repeating: 0, count: 32)

    init(machine: OpaquePointer, engine: RandomXEngine) {
        self.machine = machine
        self.engine = engine
    }

    deinit { randomx_destroy_vm(machine) }

    /// The RandomX hash of `input` (an 80-byte legacy header) with the engine's key.
    public func hash(_ input: [UInt8]) -> Hash256 {
        input.withUnsafeBytes { bytes in
            output.withUnsafeMutableBytes { out in
                randomx_calculate_hash(machine, bytes.baseAddress, bytes.count, out.baseAddress)
            }
        }
        return Hash256(internalBytes: output)
    }
}
