import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA3-256 through OpenSSL's EVP interface with one reusable context, for the frame checksum on
/// the hot path (the reactor's decoders, the encoders).
///
/// One instance must not be used by two threads at once: each ``FrameDecoder`` owns one, and the
/// encoder uses ``forCurrentThread`` (creating and freeing an EVP context per frame cost more than
/// the hash of a small payload). The context is freed in `deinit`.
public final class FrameHasher: @unchecked Sendable {
    /// The fetched SHA3-256 implementation, shared (EVP_MD objects are immutable and thread-safe).
    nonisolated(unsafe) private static let algorithm: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA3-256", nil) else {
            preconditionFailure("libcrypto has no SHA3-256")
        }
        return md
    }()

    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// The calling thread's hasher, created on its first use and released when the thread ends.
    public static var forCurrentThread: FrameHasher {
        if let stored = pthread_getspecific(threadKey) {
            return Unmanaged<FrameHasher>.fromOpaque(stored).takeUnretainedValue()
        }
        let hasher = FrameHasher()
        // Retained here; released by the key's destructor when the thread exits.
        pthread_setspecific(threadKey, Unmanaged.passRetained(hasher).toOpaque())
        return hasher
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { stored in
            if let stored { Unmanaged<FrameHasher>.fromOpaque(stored).release() }
        }
        precondition(result == 0, "pthread_key_create failed: \(result)")
        return key
    }()

    /// SHA3-256 of `bytes`.
    public func hash(_ bytes: UnsafeRawBufferPointer) -> Hash256 {
        begin()
        update(bytes)
        return finish()
    }

    /// The frame checksum: first 4 bytes of SHA3-256(SHA3-256(payload)), as a little-endian u32.
    public func checksum(_ payload: UnsafeRawBufferPointer) -> UInt32 {
        if payload.isEmpty { return Self.emptyPayloadChecksum }
        begin()
        update(payload)
        return finishChecksum()
    }

    /// The checksum of an empty payload (`verack`, `getaddr`, `sendheaders`, `mempool`): a
    /// constant, computed once.
    public static let emptyPayloadChecksum: UInt32 = {
        let hasher = FrameHasher()
        hasher.begin()
        return hasher.finishChecksum()
    }()

    /// Starts an incremental hash.
    public func begin() {
        EVP_DigestInit_ex(context, Self.algorithm, nil)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if !bytes.isEmpty { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
    }

    /// Ends an incremental hash with its digest.
    public func finish() -> Hash256 {
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var length: UInt32 = 0
        withUnsafeMutableBytes(of: &digest) { _ = EVP_DigestFinal_ex(context, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) }
        return Hash256(w0: UInt64(littleEndian: digest.0), w1: UInt64(littleEndian: digest.1),
                       w2: UInt64(littleEndian: digest.2), w3: UInt64(littleEndian: digest.3))
    }

    /// Ends an incremental hash with the frame checksum of everything hashed.
    public func finishChecksum() -> UInt32 {
        let inner = finish()
        var words = (inner.w0.littleEndian, inner.w1.littleEndian, inner.w2.littleEndian, inner.w3.littleEndian)
        begin()
        withUnsafeBytes(of: &words) { update($0) }
        return UInt32(truncatingIfNeeded: finish().w0)
    }
}
