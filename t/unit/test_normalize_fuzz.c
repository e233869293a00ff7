
/*
 * The normalizers against what real traffic may hold beyond one member
 * changed: bodies that are not JSON, numbers past 2^53 and int64, ignored
 * topics and unknown types; then every member of a fixture, at any depth,
 * replaced by odd values or deleted, and the body cut at every byte: each
 * must give an event or a poison with a reason (t_sane()), never a crash.
 * The fixtures and the member-by-member cases: test_normalize.c.  Prints
 * TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"


typedef struct {
    size_t  cases;
    size_t  ok;
    size_t  poison;
    size_t  bad;
    char    first[512];
} t_fuzz_t;


static void t_raw(void);
static void t_ignore(void);
static void t_fuzz(void);
static void t_fuzz_walk(const t_case_t *c, json_t *root, json_t *node,
    char *path, size_t plen, t_fuzz_t *f);
static void t_fuzz_one(const t_case_t *c, json_t *root, const char *path,
    t_fuzz_t *f);


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
    t_raw();
    t_ignore();
    t_fuzz();

    printf("1..%zu\n", t_n);

    return t_failed;
}
