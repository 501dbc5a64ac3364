/// A transaction in the legacy Bitcoin serialization (no witness), as carried in blocks and `tx`:
/// version i32 ‖ cs(n_in) ‖ inputs ‖ cs(n_out) ‖ outputs ‖ locktime u32.
///
/// The relay only needs to split a block into transactions, hash them and look at the coinbase;
/// scripts and signatures are not interpreted.
public struct Transaction: Hashable, Sendable {
    public struct OutPoint: Hashable, Sendable {
        public var hash: Hash256
        public var index: UInt32
        public init(hash: Hash256, index: UInt32) {
            self.hash = hash
            self.index = index
        }
        /// The coinbase's null prevout: 32 zero bytes and index 0xFFFFFFFF.
        public static let null = OutPoint(hash: .zero, index: .max)
    }

    public struct Input: Hashable, Sendable {
        public var previousOutput: OutPoint
        public var scriptSig: [UInt8]
        public var sequence: UInt32
        public init(previousOutput: OutPoint, scriptSig: [UInt8], sequence: UInt32) {
            self.previousOutput = previousOutput
            self.scriptSig = scriptSig
            self.sequence = sequence
        }
    }

    public struct Output: Hashable, Sendable {
        public var value: UInt64
        public var scriptPubKey: [UInt8]
        public init(value: UInt64, scriptPubKey: [UInt8]) {
            self.value = value
            self.scriptPubKey = scriptPubKey
        }
    }

    public var version: Int32
    public var inputs: [Input]
    public var outputs: [Output]
    public var lockTime: UInt32

    /// The smallest possible serialized input (32 + 4 + cs(0) + 4) and output (8 + cs(0)).
    static let minimumInputSize = 41
    static let minimumOutputSize = 9

    public init(version: Int32, inputs: [Input], outputs: [Output], lockTime: UInt32) {
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.lockTime = lockTime
    }

    /// True when this is a coinbase: exactly one input spending the null prevout.
    public var isCoinbase: Bool { inputs.count == 1 && inputs[0].previousOutput == .null }

    public var serialized: [UInt8] {
        var writer = ByteWriter(capacity: 128)
        write(to: &writer)
        return writer.bytes
    }

    /// txid = SHA3-256 of the serialization (single SHA3, PROTOCOL.md §0.7).
    public var txid: Hash256 { SHA3.hash(serialized) }

    public func write(to writer: inout ByteWriter) {
        writer.writeInt32(version)
        writer.writeCompactSize(inputs.count)
        for input in inputs {
            writer.writeHash(input.previousOutput.hash)
            writer.writeUInt32(input.previousOutput.index)
            writer.writeVarBytes(input.scriptSig)
            writer.writeUInt32(input.sequence)
        }
        writer.writeCompactSize(outputs.count)
        for output in outputs {
            writer.writeUInt64(output.value)
            writer.writeVarBytes(output.scriptPubKey)
        }
        writer.writeUInt32(lockTime)
    }

    /// Reads one transaction, enforcing the C++ receive limits (≤ 10 000 inputs and outputs, scripts
    /// ≤ 20 000 bytes) and checking every count against the bytes left.
    public static func read(from reader: inout ByteReader) throws(MessageDecodeError) -> Transaction {
        let version = try reader.readInt32("tx.version")
        let inputCount = try reader.readCount(
            "tx.inputs", limit: Limits.maxTransactionInputs, minItemSize: minimumInputSize)
        var inputs = [Input]()
        inputs.reserveCapacity(inputCount)
        for _ in 0..<inputCount {
            let hash = try reader.readHash("tx.input.prevout")
            let index = try reader.readUInt32("tx.input.prevout")
            let script = try reader.readVarBytes("tx.input.scriptSig", maxLength: Limits.maxScriptSize)
            let sequence = try reader.readUInt32("tx.input.sequence")
            inputs.append(Input(previousOutput: OutPoint(hash: hash, index: index), scriptSig: script, sequence: sequence))
        }
        let outputCount = try reader.readCount(
            "tx.outputs", limit: Limits.maxTransactionOutputs, minItemSize: minimumOutputSize)
        var outputs = [Output]()
        outputs.reserveCapacity(outputCount)
        for _ in 0..<outputCount {
            let value = try reader.readUInt64("tx.output.value")
            let script = try reader.readVarBytes("tx.output.scriptPubKey", maxLength: Limits.maxScriptSize)
            outputs.append(Output(value: value, scriptPubKey: script))
        }
        let lockTime = try reader.readUInt32("tx.locktime")
        return Transaction(version: version, inputs: inputs, outputs: outputs, lockTime: lockTime)
    }
}
