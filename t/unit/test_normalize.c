
/*
 * The normalizers: currencies, money, times, the fixtures of
 * t/fixtures/<type>/<case>/ (topic, body.json, expect.json: the whole
 * canonical event), then what real traffic may hold:
 * missing members, nulls, wrong types, unicode, numbers past 2^53 and
 * int64, bodies that are not JSON; and every member of every fixture
 * replaced by odd values, which must give an event or a poison with a
 * reason, never a crash.  Prints TAP.
 */


#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_channel.h"
#include "tap.h"


#define T_ERR_LEN  INVSYNC_CANON_ERR_LEN
#define T_OK       INVSYNC_NORM_OK
#define T_IGNORE   INVSYNC_NORM_IGNORE
#define T_POISON   INVSYNC_NORM_POISON


typedef struct {
    const char  *scheme;
    const char  *topic;
    const char  *fixture;       /* under t/fixtures/ */
    const char  *path;          /* member to replace, or NULL */
    const char  *value;         /* JSON text; NULL deletes the member */
    int          rc;
    const char  *check;         /* OK: path to compare; POISON: NULL */
    const char  *want;          /* OK: JSON text; POISON: err contains */
} t_case_t;


typedef struct {
    size_t  cases;
    size_t  ok;
    size_t  poison;
    size_t  bad;
    char    first[512];
} t_fuzz_t;


static char *t_read(const char *fixture, size_t *len);
static invsync_norm_rc_e t_norm(const char *scheme, const char *topic,
    const char *body, size_t len, json_t **out, char *err);
static json_t *t_get(json_t *root, const char *path);
static int t_set(json_t *root, const char *path, json_t *value);
static int t_equal(json_t *root, const char *path, const char *want);
static const char *t_sane(invsync_norm_rc_e rc, json_t *out,
    const char *err);
static void t_currency(void);
static void t_money(void);
static void t_time(void);
static void t_fixtures(void);
static char *t_read_in(const char *dir, const char *name, size_t *len);
static int t_list(const char *sub, struct dirent ***list);
static int t_subdir(const struct dirent *d);
static void t_cases(void);
static void t_raw(void);
static void t_ignore(void);
static void t_fuzz(void);
static void t_fuzz_walk(const t_case_t *c, json_t *root, json_t *node,
    char *path, size_t plen, t_fuzz_t *f);
static void t_fuzz_one(const t_case_t *c, json_t *root, const char *path,
    t_fuzz_t *f);


/* the fixture's bytes, NUL-terminated; exits if it cannot be read */
static char *
t_read(const char *fixture, size_t *len)
{
    char        path[512], *buf;
    long        n;
    FILE       *f;
    const char  *top;

    top = getenv("INVSYNC_TOP");

    snprintf(path, sizeof(path), "%s/t/fixtures/%s", top ? top : ".",
             fixture);

    f = fopen(path, "rb");
    if (f == NULL) {
        printf("Bail out! cannot open %s\n", path);
        exit(1);
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        printf("Bail out! cannot read %s\n", path);
        exit(1);
    }

    fclose(f);

    buf[n] = '\0';
    *len = n;

    return buf;
}


static invsync_norm_rc_e
t_norm(const char *scheme, const char *topic, const char *body, size_t len,
    json_t **out, char *err)
{
    invsync_envelope_t  ev;

    memset(&ev, 0, sizeof(invsync_envelope_t));

    ev.stream = "invsync:orders";
    ev.entry = "1722641212000-0";
    ev.channel = "shop-1";
    ev.scheme = scheme;
    ev.account = "acme.myshopify.com";
    ev.topic = topic;
    ev.event = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043";
    ev.received = 1722641213000;
    ev.body = body;
    ev.body_len = len;

    return invsync_normalize(&ev, out, err, T_ERR_LEN);
}


/* "lines[1].sku": members by name, array elements by [index] */
static json_t *
t_get(json_t *root, const char *path)
{
    char    key[128];
    size_t  n;

    while (root != NULL && *path != '\0') {
        if (*path == '.') {
            path++;
        }

        if (*path == '[') {
            root = json_array_get(root, strtoul(path + 1, NULL, 10));
            path = strchr(path, ']') + 1;
            continue;
        }

        n = strcspn(path, ".[");
        snprintf(key, sizeof(key), "%.*s", (int) n, path);
        root = json_object_get(root, key);
        path += n;
    }

    return root;
}


/* steals value; NULL deletes the member */
static int
t_set(json_t *root, const char *path, json_t *value)
{
    char         parent[256];
    json_t      *p;
    const char  *last;

    last = path + strlen(path);

    while (last > path && *last != '.' && *last != '[') {
        last--;
    }

    snprintf(parent, sizeof(parent), "%.*s", (int) (last - path), path);
    p = t_get(root, parent);

    if (*last == '[') {
        if (value == NULL) {
            return json_array_remove(p, strtoul(last + 1, NULL, 10));
        }

        return json_array_set_new(p, strtoul(last + 1, NULL, 10), value);
    }

    if (*last == '.') {
        last++;
    }

    if (value == NULL) {
        return json_object_del(p, last);
    }

    return json_object_set_new(p, last, value);
}


static int
t_equal(json_t *root, const char *path, const char *want)
{
    int      eq;
    char    *got;
    json_t  *w, *v;

    v = t_get(root, path);
    w = json_loads(want, JSON_DECODE_ANY, NULL);

    eq = (v != NULL && w != NULL && json_equal(v, w));

    if (!eq) {
        got = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
        printf("# %s: got %s, want %s\n", path, got ? got : "(none)", want);
        free(got);
    }

    json_decref(w);

    return eq;
}


/* NULL if the result keeps the contract, else what breaks it */
static const char *
t_sane(invsync_norm_rc_e rc, json_t *out, const char *err)
{
    char         *dump;
    size_t        i;
    json_t       *lines, *l, *q;
    const char   *p;

    if (rc == T_POISON || rc == T_IGNORE) {
        if (out != NULL) {
            return "an event with a poison or an ignore";
        }

        if (err[0] == '\0') {
            return "no reason";
        }

        for (p = err; *p != '\0'; p++) {
            if (*p < 0x20 || *p > 0x7e) {
                return "reason not printable ASCII";
            }
        }

        return NULL;
    }

    if (rc != T_OK || out == NULL || err[0] != '\0') {
        return "OK without an event, or with a reason";
    }

    dump = json_dumps(out, JSON_COMPACT);
    if (dump == NULL) {
        return "event does not serialize";
    }

    free(dump);

    if (!json_is_string(json_object_get(out, "kind"))) {
        return "no kind";
    }

    lines = json_object_get(out, "lines");

    json_array_foreach(lines, i, l) {
        q = json_object_get(l, "quantity");

        if (!json_is_integer(q) || json_integer_value(q) < 0) {
            return "a line quantity that is not a count";
        }

        if (!json_is_string(json_object_get(l, "channel_line_id"))) {
            return "a line without an id";
        }
    }

    return NULL;
}


static void
t_currency(void)
{
    size_t  i;

    static const struct {
        const char  *code;
        int          exp;
    } cases[] = {
        { "EUR", 2 }, { "USD", 2 }, { "JPY", 0 }, { "KRW", 0 },
        { "BHD", 3 }, { "KWD", 3 }, { "OMR", 3 }, { "JOD", 3 },
        { "TND", 3 }, { "CLF", 4 }, { "eur", -1 }, { "EU", -1 },
        { "EURO", -1 }, { "", -1 }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        t_ok(invsync_currency_exponent(cases[i].code) == cases[i].exp,
             "currency \"%s\" has %d decimals", cases[i].code,
             cases[i].exp);
    }

    t_ok(invsync_currency_exponent(NULL) == -1, "no currency: -1");
}


static void
t_money(void)
{
    int       rc;
    char      err[T_ERR_LEN];
    size_t    i;
    json_t   *v;
    int64_t   minor;

    static const struct {
        const char  *json;
        const char  *currency;
        int64_t      minor;
        const char  *err;       /* NULL: must parse */
    } cases[] = {
        { "\"19.99\"", "EUR", 1999, NULL },
        { "\"19.9\"", "EUR", 1990, NULL },
        { "\"19\"", "EUR", 1900, NULL },
        { "\"19.990\"", "EUR", 1999, NULL },
        { "\"0.00\"", "USD", 0, NULL },
        { "\"-5.00\"", "USD", -500, NULL },
        { "19", "EUR", 1900, NULL },
        { "19.99", "EUR", 1999, NULL },
        { "0.1", "USD", 10, NULL },
        { "\"1500\"", "JPY", 1500, NULL },
        { "\"1500.00\"", "JPY", 1500, NULL },
        { "1500.0", "JPY", 1500, NULL },
        { "\"12.345\"", "BHD", 12345, NULL },
        { "\"12.3\"", "KWD", 12300, NULL },
        { "\"9223372036854775807\"", "JPY", INT64_MAX, NULL },
        { "\"19.999\"", "EUR",
          0, "price \"19.999\" has more decimals than EUR allows" },
        { "19.999", "EUR",
          0, "price 19.999 has more decimals than EUR allows" },
        { "0.30000000000000004", "USD", 0, "more decimals than USD" },
        { "\"1500.5\"", "JPY", 0, "more decimals than JPY allows" },
        { "\"1.2345\"", "OMR", 0, "more decimals than OMR allows" },
        { "\"9223372036854775808\"", "JPY", 0, "overflows int64" },
        { "\"92233720368547758.08\"", "EUR", 0, "overflows int64" },
        { "92233720368547759", "EUR", 0, "overflows int64" },
        { "1e300", "EUR", 0, "overflows int64" },
        { "\"19,99\"", "EUR", 0, "\"19,99\" is not a decimal number" },
        { "\"\"", "EUR", 0, "is not a decimal number" },
        { "\"1e3\"", "EUR", 0, "is not a decimal number" },
        { "\"+1\"", "EUR", 0, "is not a decimal number" },
        { "\".5\"", "EUR", 0, "is not a decimal number" },
        { "\"5.\"", "EUR", 0, "is not a decimal number" },
        { "\" 5\"", "EUR", 0, "is not a decimal number" },
        { "\"5 \\u20ac\"", "EUR", 0, "\"5 ???\" is not a decimal number" },
        { "true", "EUR", 0, "not a number or a string" },
        { "null", "EUR", 0, "price is missing" },
        { "\"1.00\"", "eur", 0, "\"eur\" is not an ISO 4217 code" },
        { "\"1.00\"", NULL, 0, "no currency" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        err[0] = '\0';
        minor = 0;

        rc = invsync_money_parse(v, cases[i].currency, &minor, err,
                                 sizeof(err));

        if (cases[i].err == NULL) {
            t_ok(rc == 0 && minor == cases[i].minor,
                 "money %s %s is %lld minor units", cases[i].json,
                 cases[i].currency, (long long) cases[i].minor);

        } else {
            t_ok(rc == -1 && strstr(err, cases[i].err) != NULL,
                 "money %s %s: %s", cases[i].json,
                 cases[i].currency ? cases[i].currency : "(none)", err);
        }

        json_decref(v);
    }
}


static void
t_time(void)
{
    int       rc;
    size_t    i;
    int64_t   ms;

    static const struct {
        const char  *iso;
        int64_t      ms;        /* -1: must fail */
    } cases[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2024-08-02T19:26:52-04:00", 1722641212000 },
        { "2024-08-02T23:26:52Z", 1722641212000 },
        { "2024-08-03T01:26:52+02:00", 1722641212000 },
        { "2024-08-03T01:26:52+0200", 1722641212000 },
        { "2024-08-02T23:26:52.417Z", 1722641212417 },
        { "2024-08-02T23:26:52.4Z", 1722641212400 },
        { "2024-08-02T23:26:52.123456789Z", 1722641212123 },
        { "2024-08-02T23:26:52", 1722641212000 },
        { "2024-08-02 23:26:52", 1722641212000 },
        { "2024-08-03T05:11:52+05:45", 1722641212000 },
        { "2024-02-29T00:00:00Z", 1709164800000 },
        { "2000-02-29T12:00:00Z", 951825600000 },
        { "1969-12-31T23:59:59Z", -1000 },
        { "2023-02-29T00:00:00Z", -1 },
        { "1900-02-29T00:00:00Z", -1 },
        { "2024-13-01T00:00:00Z", -1 },
        { "2024-08-02T24:00:00Z", -1 },
        { "2024-08-02T23:26:52+24:00", -1 },
        { "2024-08-02T23:26:52.Z", -1 },
        { "2024-08-02T23:26:52Zjunk", -1 },
        { "2024-08-02", -1 },
        { "2024/08/02T23:26:52Z", -1 },
        { "yesterday", -1 },
        { "", -1 }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ms = 0;
        rc = invsync_time_iso_ms(cases[i].iso, &ms);

        if (cases[i].ms == -1) {
            t_ok(rc == -1, "time \"%s\" is refused", cases[i].iso);

        } else {
            t_ok(rc == 0 && ms == cases[i].ms, "time \"%s\" is %lld ms",
                 cases[i].iso, (long long) cases[i].ms);
        }
    }

    t_ok(invsync_time_iso_ms(NULL, &ms) == -1, "time NULL is refused");
}


/*
 * Every t/fixtures/<type>/<case>/: its topic and body.json through the
 * normalizer of <type>, which must give exactly expect.json.
 */
static void
t_fixtures(void)
{
    int                 ok, ntypes, ncases, i, j;
    char               *body, *topic, *expect, *got, err[T_ERR_LEN];
    char                dir[600];
    size_t              len, tlen, elen;
    json_t             *out, *want;
    struct dirent     **types, **cases;
    invsync_norm_rc_e   rc;

    ntypes = t_list("", &types);

    for (i = 0; i < ntypes; i++) {
        ncases = t_list(types[i]->d_name, &cases);

        for (j = 0; j < ncases; j++) {
            snprintf(dir, sizeof(dir), "%s/%s", types[i]->d_name,
                     cases[j]->d_name);

            topic = t_read_in(dir, "topic", &tlen);
            topic[strcspn(topic, "\r\n")] = '\0';
            body = t_read_in(dir, "body.json", &len);
            expect = t_read_in(dir, "expect.json", &elen);
            want = json_loadb(expect, elen, 0, NULL);

            out = NULL;
            rc = t_norm(types[i]->d_name, topic, body, len, &out, err);

            ok = (want != NULL && rc == T_OK && t_sane(rc, out, err) == NULL
                  && json_equal(out, want));

            if (!ok) {
                got = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
                printf("# rc %d, err \"%s\"%s, got:\n%s\n", rc, err,
                       want ? "" : ", expect.json is not JSON",
                       got ? got : "(none)");
                free(got);
            }

            t_ok(ok, "%s: %s gives expect.json", dir, topic);

            json_decref(want);
            json_decref(out);
            free(expect);
            free(body);
            free(topic);
            free(cases[j]);
        }

        free(cases);
        free(types[i]);
    }

    free(types);
}


/* the directory's fixture path "dir/name", read as t_read() does */
static char *
t_read_in(const char *dir, const char *name, size_t *len)
{
    char  path[700];

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    return t_read(path, len);
}


/* the subdirectories of t/fixtures/sub, sorted; exits if there are none */
static int
t_list(const char *sub, struct dirent ***list)
{
    int          n;
    char         path[512];
    const char  *top;

    top = getenv("INVSYNC_TOP");

    snprintf(path, sizeof(path), "%s/t/fixtures/%s", top ? top : ".", sub);

    n = scandir(path, list, t_subdir, alphasort);

    if (n <= 0) {
        printf("Bail out! no fixtures in %s\n", path);
        exit(1);
    }

    return n;
}


static int
t_subdir(const struct dirent *d)
{
    return d->d_name[0] != '.'
           && (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN);
}


static void
t_cases(void)
{
    int                 ok;
    char               *body, *text, err[T_ERR_LEN];
    size_t              i, len;
    json_t             *root, *out;
    invsync_norm_rc_e   rc;

#define SO  "shopify", "orders/create", "shopify/orders_create/body.json"
#define SR  "shopify", "refunds/create", "shopify/refunds_create/body.json"
#define SF  "shopify", "fulfillments/create", \
            "shopify/fulfillments_create/body.json"
#define SI  "shopify", "inventory_levels/update", \
            "shopify/inventory_levels_update/body.json"
#define WO  "woocommerce", "order.updated", \
            "woocommerce/order_updated_processing/body.json"
#define WR  "woocommerce", "order.updated", \
            "woocommerce/order_updated_refunded/body.json"
#define WP  "woocommerce", "product.updated", \
            "woocommerce/product_updated/body.json"
#define SC  "shopify", "refunds/create", \
            "shopify/refunds_create_cancel/body.json"
#define XC  "stripe", "charge.refunded", "stripe/charge_refunded/body.json"
#define RQ  "shopify", "returns/request", "shopify/returns_request/body.json"
#define RC  "shopify", "returns/cancel", "shopify/returns_cancel/body.json"
#define RD  "shopify", "reverse_fulfillment_orders/dispose", \
            "shopify/reverse_fulfillment_orders_dispose/body.json"
#define XR  "stripe", "refund.created", "stripe/refund_created/body.json"
#define QR  "square", "refund.updated", "square/refund_updated/body.json"
#define QS  "square", "order.polled", "square/order_polled_shipment/body.json"
#define QD  "fulfillments[1].shipment_details"
#define QC  "square", "inventory.count.updated", \
            "square/inventory_count_several/body.json"
#define QK  "data.object.inventory_counts"

    static const t_case_t  cases[] = {

        /* wrong types that still mean one thing */
        { SO, "line_items[0].quantity", "\"3\"", T_OK,
          "lines[0].quantity", "3" },
        { SO, "line_items[0].quantity", "3.0", T_OK,
          "lines[0].quantity", "3" },
        { SO, "line_items[0].price", "199.5", T_OK,
          "lines[0].price_minor", "19950" },
        { SO, "line_items[0].price", "199", T_OK,
          "lines[0].price_minor", "19900" },
        { SO, "id", "\"820982911946154508\"", T_OK,
          "order_id", "\"820982911946154508\"" },
        { SO, "id", "9223372036854775807", T_OK,
          "order_id", "\"9223372036854775807\"" },
        { SO, "line_items[0].id", "\"gid://shopify/LineItem/1\"", T_OK,
          "lines[0].channel_line_id", "\"gid://shopify/LineItem/1\"" },
        { SO, "order_number", "1234", T_OK, "order_number", "\"#9999\"" },
        { SO, "name", NULL, T_OK, "order_number", "\"1234\"" },
        { SO, "shipping_address.zip", "10178", T_OK,
          "shipping_address.zip", "\"10178\"" },

        /* missing and null members that are not needed */
        { SO, "line_items[0].sku", NULL, T_OK, "lines[0].sku", "null" },
        { SO, "line_items[0].sku", "null", T_OK, "lines[0].sku", "null" },
        { SO, "line_items[0].price", NULL, T_OK,
          "lines[0].price_minor", "null" },
        { SO, "total_price", NULL, T_OK, "total_minor", "null" },
        { SO, "customer", "null", T_OK, "customer.name",
          "\"Zo\\u00eb \\u00c5ngstr\\u00f6m\"" },
        { SO, "customer", NULL, T_OK, "customer.phone", "null" },
        { SO, "shipping_address", "null", T_OK, "shipping_address", "null" },
        { SO, "line_items", NULL, T_OK, "lines", "[]" },
        { SO, "created_at", "null", T_OK, "created_ms", "null" },
        { SO, "financial_status", "null", T_OK, "status", "\"open\"" },
        { SO, "financial_status", "\"authorized\"", T_OK,
          "status", "\"open\"" },
        { SO, "financial_status", "\"pending\"", T_OK,
          "status", "\"pending\"" },
        { SO, "financial_status", "\"refunded\"", T_OK,
          "status", "\"refunded\"" },
        { SO, "fulfillment_status", "\"fulfilled\"", T_OK,
          "status", "\"completed\"" },
        { SO, "cancelled_at", "\"2024-08-03T10:00:00Z\"", T_OK,
          "kind", "\"order_cancelled\"" },

        /* currencies with 0 and 3 decimals */
        { SO, "currency", "\"JPY\"", T_POISON, NULL,
          "total_price: price \"221.48\" has more decimals than JPY "
          "allows" },
        { SO, "currency", "\"BHD\"", T_OK, "total_minor", "221480" },

        /* what cannot be understood, named by its path */
        { SO, "line_items[2].price", "\"19.999\"", T_POISON, NULL,
          "line_items[2].price: price \"19.999\" has more decimals than "
          "EUR allows" },
        { SO, "line_items[1].price", "6.245", T_POISON, NULL,
          "line_items[1].price: price 6.245 has more decimals" },
        { SO, "line_items[2].quantity", "\"three\"", T_POISON, NULL,
          "line_items[2].quantity: \"three\" is not an integer" },
        { SO, "line_items[2].quantity", "true", T_POISON, NULL,
          "line_items[2].quantity: not an integer" },
        { SO, "line_items[0].quantity", "-1", T_POISON, NULL,
          "line_items[0].quantity: -1 is negative" },
        { SO, "line_items[0].quantity", "1.5", T_POISON, NULL,
          "line_items[0].quantity: 1.5 is not an integer" },
        { SO, "line_items[0].quantity", "\"99999999999999999999\"",
          T_POISON, NULL, "line_items[0].quantity: \"99999999999999999999\""
          " overflows int64" },
        { SO, "line_items[0].quantity", NULL, T_POISON, NULL,
          "line_items[0].quantity: missing" },
        { SO, "line_items[0].price", "\"-1.00\"", T_POISON, NULL,
          "line_items[0].price: amount is negative" },
        { SO, "line_items[0].price", "{}", T_POISON, NULL,
          "line_items[0].price: price is not a number or a string" },
        { SO, "line_items[1]", "\"x\"", T_POISON, NULL,
          "line_items[1]: not an object" },
        { SO, "line_items", "{}", T_POISON, NULL,
          "line_items: not an array" },
        { SO, "line_items[0].id", "1.5e3", T_POISON, NULL,
          "line_items[0].id: not an integer or a string" },
        { SO, "line_items[0].id", "null", T_POISON, NULL,
          "line_items[0].id: missing" },
        { SO, "id", NULL, T_POISON, NULL, "id: missing" },
        { SO, "id", "\"\"", T_POISON, NULL, "id: missing" },
        { SO, "id", "-5", T_POISON, NULL, "id: id -5 is negative" },
        { SO, "currency", NULL, T_POISON, NULL, "currency: missing" },
        { SO, "currency", "\"euro\"", T_POISON, NULL,
          "currency: \"euro\" is not an ISO 4217 code" },
        { SO, "updated_at", NULL, T_POISON, NULL, "updated_at: missing" },
        { SO, "updated_at", "\"2024-08-02\"", T_POISON, NULL,
          "updated_at: \"2024-08-02\" is not an ISO-8601 time" },
        { SO, "updated_at", "1722641212", T_POISON, NULL,
          "updated_at: not a string" },
        { SO, "customer", "[]", T_POISON, NULL, "customer: not an object" },
        { SO, "customer.first_name", "7", T_POISON, NULL,
          "customer.first_name: not a string" },
        { SO, "shipping_address.city", "false", T_POISON, NULL,
          "shipping_address.city: not a string" },

        /* refunds */
        { SR, "refund_line_items[0].restock_type", NULL, T_OK,
          "lines[0].restock", "false" },
        { SR, "refund_line_items[0].restock_type", "\"cancel\"", T_OK,
          "lines[0].restock", "true" },
        { SR, "refund_line_items[0].subtotal_set", NULL, T_OK,
          "lines[0].amount_minor", "19900" },
        { SR, "refund_line_items[0].line_item_id", NULL, T_OK,
          "lines[0].channel_line_id", "\"866550311766439020\"" },
        { SR, "transactions", "[]", T_OK, "amount_minor", "0" },
        { SR, "transactions[0].amount", "200", T_OK,
          "amount_minor", "20524" },
        { SR, "transactions[1].amount", "\"5.245\"", T_POISON, NULL,
          "transactions[1].amount: price \"5.245\" has more decimals" },
        { SR, "transactions[0].amount", "\"92233720368547758.00\"",
          T_POISON, NULL, "transactions[1].amount: the refund's sum "
          "overflows int64" },
        { SR, "refund_line_items[1].quantity", "-2", T_POISON, NULL,
          "refund_line_items[1].quantity: -2 is negative" },
        { SR, "refund_line_items[1].line_item.sku", "[]", T_POISON, NULL,
          "refund_line_items[1].line_item.sku: not a string" },
        { SR, "order_id", NULL, T_POISON, NULL, "order_id: missing" },
        { SR, "note", "\"\"", T_OK, "note", "null" },
        { SR, "refund_line_items[0].restock_type", "\"legacy_restock\"",
          T_OK, "lines[0].restock", "true" },
        { SR, "refund_line_items[0].total_tax_set", NULL, T_OK,
          "lines[0].tax_minor", "0" },
        { SC, "refund_line_items[0].subtotal_set.shop_money.currency_code",
          "\"CAD\"", T_OK, "lines[0].amount_minor", "3998" },
        { SC, "refund_line_items[0].subtotal_set", NULL, T_OK,
          "amounts.items_minor", "4498" },
        { SC, "order_adjustments[0].amount_set", NULL, T_OK,
          "amounts.shipping_minor", "1000" },
        { SC, "order_adjustments[0].kind", "\"refund_discrepancy\"", T_OK,
          "amounts.shipping_minor", "750" },
        { SC, "refund_shipping_lines", NULL, T_OK,
          "amounts.shipping_minor", "250" },
        { SC, "order_adjustments[0].amount_set.shop_money.amount",
          "\"-2.505\"", T_POISON, NULL,
          "order_adjustments[0].amount_set.shop_money.amount: price" },
        { SC, "refunds", "{}", T_OK, "refund_id", "\"929361464\"" },

        /* a payment provider's refunds */
        { XC, "data.object.refunds", NULL, T_OK, "refund_id",
          "\"ch_3PkLr2F7qKcZ1xYd0cJ9sE2w:refunded:22148\"" },
        { XC, "data.object.refunds.data", "[]", T_OK, "amount_minor",
          "22148" },
        { XC, "data.object.metadata", NULL, T_OK, "payment_refs",
          "[\"txn:ch_3PkLr2F7qKcZ1xYd0cJ9sE2w\", "
          "\"txn:pi_3PkLr2F7qKcZ1xYd0Wm2nB7k\"]" },
        { XC, "data.object.refunds.data[0].metadata",
          "{\"order_id\": 77}", T_OK, "payment_refs[2]", "\"order:77\"" },
        { XC, "data.object.refunds.data[0].currency", "\"jpy\"", T_OK,
          "currency", "\"JPY\"" },
        { XC, "data.object.refunds.data[0].currency", "\"euro\"",
          T_POISON, NULL, "data.object.refunds.data[0].currency: \"euro\" "
          "is not an ISO 4217 code" },
        { XC, "data.object.refunds.data[0].created", "\"yesterday\"",
          T_POISON, NULL, "data.object.refunds.data[0].created: "
          "\"yesterday\" is not an integer" },
        { XC, "data.object.refunds.data[0].amount", NULL, T_POISON, NULL,
          "data.object.refunds.data[0].amount: missing" },
        { XC, "data.object", NULL, T_POISON, NULL, "data.object: missing" },
        { XC, "data.object.refunds.data[0].id", NULL, T_POISON, NULL,
          "data.object.refunds.data[0].id: missing" },
        { XR, "data.object.status", "\"requires_action\"", T_OK, "status",
          "\"pending\"" },
        { XR, "data.object.status", "\"canceled\"", T_OK, "status",
          "\"cancelled\"" },
        { XR, "created", "99999999999999", T_POISON, NULL,
          "created: 99999999999999 is no time" },
        { XR, "data.object.payment_intent", NULL, T_OK, "payment_refs",
          "[\"txn:ch_3PkLr2F7qKcZ1xYd0cJ9sE2w\", \"order:727\"]" },
        { QR, "data.object.refund.status", "\"REJECTED\"", T_OK, "status",
          "\"failed\"" },
        { QR, "data.object.refund.processing_fee", NULL, T_OK,
          "amounts.fees_minor", "null" },
        { QR, "data.object.refund.payment_id", NULL, T_OK, "payment_refs",
          "[]" },
        { QR, "data.object.refund.amount_money.currency", "\"usd\"",
          T_POISON, NULL, "data.object.refund.amount_money.currency: \"usd\" "
          "is not an ISO 4217 code" },
        { QR, "data.object.refund", NULL, T_POISON, NULL,
          "data.object.refund: missing" },
        { QR, "data.object.refund.id", NULL, T_POISON, NULL,
          "data.object.refund.id: missing" },

        /* a Square count notice of several counts, one level each */
        { QC, QK "[1].state", "\"SOLD\"", T_OK, "levels[1].available",
          "null" },
        { QC, QK "[1].state", "\"SOLD\"", T_OK, "levels[1].stock_state",
          "\"other\"" },
        { QC, QK "[0].state", NULL, T_OK, "stock_state", "\"other\"" },
        { QC, QK "[0].state", NULL, T_OK, "channel_state", "null" },
        { QC, QK "[0].state", "\"in_stock\"", T_OK, "available", "null" },
        { QC, QK "[0].state", "3", T_POISON, NULL,
          QK "[0].state: not a string" },
        { QC, QK "[1].catalog_object_id", NULL, T_POISON, NULL,
          QK "[1].catalog_object_id: missing" },
        { QC, QK "[1].location_id", NULL, T_POISON, NULL,
          QK "[1].location_id: missing" },
        { QC, QK "[1]", "\"x\"", T_POISON, NULL,
          QK "[1]: not an object" },
        { QC, QK "[1].quantity", "\"2.5\"", T_OK, "levels[1].available",
          "null" },
        { QC, QK "[1].quantity", "\"2.5\"", T_OK, "available", "7" },
        { QC, QK, "[]", T_POISON, NULL, QK ": no count" },

        /* a Square shipment's recipient (the live fulfilment's) */
        { QS, QD ".recipient", NULL, T_OK, "shipping_address", "null" },
        { QS, QD ".recipient.address", NULL, T_OK, "shipping_address.zip",
          "null" },
        { QS, QD ".recipient.address", "\"500 Electric Ave\"", T_POISON,
          NULL, QD ".recipient.address: not an object" },
        { QS, QD ".recipient.address.country", "\"CA\"", T_OK,
          "shipping_address.country_code", "\"CA\"" },
        { QS, QD ".recipient.address.postal_code", "10003", T_OK,
          "shipping_address.zip", "\"10003\"" },
        { QS, QD ".recipient.display_name", NULL, T_OK,
          "shipping_address.name", "null" },
        { QS, "fulfillments[1].state", "\"CANCELED\"", T_OK,
          "fulfilment.mode", "\"none\"" },
        { QS, "fulfillments[0].state", "\"PROPOSED\"", T_OK,
          "shipping_address.name", "\"Old Name\"" },
        { QS, "fulfillments[1].type", "\"PICKUP\"", T_OK,
          "shipping_address", "null" },

        /* fulfillments and levels */
        { SF, "tracking_numbers", "[]", T_OK, "tracking.number", "null" },
        { SF, "tracking_number", "\"1Z999\"", T_OK,
          "tracking.number", "\"1Z999\"" },
        { SF, "tracking_company", "null", T_OK, "tracking.company", "null" },
        { SF, "tracking_urls[0]", "42", T_POISON, NULL,
          "tracking_urls[0]: not a string" },
        { SI, "available", "null", T_OK, "available", "null" },
        { SI, "available", "\"12\"", T_OK, "available", "12" },
        { SI, "location_id", NULL, T_POISON, NULL, "location_id: missing" },
        { SI, "updated_at", "\"2024-08-02T19:26:52-04\"", T_OK,
          "updated_ms", "1722641212000" },

        /* WooCommerce */
        { WO, "line_items[0].subtotal", NULL, T_OK,
          "lines[0].price_minor", "270" },
        { WO, "line_items[2].subtotal", NULL, T_OK,
          "lines[2].price_minor", "300" },
        { WO, "line_items[0].variation_id", "\"0\"", T_OK,
          "lines[0].variant_id", "\"0\"" },
        { WO, "line_items[0].sku", "\"\"", T_OK, "lines[0].sku", "null" },
        { WO, "status", "\"on-hold\"", T_OK, "status", "\"on_hold\"" },
        { WO, "status", "\"wc-failed\"", T_OK, "status", "\"pending\"" },
        { WO, "status", "\"shipped-custom\"", T_OK, "status", "\"open\"" },
        { WO, "status", "\"trash\"", T_OK, "kind", "\"order_cancelled\"" },
        { WO, "shipping", "{\"first_name\": \"\", \"last_name\": \"\", "
          "\"address_1\": \"\", \"country\": \"\"}", T_OK,
          "shipping_address", "null" },
        { WO, "currency", "\"KWD\"", T_OK, "total_minor", "37750" },
        { WO, "currency", "\"KRW\"", T_POISON, NULL,
          "total: price \"37.75\" has more decimals than KRW allows" },
        { WO, "line_items[1].price", "\"12.00\"", T_OK,
          "lines[1].price_minor", "1200" },
        { WO, "line_items[1].quantity", "\"1\"", T_OK,
          "lines[1].quantity", "1" },
        { WO, "line_items[1].subtotal", "12.001", T_POISON, NULL,
          "line_items[1].subtotal: price 12.001 has more decimals" },
        { WO, "date_modified_gmt", NULL, T_POISON, NULL,
          "date_modified_gmt: missing" },
        { WO, "status", NULL, T_POISON, NULL, "status: missing" },
        { WO, "refunds", "[{\"id\": 1, \"total\": \"-1.001\"}]", T_POISON,
          NULL, "refunds[0].total: price \"-1.001\" has more decimals" },
        { WR, "refunds[0].total", "\"10.00\"", T_OK,
          "refunds[0].amount_minor", "1000" },
        { WR, "refunds[1].id", NULL, T_POISON, NULL,
          "refunds[1].id: missing" },
        { WP, "stock_quantity", "\"17\"", T_OK, "available", "17" },
        { WP, "stock_quantity", "null", T_OK, "available", "null" },
        { WP, "stock_quantity", "-2", T_OK, "available", "-2" },
        { WP, "stock_quantity", "2.5", T_POISON, NULL,
          "stock_quantity: 2.5 is not an integer" },
        { WP, "manage_stock", "false", T_OK, "available", "null" },
        { WP, "manage_stock", "\"parent\"", T_OK, "available", "null" },
        { WP, "manage_stock", "7", T_POISON, NULL,
          "manage_stock: not a boolean" },
        { WP, "id", "true", T_POISON, NULL,
          "id: not an integer or a string" },

        /* Shopify's returns (docs/channels/shopify.md) */
        { RC, "id", NULL, T_POISON, NULL, "id: missing" },
        { RC, "order_id", NULL, T_POISON, NULL, "order_id: missing" },
        { RQ, "id", NULL, T_POISON, NULL, "id: missing" },
        { RQ, "order", NULL, T_POISON, NULL, "order_id: missing" },
        { RQ, "order", "{\"id\": 77}", T_OK, "order_id", "\"77\"" },
        { RQ, "return_line_items[0].quantity", "0", T_POISON, NULL,
          "return_line_items[0].quantity: must be at least 1" },
        { RQ, "return_line_items[1].quantity", "\"two\"", T_POISON, NULL,
          "return_line_items[1].quantity: \"two\" is not an integer" },
        { RQ, "return_line_items[0].fulfillment_line_item", NULL, T_POISON,
          NULL, "return_line_items[0].fulfillment_line_item: missing: the "
          "order's line item" },
        { RQ, "return_line_items[0].return_reason", NULL, T_OK,
          "lines[0].reason", "null" },
        { RQ, "return_line_items", "[]", T_OK, "lines", "[]" },
        { RD, "dispositions[0].type", "\"RESTOCKED\"", T_OK,
          "lines[0].condition", "\"resellable\"" },
        { RD, "dispositions[1].type", "\"lost\"", T_POISON, NULL,
          "dispositions[1].type: \"lost\" is not restocked, "
          "not_restocked, missing or processing_required" },
        { RD, "dispositions[0].quantity", "0", T_POISON, NULL,
          "dispositions[0].quantity: must be at least 1" },
        { RD, "dispositions[0].reverse_fulfillment_order_line_item", NULL,
          T_POISON, NULL, "dispositions[0]"
          ".reverse_fulfillment_order_line_item.id: missing" },
        { RD, "id", NULL, T_POISON, NULL, "id: missing" },

        { NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL }
    };

#undef SO
#undef SR
#undef SF
#undef SI
#undef WO
#undef WR
#undef WP
#undef SC
#undef XC
#undef XR
#undef RQ
#undef RC
#undef RD
#undef QR
#undef QC
#undef QK

    for (i = 0; cases[i].scheme != NULL; i++) {
        body = t_read(cases[i].fixture, &len);
        root = json_loadb(body, len, 0, NULL);
        free(body);

        t_set(root, cases[i].path,
              cases[i].value ? json_loads(cases[i].value, JSON_DECODE_ANY,
                                          NULL)
                             : NULL);

        text = json_dumps(root, JSON_COMPACT);
        json_decref(root);

        out = NULL;
        rc = t_norm(cases[i].scheme, cases[i].topic, text, strlen(text),
                    &out, err);
        free(text);

        ok = ((int) rc == cases[i].rc && t_sane(rc, out, err) == NULL);

        if (ok && rc == T_OK) {
            ok = t_equal(out, cases[i].check, cases[i].want);

        } else if (ok) {
            ok = (strstr(err, cases[i].want) != NULL);
        }

        if (!ok) {
            printf("# rc %d, err \"%s\"\n", rc, err);
        }

        t_ok(ok, "%s %s = %s: %s", cases[i].fixture, cases[i].path,
             cases[i].value ? cases[i].value : "(deleted)",
             rc == T_OK ? "event" : err);

        json_decref(out);
    }
}


static void
t_raw(void)
{
    char                err[T_ERR_LEN];
    size_t              i;
    json_t             *out;
    invsync_norm_rc_e   rc;

    static const struct {
        const char  *topic;
        const char  *body;
        size_t       len;       /* 0: strlen(body) */
        int          rc;
        const char  *want;      /* OK: path=JSON; POISON: err contains */
    } cases[] = {
        { "orders/create", "", 0, T_POISON, "body is not JSON: empty" },
        { "orders/create", "not json", 0, T_POISON,
          "body is not JSON: '[' or '{' expected near 'not' at line 1, "
          "column 3 (position 3)" },
        { "orders/create", "{\"id\": 1,", 0, T_POISON,
          "body is not JSON: " },
        { "orders/create", "[1, 2]", 0, T_POISON,
          "body is not a JSON object" },
        { "orders/create", "{\"id\": \"\xff\"}", 0, T_POISON,
          "body is not JSON: unable to decode byte 0xff" },
        { "orders/create", "{\"id\": \"a\\u0000b\"}", 0, T_POISON,
          "body is not JSON: " },
        { "orders/create", "{\"id\": 1}\0{\"x\": 1}", 19, T_POISON,
          "body is not JSON: " },
        { "orders/create", "{\"id\": 1, \"id\": 2}", 0, T_POISON,
          "duplicate object key" },
        { "orders/create", "{\"id\": 1, \"line_items\": [{\"id\": 2}, "
          "{\"quantity\": 99999999999999999999}]}", 0, T_POISON,
          "line_items[1].quantity: number 99999999999999999999 overflows "
          "int64" },
        { "orders/create", "{\"id\": -99999999999999999999}", 0, T_POISON,
          "id: number -99999999999999999999 overflows int64" },
        { "orders/create", "{\"total_price\": 1e999}", 0, T_POISON,
          "total_price: number 1e999 overflows a double" },
        { "inventory_levels/update", "{\"inventory_item_id\": "
          "18446744073709551616, \"location_id\": 1}", 0, T_POISON,
          "inventory_item_id: number 18446744073709551616 overflows" },
        { "inventory_levels/update", "{\"inventory_item_id\": "
          "12345678901234567, \"location_id\": \"gid://shopify/Location/1\","
          " \"available\": 5, \"updated_at\": \"2024-08-02T19:26:52Z\"}", 0,
          T_OK, "inventory_item_id=\"12345678901234567\"" },
        { "orders/create", "{}", 0, T_POISON, "currency: missing" },
        { "orders/create", "  {\"id\": 1, \"currency\": \"USD\", "
          "\"updated_at\": \"2024-08-02T19:26:52Z\"}\n", 0, T_OK,
          "lines=[]" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        out = NULL;
        rc = t_norm("shopify", cases[i].topic, cases[i].body,
                    cases[i].len ? cases[i].len : strlen(cases[i].body),
                    &out, err);

        if (rc == T_OK && cases[i].rc == T_OK) {
            char  path[64];

            snprintf(path, sizeof(path), "%.*s",
                     (int) strcspn(cases[i].want, "="), cases[i].want);
            t_ok(t_sane(rc, out, err) == NULL
                 && t_equal(out, path, strchr(cases[i].want, '=') + 1),
                 "raw body %zu: %s", i, cases[i].want);

        } else {
            t_ok((int) rc == cases[i].rc && t_sane(rc, out, err) == NULL
                 && strstr(err, cases[i].want) != NULL,
                 "raw body %zu: %s", i, err);
        }

        json_decref(out);
    }
}


static void
t_ignore(void)
{
    char                err[T_ERR_LEN];
    size_t              i;
    json_t             *out;
    invsync_norm_rc_e   rc;

    static const struct {
        const char  *scheme;
        const char  *topic;
    } cases[] = {
        { "shipbob", "order.shipment.exception" },
        { "shipbob", "" },
        { "shopify", "customers/create" },
        { "shopify", "products/create" },
        { "shopify", "app/uninstalled" },
        { "shopify", "orders/delete" },
        { "shopify", "" },
        { "woocommerce", "customer.created" },
        { "woocommerce", "product.created" },
        { "woocommerce", "order.deleted" },
        { "woocommerce", "coupon.updated" },
        { "woocommerce", "action.woocommerce_order_status_changed" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        out = NULL;

        /* not parsed: an ignored topic's body does not matter */
        rc = t_norm(cases[i].scheme, cases[i].topic, "garbage", 7, &out,
                    err);

        t_ok(rc == T_IGNORE && out == NULL && strstr(err, "topic") != NULL,
             "%s \"%s\" is ignored", cases[i].scheme, cases[i].topic);
    }

    rc = t_norm("shipbob", "order.shipped", "{\"order_id\":1,"
                "\"status\":\"Completed\"}", 35, &out, err);
    t_ok(rc == T_POISON && out == NULL
         && strstr(err, "reference_id") != NULL,
         "shipbob: a shipment without reference_id: %s", err);

    rc = t_norm("amazon", "ORDER_CHANGE", "{}", 2, &out, err);
    t_ok(rc == T_POISON && out == NULL
         && strcmp(err, "unknown channel type \"amazon\"") == 0,
         "unknown type: %s", err);

    rc = t_norm("shopify\xc3", "orders/create", "{}", 2, &out, err);
    t_ok(rc == T_POISON && t_sane(rc, out, err) == NULL,
         "unknown type with a non-ASCII name: %s", err);

    t_ok(invsync_normalizer_find("shopify")
            == invsync_channel_find("shopify")->normalizer
         && invsync_normalizer_find("woocommerce")
            == invsync_channel_find("woocommerce")->normalizer
         && invsync_normalizer_find("shopify") != NULL
         && invsync_normalizer_find("Shopify") == NULL
         && invsync_normalizer_find(NULL) == NULL,
         "registry finds types by exact name");
}


/* every member, at any depth, replaced by each of these or deleted */
static const char  *t_odd[] = {
    "null", "true", "0", "-1", "1.5", "\"\"", "\"x\"", "\"-7\"", "{}", "[]",
    "[null]", "9223372036854775807", "-9223372036854775808", "1e308",
    "\"9999999999999999999999\"", "\"\\u00e9\\ud83d\\ude80\"", NULL
};


static void
t_fuzz_one(const t_case_t *c, json_t *root, const char *path, t_fuzz_t *f)
{
    char                *text, err[T_ERR_LEN];
    size_t               i;
    json_t              *copy, *out;
    const char          *why;
    invsync_norm_rc_e    rc;

    for (i = 0; i == 0 || t_odd[i - 1] != NULL; i++) {
        copy = json_deep_copy(root);

        t_set(copy, path, i == 0 ? NULL
                                 : json_loads(t_odd[i - 1], JSON_DECODE_ANY,
                                              NULL));

        text = json_dumps(copy, JSON_COMPACT);
        json_decref(copy);

        out = NULL;
        rc = t_norm(c->scheme, c->topic, text, strlen(text), &out, err);
        free(text);

        f->cases++;
        f->ok += (rc == T_OK);
        f->poison += (rc == T_POISON);

        why = t_sane(rc, out, err);

        if (why == NULL && rc == T_IGNORE) {
            why = "ignored";
        }

        if (why != NULL && f->bad++ == 0) {
            snprintf(f->first, sizeof(f->first), "%s = %s: %s (%s)", path,
                     i ? t_odd[i - 1] : "(deleted)", why, err);
        }

        json_decref(out);
    }
}


static void
t_fuzz_walk(const t_case_t *c, json_t *root, json_t *node, char *path,
    size_t plen, t_fuzz_t *f)
{
    size_t       i, n;
    json_t      *v;
    const char  *key;

    if (json_is_object(node)) {
        json_object_foreach(node, key, v) {
            n = snprintf(path + plen, 256 - plen, "%s%s", plen ? "." : "",
                         key);
            t_fuzz_one(c, root, path, f);
            t_fuzz_walk(c, root, v, path, plen + n, f);
            path[plen] = '\0';
        }

    } else if (json_is_array(node)) {
        json_array_foreach(node, i, v) {
            n = snprintf(path + plen, 256 - plen, "[%zu]", i);
            t_fuzz_one(c, root, path, f);
            t_fuzz_walk(c, root, v, path, plen + n, f);
            path[plen] = '\0';
        }
    }
}


static void
t_fuzz(void)
{
    char                *body, path[256], err[T_ERR_LEN];
    size_t               i, len, n, bad;
    json_t              *root, *out;
    t_fuzz_t             f;
    invsync_norm_rc_e    rc;

    static const t_case_t  cases[] = {
        { "shopify", "orders/create", "shopify/orders_create/body.json",
          NULL, NULL, 0, NULL, NULL },
        { "shopify", "refunds/create", "shopify/refunds_create/body.json",
          NULL, NULL, 0, NULL, NULL },
        { "shopify", "fulfillments/create",
          "shopify/fulfillments_create/body.json", NULL, NULL, 0, NULL, NULL },
        { "shopify", "inventory_levels/update",
          "shopify/inventory_levels_update/body.json", NULL, NULL, 0, NULL,
          NULL },
        { "woocommerce", "order.updated",
          "woocommerce/order_updated_refunded/body.json", NULL, NULL, 0, NULL,
          NULL },
        { "woocommerce", "product.updated",
          "woocommerce/product_updated_variation/body.json", NULL, NULL, 0,
          NULL, NULL },
        { "shopify", "refunds/create",
          "shopify/refunds_create_cancel/body.json", NULL, NULL, 0, NULL,
          NULL },
        { "stripe", "charge.refunded", "stripe/charge_refunded/body.json",
          NULL, NULL, 0, NULL, NULL },
        { "square", "refund.updated", "square/refund_updated/body.json",
          NULL, NULL, 0, NULL, NULL },
        { "square", "order.polled", "square/order_polled_shipment/body.json",
          NULL, NULL, 0, NULL, NULL },
        { "square", "inventory.count.updated",
          "square/inventory_count_several/body.json", NULL, NULL, 0, NULL,
          NULL }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        body = t_read(cases[i].fixture, &len);
        root = json_loadb(body, len, 0, NULL);

        memset(&f, 0, sizeof(t_fuzz_t));
        path[0] = '\0';

        t_fuzz_walk(&cases[i], root, root, path, 0, &f);

        t_ok(f.bad == 0 && f.ok > 0 && f.poison > 0,
             "%s: %zu mutations, %zu events, %zu poisoned with a reason%s%s",
             cases[i].fixture, f.cases, f.ok, f.poison,
             f.bad ? "; first bad: " : "", f.first);

        /* and the body cut at every byte */
        bad = 0;

        for (n = 0; n < len; n++) {
            out = NULL;
            rc = t_norm(cases[i].scheme, cases[i].topic, body, n, &out, err);

            if (t_sane(rc, out, err) != NULL
                || (rc == T_OK && strspn(body + n, " \n") != len - n))
            {
                bad++;
            }

            json_decref(out);
        }

        t_ok(bad == 0, "%s cut at each of %zu bytes: poisoned",
             cases[i].fixture, len);

        json_decref(root);
        free(body);
    }
}


int
main(void)
{
    t_currency();
    t_money();
    t_time();
    t_fixtures();
    t_cases();
    t_raw();
    t_ignore();
    t_fuzz();

    /* the plan last: as many as ran, the fixtures being data */
    printf("1..%zu\n", t_n);

    return t_failed;
}
