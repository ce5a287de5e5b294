/*
 * sha256.h - SHA-256 (FIPS 180-4), for model file checks, content hashes of
 * inputs and (later) evidence and audit-chain hashes. No allocation.
 */
#ifndef CB_SHA256_H
#define CB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "cb_error.h"

/* Incremental state; initialise with cb_sha256_init. */
typedef struct cb_sha256_ctx {
    uint32_t state[8];
    uint64_t bit_count;
    uint8_t block[64];
    size_t block_len;
} cb_sha256_ctx;

void cb_sha256_init(cb_sha256_ctx *ctx);
void cb_sha256_update(cb_sha256_ctx *ctx, const void *data, size_t len);
void cb_sha256_final(cb_sha256_ctx *ctx, uint8_t out[32]);

/* One-shot digest of a buffer. */
void cb_sha256(const void *data, size_t len, uint8_t out[32]);

/* Lower-case hex of a digest, NUL-terminated (65 bytes). */
void cb_sha256_hex(const uint8_t digest[32], char hex[65]);

/*
 * Digest of a whole file, as lower-case hex. Returns 0, or -errno when the
 * file cannot be opened or read (err names the path).
 */
int cb_sha256_file_hex(const char *path, char hex[65], cb_error *err);

#endif
