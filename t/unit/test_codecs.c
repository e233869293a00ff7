
/*
 * The core's byte-level helpers: base64 and hex codecs, HMAC and SHA-256
 * known answers, constant-time compare, status texts (strerror, rc_name)
 * and WooCommerce HTML entity decoding.
 * Prints TAP.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_schemes.h"
#include "tap.h"


#define T_S(s)  (const unsigned char *) (s), sizeof(s) - 1


static int t_b64(const char *in, int optional, const char *want,
    ssize_t want_len);
static int t_hex(const char *in, const char *want, ssize_t want_len);
static int t_html(const char *in, const char *want);
static void t_codecs(void);
static void t_digests(void);
static void t_errors(void);
static void t_entities(void);


#define T_PLAN  48


/* want == NULL: must fail */
static int
t_b64(const char *in, int optional, const char *want, ssize_t want_len)
{
    ssize_t        n;
    unsigned char  out[64];

    n = invsync_base64_decode(out, sizeof(out), (const unsigned char *) in,
                              strlen(in), optional);

    if (want == NULL) {
        return n == -1;
    }

    return n == want_len && memcmp(out, want, (size_t) n) == 0;
}


static int
t_hex(const char *in, const char *want, ssize_t want_len)
{
    ssize_t        n;
    unsigned char  out[4];

    n = invsync_hex_decode(out, sizeof(out), (const unsigned char *) in,
                           strlen(in));

    if (want == NULL) {
        return n == -1;
    }

    return n == want_len && memcmp(out, want, (size_t) n) == 0;
}


static void
t_codecs(void)
{
    size_t         i, n;
    unsigned char  out[64], back[64];

    static const struct {
        const char  *plain;
        const char  *b64;
    } rfc4648[] = {
        { "", "" },
        { "f", "Zg==" },
        { "fo", "Zm8=" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" },
        { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
        { NULL, NULL }
    };

    for (i = 0; rfc4648[i].plain != NULL; i++) {
        n = invsync_base64_encode(out, (const unsigned char *) rfc4648[i].plain,
                                  strlen(rfc4648[i].plain));

        t_ok(n == strlen(rfc4648[i].b64)
             && n == invsync_base64_encoded_len(strlen(rfc4648[i].plain))
             && memcmp(out, rfc4648[i].b64, n) == 0
             && t_b64(rfc4648[i].b64, 0, rfc4648[i].plain,
                      (ssize_t) strlen(rfc4648[i].plain)),
             "base64 \"%s\" <-> \"%s\"", rfc4648[i].plain, rfc4648[i].b64);
    }

    t_ok(t_b64("Zg", 0, NULL, 0), "base64: missing padding refused");
    t_ok(t_b64("Zg", 1, "f", 1) && t_b64("Zm8", 1, "fo", 2),
         "base64: missing padding accepted when optional");
    t_ok(t_b64("Zg=", 1, NULL, 0), "base64: partial padding refused");
    t_ok(t_b64("Zm9vY", 1, NULL, 0), "base64: length 1 mod 4 refused");
    t_ok(t_b64("Zh==", 0, NULL, 0), "base64: non-zero trailing bits refused");
    t_ok(t_b64("Zm9=", 1, NULL, 0) && t_b64("Zm9=", 0, NULL, 0),
         "base64: non-zero trailing bits refused (one pad)");
    t_ok(t_b64("Zm9v\n", 0, NULL, 0) && t_b64(" Zm9v", 1, NULL, 0),
         "base64: whitespace refused");
    t_ok(t_b64("-_8=", 0, NULL, 0), "base64: URL alphabet refused");
    t_ok(t_b64("Zg==Zg==", 0, NULL, 0) && t_b64("=Zg=", 0, NULL, 0),
         "base64: '=' inside refused");
    t_ok(t_b64("====", 0, NULL, 0) && t_b64("Z===", 0, NULL, 0),
         "base64: padding only refused");
    t_ok(t_b64("+/+/", 0, "\xfb\xff\xbf", 3), "base64: + and /");

    n = invsync_base64_decode(out, 2, (const unsigned char *) "Zm9v", 4, 0);
    t_ok(n == (size_t) -1, "base64: too small a buffer refused");

    n = invsync_base64_decode(out, 3, (const unsigned char *) "Zm9v", 4, 0);
    t_ok(n == 3, "base64: exact buffer accepted");

    for (i = 0; i < 64; i++) {
        out[i] = (unsigned char) (i * 37 + 11);
    }

    n = invsync_base64_encode(back, out, 47);
    t_ok(invsync_base64_decode(back, 64, back, n, 0) == 47
         && memcmp(back, out, 47) == 0, "base64: 47-byte round trip");

    n = invsync_hex_encode(back, (const unsigned char *) "\x00\x9f\xff", 3);
    t_ok(n == 6 && memcmp(back, "009fff", 6) == 0, "hex: lowercase encode");
    t_ok(t_hex("009FfF", "\x00\x9f\xff", 3), "hex: either case decodes");
    t_ok(t_hex("", "", 0), "hex: empty");
    t_ok(t_hex("abc", NULL, 0), "hex: odd length refused");
    t_ok(t_hex("0g", NULL, 0) && t_hex(" 0", NULL, 0),
         "hex: non-hex refused");
    t_ok(t_hex("0011223344", NULL, 0), "hex: too small a buffer refused");
}


static void
t_digests(void)
{
    size_t         i;
    unsigned char  mac[32], mac2[32], hex[64], key[131];
    invsync_str_t  parts[3];

    parts[0].data = (const unsigned char *) "what do ya ";
    parts[0].len = 11;
    parts[1].data = (const unsigned char *) "want for nothing?";
    parts[1].len = 17;

    /* RFC 4231 test case 2 */
    t_ok(invsync_hmac_sha256(T_S("Jefe"), parts, 2, mac) == 0
         && invsync_hex_encode(hex, mac, 32) == 64
         && memcmp(hex, "5bdcc146bf60754e6a042426089575c7"
                        "5a003f089d2739839dec58b964ec3843", 64) == 0,
         "hmac: RFC 4231 case 2, two parts");

    /* the context is reused: a second key must not inherit the first */
    parts[2].data = (const unsigned char *) "what do ya want for nothing?";
    parts[2].len = 28;

    t_ok(invsync_hmac_sha256(T_S("other"), &parts[2], 1, mac2) == 0
         && memcmp(mac, mac2, 32) != 0
         && invsync_hmac_sha256(T_S("Jefe"), &parts[2], 1, mac2) == 0
         && memcmp(mac, mac2, 32) == 0,
         "hmac: re-keyed per call");

    /* RFC 4231 test case 6: a key longer than the block */
    memset(key, 0xaa, sizeof(key));
    parts[0].data = (const unsigned char *)
                    "Test Using Larger Than Block-Size Key - Hash Key First";
    parts[0].len = 54;

    t_ok(invsync_hmac_sha256(key, sizeof(key), parts, 1, mac) == 0
         && invsync_hex_encode(hex, mac, 32) == 64
         && memcmp(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
                        "8e0bc6213728c5140546040f0ee37f54", 64) == 0,
         "hmac: RFC 4231 case 6, long key");

    t_ok(invsync_hmac_sha256(key, sizeof(key), parts, 1, mac2) == 0
         && memcmp(mac, mac2, 32) == 0,
         "hmac: a long key again (not kept) gives the same");

    /* a key used twice in a row restarts from the kept key states; one of
     * the same length, or a prefix of it, is derived again */
    t_ok(invsync_hmac_sha256(T_S("Jefe"), &parts[2], 1, mac) == 0
         && invsync_hmac_sha256(T_S("Jefe"), &parts[2], 1, mac2) == 0
         && invsync_hex_encode(hex, mac2, 32) == 64
         && memcmp(hex, "5bdcc146bf60754e6a042426089575c7"
                        "5a003f089d2739839dec58b964ec3843", 64) == 0
         && invsync_hmac_sha256(T_S("Jeff"), &parts[2], 1, mac2) == 0
         && memcmp(mac, mac2, 32) != 0
         && invsync_hmac_sha256(T_S("Jef"), &parts[2], 1, mac2) == 0
         && memcmp(mac, mac2, 32) != 0
         && invsync_hmac_sha256(T_S("Jefe"), &parts[2], 1, mac2) == 0
         && memcmp(mac, mac2, 32) == 0,
         "hmac: the same key twice, then others of its length and prefix");

    t_ok(invsync_hmac_sha256(NULL, 0, NULL, 0, mac) == 0
         && invsync_hex_encode(hex, mac, 32) == 64
         && memcmp(hex, "b613679a0814d9ec772f95d778c35fc5"
                        "ff1697c493715653c6c712144292c5ad", 64) == 0,
         "hmac: empty key, empty message");

    invsync_sha256(T_S("abc"), mac);
    invsync_hex_encode(hex, mac, 32);
    t_ok(memcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
                     "b00361a396177a9cb410ff61f20015ad", 64) == 0,
         "sha256 \"abc\"");

    t_ok(invsync_sha256_checked(NULL, 0, mac) == 0
         && invsync_hex_encode(hex, mac, 32) == 64
         && memcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                        "27ae41e4649b934ca495991b7852b855", 64) == 0,
         "sha256 of nothing");

    for (i = 0; i < 32; i++) {
        mac2[i] = mac[i];
    }

    t_ok(invsync_ct_equal(mac, mac2, 32), "ct_equal: equal");
    mac2[31] ^= 1;
    t_ok(!invsync_ct_equal(mac, mac2, 32), "ct_equal: last byte differs");
    mac2[31] ^= 1;
    mac2[0] ^= 0x80;
    t_ok(!invsync_ct_equal(mac, mac2, 32), "ct_equal: first byte differs");
    t_ok(invsync_ct_equal(mac, mac2, 0), "ct_equal: zero length");
}


static void
t_errors(void)
{
    int          ok, i;
    const char  *s;

    static const char  *names[] = {
        "ok", "handshake", "nomem", "format", "json", "no_event_id",
        "no_topic", "json_nul", "json_duplicate", "json_range",
        "json_object", "utf8", "no_signature", "signature", "timestamp",
        "stale", "future", "config", NULL
    };

    ok = 1;

    for (i = 0; names[i] != NULL; i++) {
        s = invsync_strerror((invsync_rc_e) i);

        if (s == NULL || *s == '\0' || strcmp(s, "unknown error") == 0
            || strcmp(invsync_rc_name((invsync_rc_e) i), names[i]) != 0)
        {
            ok = 0;
        }

        printf("# %-12s %s\n", invsync_rc_name((invsync_rc_e) i), s);
    }

    t_ok(ok && i == INVSYNC_ERR_CONFIG + 1, "strerror and rc_name: every code");
    t_ok(strcmp(invsync_strerror(INVSYNC_ERR_SIGNATURE), "signature mismatch")
         == 0
         && strcmp(invsync_strerror(INVSYNC_ERR_NO_SIGNATURE),
                   "missing signature") == 0
         && strcmp(invsync_strerror(INVSYNC_ERR_JSON),
                   "body is not valid JSON") == 0
         && strcmp(invsync_strerror(INVSYNC_ERR_NO_EVENT_ID), "no event id")
            == 0
         && strcmp(invsync_strerror(INVSYNC_ERR_STALE), "timestamp too old")
            == 0,
         "strerror: texts");
    t_ok(strcmp(invsync_strerror((invsync_rc_e) 99), "unknown error") == 0
         && strcmp(invsync_rc_name((invsync_rc_e) 99), "unknown") == 0,
         "strerror: out of range");
}


static int
t_html(const char *in, const char *want)
{
    size_t         n;
    unsigned char  out[64];

    n = invsync_html_decode(out, (const unsigned char *) in, strlen(in));

    return n == strlen(want) && memcmp(out, want, n) == 0;
}


static void
t_entities(void)
{
    t_ok(t_html("a&amp;b&quot;c&#039;d&lt;e&gt;f", "a&b\"c'd<e>f"),
         "entities: named and &#039;");
    t_ok(t_html("&#39;&#x27;&#X27;&#0000039;&#x0022;&#60;&#062;&#38;",
                "''''\"<>&"),
         "entities: numeric forms, zero padded");
    t_ok(t_html("&amp;lt;", "&lt;"), "entities: one pass only");
    t_ok(t_html("&AMP;&apos;&nbsp;&#40;&#x3c;&#;&", "&AMP;&apos;&nbsp;&#40;"
                "&#x3c;&#;&"),
         "entities: others kept");
    t_ok(t_html("&lt", "&lt") && t_html("&#39", "&#39")
         && t_html("&#x2", "&#x2"),
         "entities: unterminated kept");
    t_ok(t_html("plain", "plain") && t_html("", ""), "entities: none");
}


int
main(void)
{
    printf("1..%d\n", T_PLAN);

    t_codecs();
    t_digests();
    t_errors();
    t_entities();

    if (t_n != T_PLAN) {
        printf("# planned %d, ran %zu\n", T_PLAN, t_n);
        return 1;
    }

    return t_failed;
}
