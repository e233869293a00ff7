
/*
 * WooCommerce webhooks (docs/events.md): orders (with their refunds and
 * cancellations, which arrive as order.updated) and product stock.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_woocommerce.h"


typedef enum {
    INVSYNC_WOO_ORDER = 0,
    INVSYNC_WOO_PRODUCT,
    INVSYNC_WOO_REFUND
} invsync_woo_kind_e;


typedef struct {
    const char          *topic;
    invsync_woo_kind_e   kind;
} invsync_woo_topic_t;


typedef struct {
    const char  *woo;
    const char  *status;
} invsync_woo_status_t;


static invsync_norm_rc_e invsync_woo_normalize(const invsync_envelope_t *ev,
    json_t **out, char *err, size_t len);
static json_t *invsync_woo_order(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
static int invsync_woo_customer(const invsync_canon_src_t *s, json_t *e);
static int invsync_woo_lines(const invsync_canon_src_t *s, json_t *e);
static int invsync_woo_line(const invsync_canon_src_t *line, json_t *l,
    void *ctx);
static int invsync_woo_price(const invsync_canon_src_t *line, int qrc,
    int64_t quantity, int64_t *price);
static int invsync_woo_refunds(const invsync_canon_src_t *s, json_t *e);
static int invsync_woo_payments(const invsync_canon_src_t *s, json_t *e);
static json_t *invsync_woo_product(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);


static const invsync_woo_topic_t  invsync_woo_topics[] = {
    { "order.created", INVSYNC_WOO_ORDER },
    { "order.updated", INVSYNC_WOO_ORDER },
    { "order.restored", INVSYNC_WOO_ORDER },
    { "product.updated", INVSYNC_WOO_PRODUCT },
    /* not a webhook: a refund the worker read, with its lines */
    { INVSYNC_TOPIC_REFUND_READ, INVSYNC_WOO_REFUND },
    { NULL, 0 }
};


/* core statuses; a plugin's own status is "open" */
static const invsync_woo_status_t  invsync_woo_statuses[] = {
    { "pending", "pending" },
    { "failed", "pending" },
    { "checkout-draft", "pending" },
    { "on-hold", "on_hold" },
    { "processing", "paid" },
    { "completed", "completed" },
    { "refunded", "refunded" },
    { "cancelled", "cancelled" },
    { "trash", "cancelled" },
    { NULL, NULL }
};


/* billing and shipping members in invsync_canon_address() order */
static const char  *invsync_woo_address[] = {
    "address_1", "address_2", "city", "state", "postcode", "country",
    "phone"
};


const invsync_normalizer_t  invsync_normalizer_woocommerce = {
    "woocommerce",
    invsync_woo_normalize
};


static invsync_norm_rc_e
invsync_woo_normalize(const invsync_envelope_t *ev, json_t **out, char *err,
    size_t len)
{
    char                        q[64];
    json_t                     *root, *e;
    invsync_norm_rc_e           rc;
    invsync_canon_src_t         s;
    const invsync_woo_topic_t  *t;

    *out = NULL;

    for (t = invsync_woo_topics; t->topic != NULL; t++) {
        if (ev->topic != NULL && strcmp(t->topic, ev->topic) == 0) {
            break;
        }
    }

    if (t->topic == NULL) {
        snprintf(err, len, "topic \"%s\" has no canonical event",
                 invsync_canon_quote(q, sizeof(q), ev->topic));
        return INVSYNC_NORM_IGNORE;
    }

    rc = invsync_canon_load(ev, &root, err, len);
    if (rc != INVSYNC_NORM_OK) {
        return rc;
    }

    invsync_canon_root(&s, root, err, len);

    if (t->kind == INVSYNC_WOO_ORDER) {
        e = invsync_woo_order(ev, &s);

    } else if (t->kind == INVSYNC_WOO_REFUND) {
        e = invsync_woo_refund_read(ev, &s);

    } else {
        e = invsync_woo_product(ev, &s);
    }

    json_decref(root);

    if (e == NULL) {
        return INVSYNC_NORM_POISON;
    }

    *out = e;

    return INVSYNC_NORM_OK;
}


static json_t *
invsync_woo_order(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    int                          rc;
    json_t                      *e;
    int64_t                      total;
    const char                  *raw, *status, *currency;
    const invsync_woo_status_t  *st;

    if (invsync_canon_str(s, "status", INVSYNC_CANON_REQUIRED, &raw) < 0
        || invsync_canon_currency(s, "currency", INVSYNC_CANON_REQUIRED,
                                  &currency) < 0)
    {
        return NULL;
    }

    /* WooCommerce prefixes its statuses "wc-" in some places */
    if (strncmp(raw, "wc-", 3) == 0) {
        raw += 3;
    }

    status = "open";

    for (st = invsync_woo_statuses; st->woo != NULL; st++) {
        if (strcmp(st->woo, raw) == 0) {
            status = st->status;
            break;
        }
    }

    s->currency = currency;

    e = invsync_canon_new(ev, strcmp(status, "cancelled") == 0
                              ? "order_cancelled" : "order",
                          s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    total = 0;
    rc = invsync_canon_money(s, "total", 0, &total);

    /*
     * The *_gmt times have no zone and are UTC; the others are local.
     * WooCommerce has no fulfilment webhook: "completed" is the shipment.
     */
    if (invsync_canon_set(s, e, "order_id",
                          invsync_canon_id(s, "id", INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "order_number",
                             invsync_canon_or(invsync_canon_string(s,
                                                                   "number",
                                                                   0),
                                              s, "id"))
        || invsync_canon_time(s, "date_created_gmt", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_time(s, "date_modified_gmt", INVSYNC_CANON_REQUIRED,
                              e, "updated_at", "updated_ms")
        || invsync_canon_set(s, e, "status", json_string(status))
        || invsync_canon_set(s, e, "channel_status",
                             invsync_canon_string(s, "status", 0))
        || invsync_canon_set(s, e, "currency", json_string(currency))
        || invsync_canon_set(s, e, "total_minor",
                             invsync_canon_number(rc, total))
        || invsync_canon_set(s, e, "shipped",
                             json_boolean(strcmp(status, "completed") == 0))
        /* the method's id ("flat_rate"), else the shop's title for it */
        || invsync_canon_set(s, e, "shipping_method",
                             invsync_canon_first_of(s, "shipping_lines",
                                                    "method_id",
                                                    "method_title"))
        || invsync_woo_customer(s, e)
        || invsync_woo_fulfilment(s, e)
        || invsync_woo_lines(s, e)
        || invsync_woo_payments(s, e)
        || invsync_woo_refunds(s, e))
    {
        goto failed;
    }

    return e;

failed:

    json_decref(e);

    return NULL;
}


static int
invsync_woo_customer(const invsync_canon_src_t *s, json_t *e)
{
    json_t               *c;
    invsync_canon_src_t   bill, ship;

    if (invsync_canon_object(s, "billing", &bill) != 0
        || invsync_canon_object(s, "shipping", &ship) != 0)
    {
        return -1;
    }

    c = json_object();

    if (invsync_canon_set(s, e, "customer", c)
        || invsync_canon_set(s, c, "email",
                             invsync_canon_string(&bill, "email", 0))
        || invsync_canon_set(s, c, "name",
                             invsync_canon_name(&bill, "first_name",
                                                "last_name"))
        || invsync_canon_set(s, c, "phone",
                             invsync_canon_string(&bill, "phone", 0))
        || invsync_canon_set(s, e, "shipping_address",
                             invsync_canon_address(&ship,
                                                   invsync_woo_address)))
    {
        return -1;
    }

    return 0;
}


static int
invsync_woo_lines(const invsync_canon_src_t *s, json_t *e)
{
    return invsync_canon_each(s, "line_items", e, "lines", invsync_woo_line,
                              NULL);
}


static int
invsync_woo_line(const invsync_canon_src_t *line, json_t *l, void *ctx)
{
    int       qrc, prc, trc;
    int64_t   quantity, price, tax;

    (void) ctx;

    quantity = 0;
    qrc = invsync_canon_int(line, "quantity", INVSYNC_CANON_REQUIRED,
                            &quantity);
    price = 0;
    prc = (qrc < 0) ? -1 : invsync_woo_price(line, qrc, quantity, &price);
    /* the line's tax, all its units, after its discounts */
    tax = 0;
    trc = invsync_canon_money(line, "total_tax", 0, &tax);

    return invsync_canon_set(line, l, "channel_line_id",
                             invsync_canon_id(line, "id",
                                              INVSYNC_CANON_REQUIRED))
           || invsync_canon_set(line, l, "sku",
                                invsync_canon_string(line, "sku", 0))
           || invsync_canon_set(line, l, "product_id",
                                invsync_canon_id(line, "product_id",
                                                 INVSYNC_CANON_ZERO_NULL))
           || invsync_canon_set(line, l, "variant_id",
                                invsync_canon_id(line, "variation_id",
                                                 INVSYNC_CANON_ZERO_NULL))
           || invsync_canon_set(line, l, "title",
                                invsync_canon_string(line, "name", 0))
           || invsync_canon_set(line, l, "quantity",
                                invsync_canon_number(qrc, quantity))
           || invsync_canon_set(line, l, "price_minor",
                                invsync_canon_number(prc, price))
           || invsync_canon_set(line, l, "tax_minor",
                                invsync_canon_number(trc, tax))
           || invsync_woo_refs(line, l, "sku", "variant_id") ? -1 : 0;
}


/*
 * What the ledger matches obj by, first match wins: its SKU text (when sku
 * names a member), then its variation, else its product: the variations
 * of one product are different SKUs.
 */

int
invsync_woo_refs(const invsync_canon_src_t *s, json_t *obj, const char *sku,
    const char *variation)
{
    size_t   n;
    json_t  *refs;

    refs = json_array();

    if (invsync_canon_set(s, obj, "refs", refs) != 0
        || (sku != NULL
            && invsync_canon_ref(s, refs, "sku", json_object_get(obj, sku))))
    {
        return -1;
    }

    n = json_array_size(refs);

    if (invsync_canon_ref(s, refs, "variation",
                          json_object_get(obj, variation)) != 0)
    {
        return -1;
    }

    if (json_array_size(refs) > n) {
        return 0;
    }

    return invsync_canon_ref(s, refs, "product",
                             json_object_get(obj, "product_id"));
}


/*
 * WooCommerce's line "price" is a float, total / quantity after discounts,
 * often inexact (10.00 / 3).  The unit price before discounts, as Shopify
 * gives it, is subtotal / quantity, rounded half away from zero; "price"
 * only serves when there is no subtotal.
 */
static int
invsync_woo_price(const invsync_canon_src_t *line, int qrc,
    int64_t quantity, int64_t *price)
{
    int      rc;
    int64_t  subtotal;

    rc = invsync_canon_money(line, "subtotal", 0, &subtotal);

    if (rc < 0) {
        return -1;
    }

    if (rc == 0 || qrc == 0 || quantity == 0) {
        return invsync_canon_money(line, "price", 0, price);
    }

    *price = subtotal / quantity;

    if (subtotal % quantity >= quantity - subtotal % quantity) {
        (*price)++;
    }

    return 1;
}


/*
 * What a payment provider's refund names the order by: transaction_id
 * (the gateway's charge or payment intent, "" before payment), then the
 * order's id (which WooCommerce's Stripe gateway writes into the charge's
 * metadata.order_id).
 */
static int
invsync_woo_payments(const invsync_canon_src_t *s, json_t *e)
{
    json_t  *refs, *v;

    refs = json_array();

    if (invsync_canon_set(s, e, "payments", refs) != 0) {
        return -1;
    }

    v = invsync_canon_id(s, "transaction_id", 0);

    if (v == NULL || invsync_canon_ref(s, refs, "txn", v) != 0) {
        json_decref(v);
        return -1;
    }

    json_decref(v);

    return invsync_canon_ref(s, refs, "order", json_object_get(e,
                                                               "order_id"));
}


/*
 * refunds arrive inside the order: [{id, reason, total: "-10.00"}], each
 * a canonical refund of the order with its amount but no lines (those are
 * only in GET /orders/<id>/refunds).
 */
static int
invsync_woo_refunds(const invsync_canon_src_t *s, json_t *e)
{
    int                   rc;
    size_t                i, n;
    json_t               *refunds, *r;
    int64_t               amount;
    invsync_canon_src_t   item;

    if (invsync_canon_array(s, "refunds", &n) != 0) {
        return -1;
    }

    refunds = json_array();
    if (invsync_canon_set(s, e, "refunds", refunds) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "refunds", i, &item) != 0) {
            return -1;
        }

        r = json_object();
        if (invsync_canon_append(s, refunds, r) != 0) {
            return -1;
        }

        amount = 0;
        rc = invsync_canon_money(&item, "total",
                                 INVSYNC_CANON_REQUIRED
                                 | INVSYNC_CANON_SIGNED, &amount);

        /* -INT64_MIN does not exist */
        if (rc == 1 && amount == INT64_MIN) {
            rc = invsync_canon_fail(&item, "total", "amount overflows int64");
        }

        if (invsync_canon_set(s, r, "order_id",
                              json_incref(json_object_get(e, "order_id")))
            || invsync_canon_set(s, r, "refund_id",
                                 invsync_canon_id(&item, "id",
                                                  INVSYNC_CANON_REQUIRED))
            || invsync_canon_set(s, r, "payment_refs", json_array())
            || invsync_canon_set(s, r, "status", json_null())
            || invsync_canon_set(s, r, "created_at", json_null())
            || invsync_canon_set(s, r, "created_ms", json_null())
            || invsync_canon_set(s, r, "updated_at", json_null())
            || invsync_canon_set(s, r, "updated_ms", json_null())
            || invsync_canon_set(s, r, "currency",
                                 json_incref(json_object_get(e, "currency")))
            || invsync_canon_set(s, r, "amount_minor",
                                 invsync_canon_number(rc, amount < 0
                                                          ? -amount
                                                          : amount))
            || invsync_canon_set(s, r, "reason",
                                 invsync_canon_string(&item, "reason", 0))
            || invsync_canon_set(s, r, "note", json_null())
            || invsync_canon_set(s, r, "lines", json_array())
            || invsync_canon_set(s, r, "amounts",
                                 json_pack("{s:n, s:n, s:n, s:n, s:n}",
                                           "items_minor", "shipping_minor",
                                           "tax_minor", "discounts_minor",
                                           "fees_minor")))
        {
            return -1;
        }
    }

    return 0;
}


/*
 * Stock of a product or a variation ("type": "variation", its product in
 * parent_id).  Without manage_stock true WooCommerce counts nothing here
 * ("parent": the parent product's count): available is null.
 */
static json_t *
invsync_woo_product(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    int            rc;
    json_t        *e, *product, *variation;
    int64_t        available;
    const char    *type;
    const json_t  *manage;

    if (invsync_canon_str(s, "type", 0, &type) < 0) {
        return NULL;
    }

    e = invsync_canon_new(ev, "inventory_level", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    if (type != NULL && strcmp(type, "variation") == 0) {
        product = invsync_canon_id(s, "parent_id", INVSYNC_CANON_REQUIRED);
        variation = product ? invsync_canon_id(s, "id",
                                               INVSYNC_CANON_REQUIRED)
                            : NULL;

    } else {
        product = invsync_canon_id(s, "id", INVSYNC_CANON_REQUIRED);
        variation = json_null();
    }

    if (invsync_canon_set(s, e, "product_id", product) != 0) {
        json_decref(variation);
        goto failed;
    }

    if (invsync_canon_set(s, e, "variation_id", variation) != 0) {
        goto failed;
    }

    available = 0;
    manage = json_object_get(s->obj, "manage_stock");

    if (json_is_true(manage)) {
        rc = invsync_canon_int(s, "stock_quantity", INVSYNC_CANON_SIGNED,
                               &available);

    } else if (manage == NULL || json_is_boolean(manage)
               || json_is_null(manage)
               || (json_is_string(manage)
                   && strcmp(json_string_value(manage), "parent") == 0))
    {
        rc = 0;

    } else {
        rc = invsync_canon_fail(s, "manage_stock", "not a boolean");
    }

    if (invsync_canon_set(s, e, "sku", invsync_canon_string(s, "sku", 0))
        || invsync_canon_set(s, e, "available",
                             invsync_canon_number(rc, available))
        || invsync_canon_time(s, "date_modified_gmt", INVSYNC_CANON_REQUIRED,
                              e, "updated_at", "updated_ms")
        || invsync_woo_refs(s, e, NULL, "variation_id"))
    {
        goto failed;
    }

    return e;

failed:

    json_decref(e);

    return NULL;
}
