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
        var inputs = [Input]()
        var outputs = [Output]()
        let bytes = reader.bytes
        let (version, lockTime) = try walk(
            &reader,
            inputCount: { inputs.reserveCapacity($0) },
            input: { previousOutput, script, sequence in
                inputs.append(Input(previousOutput: previousOutput, scriptSig: Array(bytes[script]), sequence: sequence))
            },
            outputCount: { outputs.reserveCapacity($0) },
            output: { value, script in outputs.append(Output(value: value, scriptPubKey: Array(bytes[script]))) })
        return Transaction(version: version, inputs: inputs, outputs: outputs, lockTime: lockTime)
    }

    /// What block validation needs of a transaction, read in place (``skim(from:)``).
    public struct Shape: Sendable, Equatable {
        /// ``Transaction/isCoinbase``: exactly one input, spending the null prevout.
        public let isCoinbase: Bool
        /// Where the first input's scriptSig lies in the reader's bytes (nil without inputs).
        public let firstScriptSig: Range<Int>?
    }

    /// Reads past one transaction with exactly ``read(from:)``'s checks and errors, copying nothing:
    /// its bytes stay where they are (to be hashed in place) and only its shape is returned.
    public static func skim(from reader: inout ByteReader) throws(MessageDecodeError) -> Shape {
        var inputCount = 0
        var firstIsNull = false
        var firstScriptSig: Range<Int>?
        _ = try walk(
            &reader, inputCount: { inputCount = $0 },
            input: { previousOutput, script, _ in
                if firstScriptSig == nil {
                    firstScriptSig = script
                    firstIsNull = previousOutput == .null
                }
            },
            outputCount: { _ in }, output: { _, _ in })
        return Shape(isCoinbase: inputCount == 1 && firstIsNull, firstScriptSig: firstScriptSig)
    }

    /// The one parser of the serialization: reads every field in order, with the limits, and
    /// reports counts, inputs and outputs (scripts as ranges of the reader's bytes) as it goes.
    /// Returns the version and lock time.
    private static func walk(
        _ reader: inout ByteReader, inputCount: (Int) -> Void, input: (OutPoint, Range<Int>, UInt32) -> Void,
        outputCount: (Int) -> Void, output: (UInt64, Range<Int>) -> Void
    ) throws(MessageDecodeError) -> (version: Int32, lockTime: UInt32) {
        let version = try reader.readInt32("tx.version")
        let inputs = try reader.readCount("tx.inputs", limit: Limits.maxTransactionInputs, minItemSize: minimumInputSize)
        inputCount(inputs)
        for _ in 0..<inputs {
            let hash = try reader.readHash("tx.input.prevout")
            let index = try reader.readUInt32("tx.input.prevout")
            let script = try reader.skipVarBytes("tx.input.scriptSig", maxLength: Limits.maxScriptSize)
            let sequence = try reader.readUInt32("tx.input.sequence")
            input(OutPoint(hash: hash, index: index), script, sequence)
        }
        let outputs = try reader.readCount(
            "tx.outputs", limit: Limits.maxTransactionOutputs, minItemSize: minimumOutputSize)
        outputCount(outputs)
        for _ in 0..<outputs {
            let value = try reader.readUInt64("tx.output.value")
            output(value, try reader.skipVarBytes("tx.output.scriptPubKey", maxLength: Limits.maxScriptSize))
        }
        return (version, try reader.readUInt32("tx.locktime"))
    }
}
