
/*
 * HMAC-SHA256, SHA-256, constant-time compare and strict hex and base64
 * codecs over OpenSSL 3; the EVP objects are fetched once per process.
 */


#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "invsync.h"


static int invsync_crypto_mac_init(void);
static int invsync_crypto_md_init(void);
static int invsync_base64_value(unsigned char c);


/*
 * The programs are single-threaded and each nginx worker is one process:
 * one context per process, re-keyed per call, saves the fetch and the
 * allocation on every request.
 */
static EVP_MAC      *invsync_mac;
static EVP_MAC_CTX  *invsync_mac_ctx;
static EVP_MD       *invsync_md;
static EVP_MD_CTX   *invsync_md_ctx;

/* the key the context holds: the same key again skips its derivation */
static unsigned char  invsync_mac_key[128];
static size_t         invsync_mac_key_len = (size_t) -1;

static const char    invsync_hex_digits[] = "0123456789abcdef";
static const char    invsync_base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


static int
invsync_crypto_mac_init(void)
{
    OSSL_PARAM  params[2];

    if (invsync_mac_ctx != NULL) {
        return 0;
    }

    if (invsync_mac == NULL) {
        invsync_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (invsync_mac == NULL) {
            return -1;
        }
    }

    invsync_mac_ctx = EVP_MAC_CTX_new(invsync_mac);
    if (invsync_mac_ctx == NULL) {
        return -1;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_CTX_set_params(invsync_mac_ctx, params) != 1) {
        goto failed;
    }

    return 0;

failed:

    EVP_MAC_CTX_free(invsync_mac_ctx);
    invsync_mac_ctx = NULL;

    return -1;
}


/*
 * HMAC-SHA256 of the concatenation of parts; returns 0, or -1 if OpenSSL
 * failed (out of memory).
 */
int
invsync_hmac_sha256(const unsigned char *key, size_t key_len,
    const invsync_str_t *parts, size_t nparts, unsigned char out[32])
{
    size_t  i, len;

    if (invsync_crypto_mac_init() != 0) {
        return -1;
    }

    /* a NULL key would make OpenSSL reuse the previous one */
    if (key == NULL) {
        key = (const unsigned char *) "";
        key_len = 0;
    }

    /*
     * A location's secret is the same request after request: OpenSSL keeps
     * the padded key's digest states, and a NULL key restarts from them
     * instead of hashing the key's two blocks again.
     */
    if (key_len == invsync_mac_key_len
        && memcmp(key, invsync_mac_key, key_len) == 0)
    {
        if (EVP_MAC_init(invsync_mac_ctx, NULL, 0, NULL) != 1) {
            return -1;
        }

    } else {
        invsync_mac_key_len = (size_t) -1;

        if (EVP_MAC_init(invsync_mac_ctx, key, key_len, NULL) != 1) {
            return -1;
        }

        if (key_len <= sizeof(invsync_mac_key)) {
            memcpy(invsync_mac_key, key, key_len);
            invsync_mac_key_len = key_len;
        }
    }

    for (i = 0; i < nparts; i++) {
        if (parts[i].len == 0) {
            continue;
        }

        if (EVP_MAC_update(invsync_mac_ctx, parts[i].data, parts[i].len)
            != 1)
        {
            return -1;
        }
    }

    if (EVP_MAC_final(invsync_mac_ctx, out, &len, 32) != 1 || len != 32) {
        return -1;
    }

    return 0;
}


static int
invsync_crypto_md_init(void)
{
    if (invsync_md_ctx != NULL) {
        return 0;
    }

    if (invsync_md == NULL) {
        invsync_md = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (invsync_md == NULL) {
            return -1;
        }
    }

    invsync_md_ctx = EVP_MD_CTX_new();
    if (invsync_md_ctx == NULL) {
        return -1;
    }

    return 0;
}


int
invsync_sha256_checked(const unsigned char *data, size_t len,
    unsigned char out[32])
{
    unsigned int  n;

    if (invsync_crypto_md_init() != 0) {
        return -1;
    }

    if (EVP_DigestInit_ex(invsync_md_ctx, invsync_md, NULL) != 1
        || (len != 0 && EVP_DigestUpdate(invsync_md_ctx, data, len) != 1)
        || EVP_DigestFinal_ex(invsync_md_ctx, out, &n) != 1
        || n != 32)
    {
        return -1;
    }

    return 0;
}


/* out is zeroed if OpenSSL fails; use the _checked form where it matters */
void
invsync_sha256(const unsigned char *data, size_t len, unsigned char out[32])
{
    if (invsync_sha256_checked(data, len, out) != 0) {
        memset(out, 0, 32);
    }
}


/* returns 1 if the buffers are equal, 0 if not, in time independent of
 * where they differ */
int
invsync_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}


/* lowercase hex; dst needs 2 * len bytes */
size_t
invsync_hex_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        dst[2 * i] = invsync_hex_digits[src[i] >> 4];
        dst[2 * i + 1] = invsync_hex_digits[src[i] & 0x0f];
    }

    return 2 * len;
}


/* either case; an odd length or a non-hex byte is an error */
ssize_t
invsync_hex_decode(unsigned char *dst, size_t dst_cap,
    const unsigned char *src, size_t len)
{
    int            v, h;
    size_t         i;
    unsigned char  c;

    if (len % 2 != 0 || len / 2 > dst_cap) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= '0' && c <= '9') {
            h = c - '0';

        } else if (c >= 'a' && c <= 'f') {
            h = c - 'a' + 10;

        } else if (c >= 'A' && c <= 'F') {
            h = c - 'A' + 10;

        } else {
            return -1;
        }

        if (i % 2 == 0) {
            v = h << 4;

        } else {
            dst[i / 2] = (unsigned char) (v | h);
        }
    }

    return (ssize_t) (len / 2);
}


static int
invsync_base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


/*
 * Strict standard-alphabet base64: no whitespace, no URL alphabet, '='
 * only as the final one or two bytes, unused trailing bits zero (so every
 * value has exactly one encoding).  padding_optional accepts the unpadded
 * form as well.
 */
ssize_t
invsync_base64_decode(unsigned char *dst, size_t dst_cap,
    const unsigned char *src, size_t len, int padding_optional)
{
    int       v;
    size_t    i, pad, rem, out, n;
    uint32_t  acc;

    pad = 0;

    if (len % 4 == 0) {
        if (len >= 1 && src[len - 1] == '=') {
            pad++;

            if (len >= 2 && src[len - 2] == '=') {
                pad++;
            }
        }

    } else if (!padding_optional || len % 4 == 1) {
        return -1;
    }

    n = len - pad;
    rem = n % 4;

    if (rem == 1) {
        return -1;
    }

    out = (n / 4) * 3 + (rem == 0 ? 0 : rem - 1);

    if (out > dst_cap) {
        return -1;
    }

    acc = 0;

    for (i = 0; i < n; i++) {
        v = invsync_base64_value(src[i]);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) v;

        if (i % 4 == 3) {
            dst[(i / 4) * 3] = (unsigned char) (acc >> 16);
            dst[(i / 4) * 3 + 1] = (unsigned char) (acc >> 8);
            dst[(i / 4) * 3 + 2] = (unsigned char) acc;
            acc = 0;
        }
    }

    i = (n / 4) * 3;

    if (rem == 2) {
        if (acc & 0x0f) {
            return -1;
        }

        dst[i] = (unsigned char) (acc >> 4);

    } else if (rem == 3) {
        if (acc & 0x03) {
            return -1;
        }

        dst[i] = (unsigned char) (acc >> 10);
        dst[i + 1] = (unsigned char) (acc >> 2);
    }

    return (ssize_t) out;
}


/* standard alphabet, padded; dst needs invsync_base64_encoded_len(len) */
size_t
invsync_base64_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t                i, o;
    uint32_t              v;
    const unsigned char  *a;

    a = (const unsigned char *) invsync_base64_alphabet;
    o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8)
            | src[i + 2];
        dst[o++] = a[v >> 18];
        dst[o++] = a[(v >> 12) & 0x3f];
        dst[o++] = a[(v >> 6) & 0x3f];
        dst[o++] = a[v & 0x3f];
    }

    if (len - i == 1) {
        v = (uint32_t) src[i] << 16;
        dst[o++] = a[v >> 18];
        dst[o++] = a[(v >> 12) & 0x3f];
        dst[o++] = '=';
        dst[o++] = '=';

    } else if (len - i == 2) {
        v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8);
        dst[o++] = a[v >> 18];
        dst[o++] = a[(v >> 12) & 0x3f];
        dst[o++] = a[(v >> 6) & 0x3f];
        dst[o++] = '=';
    }

    return o;
}


/*
 * Releases the per-process OpenSSL objects; for a process that is about to
 * exit or to unload the code (nginx unloads dynamic modules at exit).
 */
void
invsync_crypto_cleanup(void)
{
    EVP_MAC_CTX_free(invsync_mac_ctx);
    invsync_mac_ctx = NULL;
    OPENSSL_cleanse(invsync_mac_key, sizeof(invsync_mac_key));
    invsync_mac_key_len = (size_t) -1;
    EVP_MAC_free(invsync_mac);
    invsync_mac = NULL;
    EVP_MD_CTX_free(invsync_md_ctx);
    invsync_md_ctx = NULL;
    EVP_MD_free(invsync_md);
    invsync_md = NULL;
}


/*
 * The rotation rule every symmetric scheme shares: the signature verifies
 * if any configured secret's HMAC-SHA256 of the signed parts equals it,
 * compared in constant time.
 */
invsync_rc_e
invsync_hmac_match(const invsync_secret_t *secrets, size_t n,
    const invsync_str_t *parts, size_t nparts, const unsigned char *sig)
{
    size_t         i;
    unsigned char  mac[32];

    for (i = 0; i < n; i++) {
        if (invsync_hmac_sha256(secrets[i].data, secrets[i].len, parts,
                                nparts, mac)
            != 0)
        {
            return INVSYNC_ERR_NOMEM;
        }

        if (invsync_ct_equal(sig, mac, 32)) {
            return INVSYNC_OK;
        }
    }

    return INVSYNC_ERR_SIGNATURE;
}
