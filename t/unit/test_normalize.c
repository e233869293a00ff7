
/*
 * The normalizers: the fixtures of t/fixtures/<type>/<case>/ (topic,
 * body.json, expect.json: the whole canonical event), then one member of a
 * fixture replaced or deleted at a time, as real traffic may hold it:
 * missing members, nulls, wrong types that still mean one thing, and what
 * cannot be understood, poisoned with the member's path.  The canonical
 * money, currencies and times: test_canon.c; raw bodies, ignored topics
 * and every member mutated: test_normalize_fuzz.c.  Prints TAP.
 */


#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"


static void t_fixtures(void);
static char *t_read_in(const char *dir, const char *name, size_t *len);
static int t_list(const char *sub, struct dirent ***list);
static int t_subdir(const struct dirent *d);
static void t_cases(void);


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


int
main(void)
{
    t_fixtures();
    t_cases();

    /* the plan last: as many as ran, the fixtures being data */
    printf("1..%zu\n", t_n);

    return t_failed;
}
