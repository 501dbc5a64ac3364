// COpenSSL: libcrypto's EVP digests, used for the frame checksum (SHA3-256 twice) on the hot path.
// OpenSSL's assembly Keccak measured ~1.35x swift-crypto's XKCP on this machine (docs/benchmarks.md).
// Everything here imports into Swift as is.
#ifndef DILITHION_COPENSSL_SHIM_H
#define DILITHION_COPENSSL_SHIM_H
#include <stddef.h>
#include <openssl/evp.h>
#endif
