
/*
 * The core below the schemes: codecs, HMAC and SHA-256 known answers,
 * constant-time compare, routes, the registry, key layout, status texts,
 * WooCommerce entity decoding, meta helpers and the ingest script.
 * Prints TAP.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "invsync_schemes.h"
#include "invsync_stock.h"
#include "tap.h"


#define T_S(s)  (const unsigned char *) (s), sizeof(s) - 1


static int t_b64(const char *in, int optional, const char *want,
    ssize_t want_len);
static int t_hex(const char *in, const char *want, ssize_t want_len);
static int t_html(const char *in, const char *want);
static int t_route(const invsync_scheme_t *s, const char *topic,
    const char *want);
static void t_codecs(void);
static void t_digests(void);
static void t_routes(void);
static void t_registry(void);
static void t_keys(void);
static void t_json_agree(void);
static void t_key_pair(const char *topic1, const char *event1,
    const char *topic2, const char *event2, const char *channel1,
    const char *channel2, const char *what);
static void t_errors(void);
static void t_entities(void);
static void t_meta(void);
static void t_script(void);
static void t_stock(void);


#define T_PLAN  141


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


static int
t_route(const invsync_scheme_t *s, const char *topic, const char *want)
{
    const char  *got;

    got = invsync_route_find(s->routes, (const unsigned char *) topic,
                             strlen(topic));

    if (want == NULL) {
        return got == NULL;
    }

    return got != NULL && strcmp(got, want) == 0;
}


static void
t_routes(void)
{
    size_t  i;

    static const struct {
        const invsync_scheme_t  *scheme;
        const char              *topic;
        const char              *stream;
    } table[] = {
        { &invsync_scheme_shopify, "orders/create", "orders" },
        { &invsync_scheme_shopify, "refunds/create", "refunds" },
        { &invsync_scheme_shopify, "fulfillments/update", "fulfillments" },
        { &invsync_scheme_shopify, "fulfillment_orders/moved",
          "fulfillments" },
        { &invsync_scheme_shopify, "fulfillment_events/create",
          "fulfillments" },
        { &invsync_scheme_shopify, "inventory_levels/update", "stock" },
        { &invsync_scheme_shopify, "inventory_items/update", "stock" },
        { &invsync_scheme_shopify, "products/update", "stock" },
        { &invsync_scheme_shopify, "orders", NULL },
        { &invsync_scheme_shopify, "customers/create", NULL },
        { &invsync_scheme_woocommerce, "order.updated", "orders" },
        { &invsync_scheme_woocommerce, "product.updated", "stock" },
        { &invsync_scheme_woocommerce, "customer.created", NULL },
        { &invsync_scheme_woocommerce, "coupon.deleted", NULL },
        { &invsync_scheme_stripe, "refund.created", "refunds" },
        { &invsync_scheme_stripe, "charge.refunded", "refunds" },
        { &invsync_scheme_stripe, "charge.refund.updated", "refunds" },
        { &invsync_scheme_stripe, "charge.refunded.x", NULL },
        { &invsync_scheme_stripe, "charge.dispute.created", NULL },
        { &invsync_scheme_square, "order.fulfillment.updated",
          "fulfillments" },
        { &invsync_scheme_square, "order.created", "orders" },
        { &invsync_scheme_square, "refund.updated", "refunds" },
        { &invsync_scheme_square, "inventory.count.updated", "stock" },
        { &invsync_scheme_square, "payment.updated", NULL },
        { &invsync_scheme_tiktok, "1", "orders" },
        { &invsync_scheme_tiktok, "2", "refunds" },
        { &invsync_scheme_tiktok, "3", "orders" },
        { &invsync_scheme_tiktok, "4", "fulfillments" },
        { &invsync_scheme_tiktok, "5", NULL },
        { &invsync_scheme_tiktok, "12", NULL },
        { &invsync_scheme_standard, "invoice.paid", NULL },
        { &invsync_scheme_hmac, "x", NULL },
        { NULL, NULL, NULL }
    };

    for (i = 0; table[i].scheme != NULL; i++) {
        t_ok(t_route(table[i].scheme, table[i].topic, table[i].stream),
             "route %s \"%s\" -> %s", table[i].scheme->name, table[i].topic,
             table[i].stream != NULL ? table[i].stream : "(default)");
    }

    t_ok(invsync_route_match("*", (const unsigned char *) "", 0)
         && invsync_route_match("*", T_S("anything")),
         "route: \"*\" matches all");
    t_ok(invsync_route_match("a.*", T_S("a.")) &&
         !invsync_route_match("a.*", T_S("a")),
         "route: prefix needs the whole prefix");
    t_ok(invsync_route_match("abc", T_S("abc"))
         && !invsync_route_match("abc", T_S("abcd"))
         && !invsync_route_match("abc", T_S("ab")),
         "route: exact");
    t_ok(invsync_route_find(NULL, T_S("x")) == NULL, "route: NULL table");
}


static void
t_registry(void)
{
    size_t  i;
    int     sorted, complete;

    sorted = 1;
    complete = 1;

    for (i = 0; invsync_schemes[i] != NULL; i++) {
        if (invsync_schemes[i + 1] != NULL
            && strcmp(invsync_schemes[i]->name, invsync_schemes[i + 1]->name)
               >= 0)
        {
            sorted = 0;
        }

        if (invsync_schemes[i]->verify == NULL
            || invsync_schemes[i]->describe == NULL)
        {
            complete = 0;
        }
    }

    t_ok(i == 8 && sorted && complete, "registry: 8 schemes, sorted");
    t_ok(invsync_scheme_find("stripe", 6) == &invsync_scheme_stripe
         && invsync_scheme_find("standard", 8) == &invsync_scheme_standard
         && invsync_scheme_find("stripe", 5) == NULL
         && invsync_scheme_find("Stripe", 6) == NULL
         && invsync_scheme_find("", 0) == NULL,
         "registry: find by name and length");
    t_ok(strcmp(invsync_scheme_names(), "hmac, shipbob, shopify, square, "
                "standard, stripe, tiktok, woocommerce") == 0
         && invsync_scheme_names() == invsync_scheme_names(),
         "registry: names \"%s\"", invsync_scheme_names());
    t_ok(invsync_scheme_square.needs_url && invsync_scheme_tiktok.needs_app_key
         && invsync_scheme_stripe.signs_time
         && invsync_scheme_standard.signs_time
         && !invsync_scheme_shopify.signs_time
         && invsync_scheme_hmac.headers == NULL,
         "registry: flags");
}


static void
t_keys(void)
{
    size_t          n, len;
    unsigned char   buf[256];
    invsync_meta_t  m;

    len = invsync_key_stream_len(7, 6);
    n = invsync_key_stream(buf, T_S("invsync"), T_S("orders"));
    t_ok(n == len && n == 14 && memcmp(buf, "invsync:orders", n) == 0,
         "key: stream");

    len = invsync_key_deployment_len(7);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_deployment(buf, T_S("invsync"));
    t_ok(n == len && memcmp(buf, "invsync:{invsync}:epoch", n) == 0
         && buf[n] == 'X', "key: the deployment's epoch");

    len = invsync_key_marker_len(7, 6);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_marker(buf, T_S("invsync"), T_S("orders"));
    t_ok(n == len && memcmp(buf, "invsync:{invsync:orders}:epoch", n) == 0
         && buf[n] == 'X', "key: a stream's epoch marker, in its slot");

    memset(&m, 0, sizeof(invsync_meta_t));
    invsync_meta_set(m.topic, &m.topic_len, INVSYNC_TOPIC_LEN,
                     T_S("orders/create"));
    invsync_meta_set(m.event, &m.event_len, INVSYNC_EVENT_LEN, T_S("e-1"));

    len = invsync_key_dedupe_len(7, 6, &m, 4);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_dedupe(buf, T_S("invsync"), T_S("orders"), T_S("shop"),
                           &m);

#define T_DEDUPE  "invsync:{invsync:orders}:idem:4:shop:13:orders/create:3:e-1"

    t_ok(n == len && n == sizeof(T_DEDUPE) - 1
         && memcmp(buf, T_DEDUPE, n) == 0 && buf[n] == 'X',
         "key: dedupe \"%.*s\"", (int) n, buf);

    m.topic_len = 0;
    len = invsync_key_dedupe_len(0, 1, &m, 0);
    n = invsync_key_dedupe(buf, (const unsigned char *) "", 0, T_S("s"),
                           (const unsigned char *) "", 0, &m);
    t_ok(n == len && memcmp(buf, ":{:s}:idem:0::0::3:e-1", n) == 0,
         "key: dedupe with empty parts");

    /* a part of 10 bytes or more: its length takes two digits */
    invsync_meta_set(m.event, &m.event_len, INVSYNC_EVENT_LEN,
                     T_S("0123456789"));
    len = invsync_key_dedupe_len(1, 1, &m, 1);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_dedupe(buf, T_S("p"), T_S("s"), T_S("c"), &m);
    t_ok(n == len && memcmp(buf, "p:{p:s}:idem:1:c:0::10:0123456789", n) == 0
         && buf[n] == 'X', "key: dedupe, a two-digit length");

    t_key_pair("orders/x", "aa:bb", "orders/x:aa", "bb", "shop", "shop",
               "key: a ':' moved from the id into the topic");
    t_key_pair("a", "b:c", "a:b", "c", "shop", "shop",
               "key: a ':' moved from the topic into the id");
    t_key_pair("x:t", "e", "t", "e", "shop", "shop:x",
               "key: a ':' moved from the topic into the channel");
    t_key_pair("t", "1:e", "t:1", "e", "shop", "shop",
               "key: a length-like part moved across");
}


/* two events that the ':'-joined layout gave one key must get two */
static void
t_key_pair(const char *topic1, const char *event1, const char *topic2,
    const char *event2, const char *channel1, const char *channel2,
    const char *what)
{
    size_t          n1, n2, len1, len2;
    unsigned char   k1[256], k2[256];
    invsync_meta_t  m1, m2;

    memset(&m1, 0, sizeof(invsync_meta_t));
    memset(&m2, 0, sizeof(invsync_meta_t));
    invsync_meta_set(m1.topic, &m1.topic_len, INVSYNC_TOPIC_LEN,
                     (const unsigned char *) topic1, strlen(topic1));
    invsync_meta_set(m1.event, &m1.event_len, INVSYNC_EVENT_LEN,
                     (const unsigned char *) event1, strlen(event1));
    invsync_meta_set(m2.topic, &m2.topic_len, INVSYNC_TOPIC_LEN,
                     (const unsigned char *) topic2, strlen(topic2));
    invsync_meta_set(m2.event, &m2.event_len, INVSYNC_EVENT_LEN,
                     (const unsigned char *) event2, strlen(event2));

    len1 = invsync_key_dedupe_len(7, 6, &m1, strlen(channel1));
    len2 = invsync_key_dedupe_len(7, 6, &m2, strlen(channel2));
    n1 = invsync_key_dedupe(k1, T_S("invsync"), T_S("orders"),
                            (const unsigned char *) channel1,
                            strlen(channel1), &m1);
    n2 = invsync_key_dedupe(k2, T_S("invsync"), T_S("orders"),
                            (const unsigned char *) channel2,
                            strlen(channel2), &m2);

    t_ok(n1 == len1 && n2 == len2
         && (n1 != n2 || memcmp(k1, k2, n1) != 0),
         "%s: \"%.*s\" and \"%.*s\"", what, (int) n1, k1, (int) n2, k2);
}


/*
 * What the worker's parser refuses (jansson, JSON_REJECT_DUPLICATES, as
 * invsync_canon_load()), the module's checks refuse with the same reason:
 * the simdjson one (Shopify) and the jansson one (the other schemes).
 */
static void
t_json_agree(void)
{
    size_t             i, k, n;
    json_t            *root;
    invsync_rc_e       rc, jrc;
    invsync_input_t    in;
    unsigned char      big[8192];

    static const struct {
        const char    *body;
        invsync_rc_e   rc;
    } cases[] = {
        { "{\"a\":\"x\\u0000y\"}", INVSYNC_ERR_JSON_NUL },
        { "{\"a\\u0000\":1}", INVSYNC_ERR_JSON_NUL },
        { "[\"\\\\u0000\"]", INVSYNC_OK },       /* an escaped backslash */
        { "[\"\\\\\\u0000\"]", INVSYNC_ERR_JSON_NUL },
        { "{\"a\":\"\\u00000\"}", INVSYNC_ERR_JSON_NUL },
        { "{\"a\":\"\\u0001\\u0100\"}", INVSYNC_OK },
        { "{\"a\":1,\"a\":2}", INVSYNC_ERR_JSON_DUPLICATE },
        { "{\"a\":1,\"b\":{\"c\":1,\"c\":1}}", INVSYNC_ERR_JSON_DUPLICATE },
        { "[{\"a\":1},{\"a\":1}]", INVSYNC_OK },
        { "{\"a\":{\"a\":{\"a\":1}}}", INVSYNC_OK },
        { "{\"a\":1,\"\\u0061\":2}", INVSYNC_ERR_JSON_DUPLICATE },
        { "{\"ab\":1,\"ba\":2,\"a\":3,\"b\":4,\"\":5}", INVSYNC_OK },
        { "{\"long_key_of_twenty_\":1,\"long_key_of_twenty!\":2}",
          INVSYNC_OK },
        { "{\"long_key_of_twenty_\":1,\"long_key_of_twenty_\":2}",
          INVSYNC_ERR_JSON_DUPLICATE },
        { "[9223372036854775807,-9223372036854775808]", INVSYNC_OK },
        { "[9223372036854775808]", INVSYNC_ERR_JSON_RANGE },
        { "{\"id\":18446744073709551615}", INVSYNC_ERR_JSON_RANGE },
        { "[1e-400,1.7976931348623157e308]", INVSYNC_OK },
        { "[\"\\ud83d\\udce6\"]", INVSYNC_OK },
        { NULL, INVSYNC_OK }
    };

    memset(&in, 0, sizeof(invsync_input_t));

    for (i = 0; cases[i].body != NULL; i++) {
        in.body.data = (const unsigned char *) cases[i].body;
        in.body.len = strlen(cases[i].body);

        rc = invsync_json_check(in.body.data, in.body.len, 0);
        jrc = invsync_json_load(&in, 0, &root);
        json_decref(jrc == INVSYNC_OK ? root : NULL);

        t_ok(rc == cases[i].rc && jrc == cases[i].rc,
             "json agree: %s: simdjson %s, jansson %s", cases[i].body,
             invsync_rc_name(rc), invsync_rc_name(jrc));
    }

    /* beyond what either reads: both refuse, jansson may say why */
    in.body.data = (const unsigned char *) "[18446744073709551616]";
    in.body.len = strlen((const char *) in.body.data);
    rc = invsync_json_check(in.body.data, in.body.len, 0);
    jrc = invsync_json_load(&in, 0, &root);
    t_ok(rc == INVSYNC_ERR_JSON && jrc == INVSYNC_ERR_JSON_RANGE,
         "json agree: beyond uint64 refused by both (%s, %s)",
         invsync_rc_name(rc), invsync_rc_name(jrc));

    t_ok(invsync_json_check(T_S("[1]"), 1) == INVSYNC_ERR_JSON_OBJECT
         && invsync_json_check(T_S(" {}"), 1) == INVSYNC_OK
         && invsync_json_check(T_S("[1"), 1) == INVSYNC_ERR_JSON,
         "json: an object when wanted, and bad JSON first");

    /* small and large objects (the table, and sorting beyond 512 keys):
     * the last key made the first's is found, and no repeat invented */
    for (k = 0; k < 3; k++) {
        size_t  keys[] = { 40, 300, 600 };

        n = 0;
        big[n++] = '{';

        for (i = 0; i < keys[k]; i++) {
            n += snprintf((char *) big + n, sizeof(big) - n, "%s\"k%zu\":0",
                          i ? "," : "", i);
        }

        big[n++] = '}';

        rc = invsync_json_check(big, n, 1);

        /* the last key renamed to the first: "k0" */
        big[n - 1] = '\0';
        n = (size_t) (strrchr((char *) big, ',') - (char *) big);
        n += snprintf((char *) big + n, sizeof(big) - n, ",\"k0\":0}");

        t_ok(rc == INVSYNC_OK
             && invsync_json_check(big, n, 1) == INVSYNC_ERR_JSON_DUPLICATE,
             "json: %zu keys distinct, then one repeated", keys[k]);
    }
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


static void
t_meta(void)
{
    size_t           len;
    int64_t          t;
    invsync_meta_t   m;
    invsync_input_t  in;
    unsigned char    big[INVSYNC_EVENT_LEN];

    memset(big, 'a', sizeof(big));

    t_ok(invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN, big,
                          INVSYNC_EVENT_LEN - 1) == INVSYNC_OK
         && len == INVSYNC_EVENT_LEN - 1
         && m.event[INVSYNC_EVENT_LEN - 1] == '\0',
         "meta: longest event id fits");
    t_ok(invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN, big,
                          INVSYNC_EVENT_LEN) == INVSYNC_ERR_FORMAT
         && len == 0,
         "meta: one byte more refused");
    t_ok(invsync_meta_set(m.topic, &len, INVSYNC_TOPIC_LEN, T_S("a b"))
         == INVSYNC_ERR_FORMAT
         && invsync_meta_set(m.topic, &len, INVSYNC_TOPIC_LEN, T_S("a\x7f"))
            == INVSYNC_ERR_FORMAT
         && invsync_meta_set(m.topic, &len, INVSYNC_TOPIC_LEN, T_S("a\n"))
            == INVSYNC_ERR_FORMAT,
         "meta: space, DEL, control refused");
    t_ok(invsync_meta_set(m.topic, &len, INVSYNC_TOPIC_LEN,
                          T_S("caf\xc3\xa9/!~")) == INVSYNC_OK && len == 8,
         "meta: UTF-8 and punctuation kept");
    t_ok(invsync_meta_set(m.topic, &len, INVSYNC_TOPIC_LEN,
                          T_S("\xf0\x9f\x93\xa6:\xe2\x82\xac"))
         == INVSYNC_OK && len == 8,
         "meta: four- and three-byte UTF-8 kept");
    t_ok(invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN, T_S("id\xff"))
         == INVSYNC_ERR_UTF8
         && invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN,
                             T_S("caf\xe9")) == INVSYNC_ERR_UTF8
         && invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN,
                             T_S("\xc0\xaf")) == INVSYNC_ERR_UTF8
         && invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN,
                             T_S("\xed\xa0\x80")) == INVSYNC_ERR_UTF8
         && invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN,
                             T_S("\xf4\x90\x80\x80")) == INVSYNC_ERR_UTF8
         && invsync_meta_set(m.event, &len, INVSYNC_EVENT_LEN,
                             T_S("a\xe2\x82")) == INVSYNC_ERR_UTF8
         && len == 0 && m.event[0] == '\0',
         "meta: not UTF-8 refused (stray, Latin-1, overlong, surrogate, "
         "beyond U+10FFFF, cut)");

    memset(&in, 0, sizeof(invsync_input_t));
    in.body.data = (const unsigned char *) "abc";
    in.body.len = 3;

    t_ok(invsync_meta_body_hash(&m, &in) == INVSYNC_OK && m.event_len == 71
         && strcmp((char *) m.event, "sha256:ba7816bf8f01cfea414140de5dae2223"
                   "b00361a396177a9cb410ff61f20015ad") == 0,
         "meta: body hash");

    t_ok(invsync_json_valid(T_S("{\"a\":1}"))
         && invsync_json_valid(T_S("[1]"))
         && !invsync_json_valid(T_S("1"))
         && !invsync_json_valid(T_S("\"s\""))
         && !invsync_json_valid(T_S("{\"a\":1} x"))
         && !invsync_json_valid(T_S("{\"a\":1"))
         && !invsync_json_valid(NULL, 0),
         "json: objects and arrays only, whole body");

    t_ok(invsync_json_valid(T_S(" \n{\"a\":[1,-2.5e3,true,null,"
                                "\"\\u00e9\"]}\r\n"))
         && invsync_json_valid(T_S("{\"caf\xc3\xa9\":\"\xe2\x82\xac\"}"))
         && !invsync_json_valid(T_S("{\"a\":\"\xff\"}"))
         && !invsync_json_valid(T_S("{\"a\":\"\xc0\xaf\"}"))
         && !invsync_json_valid(T_S("{\"a\":\"\\x\"}"))
         && !invsync_json_valid(T_S("[01]"))
         && !invsync_json_valid(T_S("[1.]"))
         && !invsync_json_valid(T_S("{\"a\" 1}"))
         && !invsync_json_valid(T_S("{\"a\":1,}"))
         && !invsync_json_valid(T_S("[tru]")),
         "json: strict: UTF-8, escapes, numbers, punctuation");

    t_json_agree();

    {
        /* beyond the size the kept parser grows to: a parser of its own */
        size_t          n, k;
        unsigned char  *big;

        n = 600 * 1024;
        big = malloc(n);

        if (big != NULL) {
            big[0] = '[';

            for (k = 1; k + 3 < n; k += 2) {
                big[k] = '1';
                big[k + 1] = ',';
            }

            big[k] = '1';
            big[k + 1] = ']';

            t_ok(invsync_json_valid(big, k + 2), "json: a 600 KB array");

            big[k + 1] = ',';
            t_ok(!invsync_json_valid(big, k + 2),
                 "json: a 600 KB array that does not end");
            free(big);
        }

        t_ok(invsync_json_valid(T_S("{\"after\":\"big\"}"))
             && !invsync_json_valid(T_S("{\"after\":}")),
             "json: the kept parser still right after both");
    }

    t_ok(invsync_time_parse(T_S("1614265330"), 1, &t) == 0 && t == 1614265330
         && invsync_time_parse(T_S("0"), 1, &t) == 0 && t == 0
         && invsync_time_parse(T_S("01"), 1, &t) == -1
         && invsync_time_parse(T_S("01"), 0, &t) == 0 && t == 1
         && invsync_time_parse(T_S("-1"), 0, &t) == -1
         && invsync_time_parse(T_S("+1"), 0, &t) == -1
         && invsync_time_parse(T_S("1 "), 0, &t) == -1
         && invsync_time_parse(T_S(""), 0, &t) == -1
         && invsync_time_parse(T_S("1234567890123456789"), 0, &t) == -1,
         "time: parse");

    in.now = 1000;
    in.tolerance = 300;

    t_ok(invsync_time_check(&in, 700) == INVSYNC_OK
         && invsync_time_check(&in, 1300) == INVSYNC_OK
         && invsync_time_check(&in, 699) == INVSYNC_ERR_STALE
         && invsync_time_check(&in, 1301) == INVSYNC_ERR_FUTURE,
         "time: tolerance on both sides");
}


static void
t_script(void)
{
    t_ok(invsync_script_ingest_len == strlen(invsync_script_ingest)
         && strstr(invsync_script_ingest, "'NX', 'EX', ttl") != NULL
         && strstr(invsync_script_ingest, "'body', ARGV[a + 7]") != NULL
         && strstr(invsync_script_ingest, "'EPOCH ") != NULL
         && strstr(invsync_script_ingest, "--") == NULL,
         "script: ingest, %zu bytes, no comments", invsync_script_ingest_len);
}


/* a ledger of 50 locations (issue 10's routing bar), three fields each;
 * one location more than INVSYNC_STOCK_MAX_LOCATIONS refused whole */

static void
t_stock(void)
{
    char                   names[3 * (INVSYNC_STOCK_MAX_LOCATIONS + 1)][32];
    size_t                 i, n;
    const char            *f[3 * (INVSYNC_STOCK_MAX_LOCATIONS + 1) + 1];
    const char            *v[3 * (INVSYNC_STOCK_MAX_LOCATIONS + 1) + 1];
    invsync_stock_t        st;
    invsync_stock_rules_t  rules;

    for (n = 0, i = 0; i < 50; i++) {
        snprintf(names[n], sizeof(names[0]), "on_hand:loc-%02zu", i);
        f[n] = names[n];
        v[n++] = "10";
        snprintf(names[n], sizeof(names[0]), "reserved:loc-%02zu", i);
        f[n] = names[n];
        v[n++] = "3";
        snprintf(names[n], sizeof(names[0]), "damaged:loc-%02zu", i);
        f[n] = names[n];
        v[n++] = "1";
    }

    f[n] = "unrouted";
    v[n++] = "7";

    t_ok(invsync_stock_parse(&st, f, v, n) == 0 && st.nlocations == 50
         && strcmp(st.location[49], "loc-49") == 0 && st.on_hand[49] == 10
         && st.damaged[49] == 1,
         "stock: 50 locations of three fields each parsed");
    t_ok(invsync_stock_available(&st, NULL) == 50 * 7 - 7,
         "stock: available over all 50: on hand - reserved - unrouted");

    memset(&rules, 0, sizeof(rules));
    rules.nlocations = 1;
    snprintf(rules.location[0], sizeof(rules.location[0]), "loc-42");
    t_ok(invsync_stock_available(&st, &rules) == 7 - 7,
         "stock: a channel counting the 43rd location only");

    for (n = 0, i = 0; i <= INVSYNC_STOCK_MAX_LOCATIONS; i++) {
        snprintf(names[n], sizeof(names[0]), "on_hand:l%zu", i);
        f[n] = names[n];
        v[n++] = "1";
    }

    t_ok(invsync_stock_parse(&st, f, v, n) == -1,
         "stock: %d locations refused, not cut",
         INVSYNC_STOCK_MAX_LOCATIONS + 1);
}


int
main(void)
{
    printf("1..%d\n", T_PLAN);

    t_codecs();
    t_digests();
    t_routes();
    t_registry();
    t_keys();
    t_errors();
    t_entities();
    t_meta();
    t_script();
    t_stock();

    if (t_n != T_PLAN) {
        printf("# planned %d, ran %zu\n", T_PLAN, t_n);
        return 1;
    }

    return t_failed;
}
