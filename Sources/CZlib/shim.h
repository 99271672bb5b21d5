#include <zlib.h>
#include <openssl/evp.h>

/* zlib's *Init2 entry points are macros (they pass the library version and the
   z_stream size), which Swift cannot import; these wrappers make them callable. */
static inline int dnb_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

static inline int dnb_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

/* One-shot digest through OpenSSL EVP. which: 0 = MD5, 1 = SHA-256.
   out must hold EVP_MAX_MD_SIZE bytes; returns the digest length, or 0 on failure. */
static inline unsigned int dnb_digest(int which, const void *data, size_t length, unsigned char *out) {
    const EVP_MD *md = which == 0 ? EVP_md5() : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    if (!ctx) return 0;
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, data, length) != 1
        || EVP_DigestFinal_ex(ctx, out, &n) != 1) n = 0;
    EVP_MD_CTX_free(ctx);
    return n;
}
