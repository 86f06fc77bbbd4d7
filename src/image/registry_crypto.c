/*
 * registry_crypto.c - SHA-256 (FIPS 180-4, section 6.2) for digests the
 * registry does not send, and base64 (RFC 4648, section 4) for Basic auth
 * and the `auth` fields of docker config.json.
 *
 * Small enough to own rather than link libcrypto for: a digest is computed
 * only when a registry omits Docker-Content-Digest, over one manifest.
 */
#include "image/registry_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
    int i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^
                      (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^
                      (w[i - 2] >> 10);

        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3];
    e = h[4], f = h[5], g = h[6], hh = h[7];
    for (i = 0; i < 64; i++) {
        t1 = hh + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) +
             ((e & f) ^ (~e & g)) + k256[i] + w[i];
        t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) +
             ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1;
        d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
    h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void cz_sha256_init(struct cz_sha256 *ctx)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};

    memcpy(ctx->h, iv, sizeof(iv));
    ctx->bytes = 0;
    ctx->used = 0;
}

void cz_sha256_update(struct cz_sha256 *ctx, const void *data, size_t len)
{
    const unsigned char *p = data;

    ctx->bytes += len;
    if (ctx->used) {
        size_t take = 64 - ctx->used < len ? 64 - ctx->used : len;

        memcpy(ctx->block + ctx->used, p, take);
        ctx->used += take;
        p += take;
        len -= take;
        if (ctx->used < 64)
            return;
        sha256_block(ctx->h, ctx->block);
        ctx->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        sha256_block(ctx->h, p);
    memcpy(ctx->block, p, len);
    ctx->used = len;
}

void cz_sha256_final(struct cz_sha256 *ctx, unsigned char out[32])
{
    uint64_t bits = ctx->bytes * 8;
    int i;

    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > 56) {
        memset(ctx->block + ctx->used, 0, 64 - ctx->used);
        sha256_block(ctx->h, ctx->block);
        ctx->used = 0;
    }
    memset(ctx->block + ctx->used, 0, 56 - ctx->used);
    for (i = 0; i < 8; i++)
        ctx->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_block(ctx->h, ctx->block);
    for (i = 0; i < 32; i++)
        out[i] = (unsigned char)(ctx->h[i / 4] >> (24 - 8 * (i % 4)));
}

void cz_sha256_digest(const void *data, size_t len, char out[72])
{
    static const char hex[] = "0123456789abcdef";
    struct cz_sha256 ctx;
    unsigned char md[32];
    int i;

    cz_sha256_init(&ctx);
    cz_sha256_update(&ctx, data, len);
    cz_sha256_final(&ctx, md);
    memcpy(out, "sha256:", 7);
    for (i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[71] = '\0';
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cz_base64_encode(const void *in, size_t len)
{
    const unsigned char *p = in;
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    if (!out)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        *o++ = b64[p[i] >> 2];
        *o++ = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
        *o++ = b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
        *o++ = b64[p[i + 2] & 63];
    }
    if (i < len) {
        *o++ = b64[p[i] >> 2];
        if (i + 1 < len) {
            *o++ = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
            *o++ = b64[(p[i + 1] & 15) << 2];
        } else {
            *o++ = b64[(p[i] & 3) << 4];
            *o++ = '=';
        }
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;

    return p ? (int)(p - b64) : -1;
}

char *cz_base64_decode(const char *in, size_t len, size_t *outlen)
{
    char *out, *o;
    unsigned acc = 0;
    size_t i, pad = 0;
    int bits = 0;

    while (len && in[len - 1] == '=' && pad < 2)
        len--, pad++;
    if (len % 4 == 1 || (pad && (len + pad) % 4)) {
        errno = EINVAL;
        return NULL;
    }
    out = malloc(len / 4 * 3 + 3);
    if (!out) {
        errno = ENOMEM;
        return NULL;
    }
    for (o = out, i = 0; i < len; i++) {
        int v = b64_value(in[i]);

        if (v < 0) {
            free(out);
            errno = EINVAL;
            return NULL;
        }
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)(acc >> bits & 0xFF);
        }
    }
    *o = '\0';
    *outlen = (size_t)(o - out);
    return out;
}
