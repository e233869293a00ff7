
/*
 * A WooCommerce refund the worker read from the REST API (topic
 * invsync.refund.read, body {"order_id", "currency", "refund"}: the
 * refund as GET /wc/v3/orders/<id>/refunds gives it, which names no
 * currency).  Its line_items have negative quantities and money; each
 * names the order line it refunds in meta_data "_refunded_item_id".
 * WooCommerce restocks refunded items itself when the merchant ticks
 * "restock", and says so only through product.updated: the lines carry
 * restock false, so the worker never counts those units twice.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_woocommerce.h"


typedef struct {
    int64_t  items;
    int64_t  shipping;
    int64_t  tax;
} invsync_woo_sums_t;


static int invsync_woo_refund_lines(const invsync_canon_src_t *s,
    json_t *e, invsync_woo_sums_t *sum);
static int invsync_woo_refund_line(const invsync_canon_src_t *s,
    const invsync_canon_src_t *line, json_t *l, invsync_woo_sums_t *sum);
static json_t *invsync_woo_refunded_item(const invsync_canon_src_t *line);
static int invsync_woo_refund_shipping(const invsync_canon_src_t *s,
    invsync_woo_sums_t *sum);
static int64_t invsync_woo_abs(int64_t v);


json_t *
invsync_woo_refund_read(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    int                  rc;
    json_t              *e;
    int64_t              amount;
    const char          *currency;
    invsync_canon_src_t  r;
    invsync_woo_sums_t   sum;

    if (invsync_canon_currency(s, "currency", INVSYNC_CANON_REQUIRED,
                               &currency) < 0
        || invsync_canon_object(s, "refund", &r) != 0)
    {
        return NULL;
    }

    s->currency = currency;
    r.currency = currency;

    e = invsync_canon_new(ev, "refund", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    memset(&sum, 0, sizeof(invsync_woo_sums_t));
    amount = 0;
    rc = invsync_canon_money(&r, "amount", INVSYNC_CANON_REQUIRED, &amount);

    if (invsync_canon_set(s, e, "order_id",
                          invsync_canon_id(s, "order_id",
                                           INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(&r, e, "refund_id",
                             invsync_canon_id(&r, "id",
                                              INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "payment_refs", json_array())
        || invsync_canon_set(s, e, "status", json_null())
        || invsync_canon_time(&r, "date_created_gmt", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_set(s, e, "updated_at", json_null())
        || invsync_canon_set(s, e, "updated_ms", json_null())
        || invsync_canon_set(s, e, "currency", json_string(currency))
        || invsync_canon_set(&r, e, "amount_minor",
                             invsync_canon_number(rc, amount))
        || invsync_canon_set(&r, e, "reason",
                             invsync_canon_string(&r, "reason", 0))
        || invsync_canon_set(s, e, "note", json_null())
        || invsync_woo_refund_lines(&r, e, &sum)
        || invsync_woo_refund_shipping(&r, &sum)
        || invsync_canon_set(s, e, "amounts",
                             json_pack("{s:I, s:I, s:I, s:n, s:n}",
                                       "items_minor", (json_int_t) sum.items,
                                       "shipping_minor",
                                       (json_int_t) sum.shipping,
                                       "tax_minor", (json_int_t) sum.tax,
                                       "discounts_minor", "fees_minor")))
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


static int
invsync_woo_refund_lines(const invsync_canon_src_t *s, json_t *e,
    invsync_woo_sums_t *sum)
{
    size_t               i, n;
    json_t              *lines, *l;
    invsync_canon_src_t  line;

    if (invsync_canon_array(s, "line_items", &n) != 0) {
        return -1;
    }

    lines = json_array();
    if (invsync_canon_set(s, e, "lines", lines) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "line_items", i, &line) != 0) {
            return -1;
        }

        l = json_object();
        if (invsync_canon_append(s, lines, l) != 0
            || invsync_woo_refund_line(s, &line, l, sum) != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* one refunded line, its numbers made positive as a refund's are */
static int
invsync_woo_refund_line(const invsync_canon_src_t *s,
    const invsync_canon_src_t *line, json_t *l, invsync_woo_sums_t *sum)
{
    int      qrc, src, trc;
    int64_t  qty, subtotal, tax;

    qty = subtotal = tax = 0;
    qrc = invsync_canon_int(line, "quantity",
                            INVSYNC_CANON_REQUIRED | INVSYNC_CANON_SIGNED,
                            &qty);
    src = invsync_canon_money(line, "subtotal", INVSYNC_CANON_SIGNED,
                              &subtotal);
    trc = invsync_canon_money(line, "total_tax", INVSYNC_CANON_SIGNED, &tax);

    sum->items += invsync_woo_abs(subtotal);
    sum->tax += invsync_woo_abs(tax);

    return invsync_canon_set(s, l, "channel_line_id",
                             invsync_woo_refunded_item(line))
           || invsync_canon_set(s, l, "sku",
                                invsync_canon_string(line, "sku", 0))
           || invsync_canon_set(s, l, "product_id",
                                invsync_canon_id(line, "product_id",
                                                 INVSYNC_CANON_ZERO_NULL))
           || invsync_canon_set(s, l, "variant_id",
                                invsync_canon_id(line, "variation_id",
                                                 INVSYNC_CANON_ZERO_NULL))
           || invsync_canon_set(s, l, "quantity",
                                invsync_canon_number(qrc,
                                                     invsync_woo_abs(qty)))
           || invsync_canon_set(s, l, "restock", json_false())
           || invsync_canon_set(s, l, "restock_type", json_null())
           || invsync_canon_set(s, l, "location_id", json_null())
           || invsync_canon_set(s, l, "amount_minor",
                                invsync_canon_number(src,
                                                     invsync_woo_abs(subtotal)))
           || invsync_canon_set(s, l, "tax_minor",
                                invsync_canon_number(trc,
                                                     invsync_woo_abs(tax)))
           || invsync_woo_refs(s, l, "sku", "variant_id");
}


/* the order line refunded (meta _refunded_item_id), else the line's id */
static json_t *
invsync_woo_refunded_item(const invsync_canon_src_t *line)
{
    size_t               i, n;
    json_t              *v;
    const char          *key;
    invsync_canon_src_t  meta;

    if (invsync_canon_array(line, "meta_data", &n) != 0) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(line, "meta_data", i, &meta) != 0) {
            return NULL;
        }

        if (invsync_canon_str(&meta, "key", 0, &key) < 0) {
            return NULL;
        }

        if (key != NULL && strcmp(key, "_refunded_item_id") == 0) {
            v = invsync_canon_id(&meta, "value", INVSYNC_CANON_REQUIRED);
            return v;
        }
    }

    return invsync_canon_id(line, "id", INVSYNC_CANON_REQUIRED);
}


static int
invsync_woo_refund_shipping(const invsync_canon_src_t *s,
    invsync_woo_sums_t *sum)
{
    size_t               i, n;
    int64_t              total, tax;
    invsync_canon_src_t  line;

    if (invsync_canon_array(s, "shipping_lines", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        total = tax = 0;

        if (invsync_canon_item(s, "shipping_lines", i, &line) != 0
            || invsync_canon_money(&line, "total", INVSYNC_CANON_SIGNED,
                                   &total) < 0
            || invsync_canon_money(&line, "total_tax", INVSYNC_CANON_SIGNED,
                                   &tax) < 0)
        {
            return -1;
        }

        sum->shipping += invsync_woo_abs(total);
        sum->tax += invsync_woo_abs(tax);
    }

    return 0;
}


static int64_t
invsync_woo_abs(int64_t v)
{
    /* WooCommerce's refund numbers are negative; INT64_MIN is not money */
    return v < 0 && v != INT64_MIN ? -v : (v == INT64_MIN ? 0 : v);
}
