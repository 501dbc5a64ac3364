/* Dilithion framing shared by the C reference engine and the load generator:
 * magic(4) | command(12, NUL padded) | payload length(4, LE) | checksum(4) | payload,
 * checksum = first 4 bytes of SHA3-256(SHA3-256(payload)) (OpenSSL EVP, as in DilithionWire). */
#ifndef DIL_BENCH_FRAME_H
#define DIL_BENCH_FRAME_H
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#define FRAME_HEADER 24
#define REGTEST_MAGIC 0xFABFB5DAu /* wire bytes DA B5 BF FA */
#define MAX_PAYLOAD (32u * 1024u * 1024u)

static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* SHA3-256(SHA3-256(data)) into out[32]; md is a fetched "SHA3-256", ctx reused by the caller. */
static inline void sha3d(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *data, size_t len, uint8_t out[32]) {
    uint8_t inner[32];
    unsigned int n = 0;
    EVP_DigestInit_ex(ctx, md, NULL);
    EVP_DigestUpdate(ctx, data, len);
    EVP_DigestFinal_ex(ctx, inner, &n);
    EVP_DigestInit_ex(ctx, md, NULL);
    EVP_DigestUpdate(ctx, inner, 32);
    EVP_DigestFinal_ex(ctx, out, &n);
}

/* Writes header + payload into out (FRAME_HEADER + len bytes). */
static inline void encode_frame(EVP_MD_CTX *ctx, const EVP_MD *md, const char *command,
                                const uint8_t *payload, uint32_t len, uint8_t *out) {
    uint8_t digest[32];
    put_le32(out, REGTEST_MAGIC);
    memset(out + 4, 0, 12);
    memcpy(out + 4, command, strnlen(command, 11));
    put_le32(out + 16, len);
    sha3d(ctx, md, payload, len, digest);
    memcpy(out + 20, digest, 4);
    if (len) memcpy(out + FRAME_HEADER, payload, len);
}
#endif
