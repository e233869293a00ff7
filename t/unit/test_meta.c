
/*
 * What the core reads from an event: the meta helpers (event id and topic
 * limits, body hash), JSON validity and the module's and worker's JSON
 * checks agreeing, timestamp parse and tolerance, the ingest script, and
 * the stock ledger parse and a bundle's count from its components.
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


static void t_json_agree(void);
static void t_meta(void);
static void t_script(void);
static void t_stock(void);
static void t_bundle(void);


#define T_PLAN  47


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


/* a bundle's whole units: the scarcest component, rounded down */

static void
t_bundle(void)
{
    invsync_stock_bundle_t  b;

    memset(&b, 0, sizeof(b));
    t_ok(b.least == 0, "bundle: no component counted: 0");

    invsync_stock_bundle_add(&b, 7, 2);
    invsync_stock_bundle_add(&b, 10, 3);
    invsync_stock_bundle_add(&b, 9, 1);
    t_ok(b.least == 3 && b.counted == 3,
         "bundle: the fewest of 7/2, 10/3, 9/1, rounded down");

    invsync_stock_bundle_add(&b, 0, 0);
    invsync_stock_bundle_add(&b, 0, -1);
    t_ok(b.least == 3 && b.counted == 3,
         "bundle: a component of no positive quantity counts nothing");

    invsync_stock_bundle_add(&b, -1, 2);
    t_ok(b.least == -1, "bundle: an oversold component's -1/2 is -1");
}


int
main(void)
{
    printf("1..%d\n", T_PLAN);

    t_meta();
    t_script();
    t_stock();
    t_bundle();

    if (t_n != T_PLAN) {
        printf("# planned %d, ran %zu\n", T_PLAN, t_n);
        return 1;
    }

    return t_failed;
}
