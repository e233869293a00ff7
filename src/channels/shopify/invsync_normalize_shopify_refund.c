
/*
 * Shopify's refunds (docs/events.md, "refund"): a refunds/create body, or
 * one element of an order's refunds[] (orders/cancelled carries the
 * refunds the cancellation made), as the canonical refund: its lines with
 * the restock_type Shopify decided, its money split into items, shipping
 * and tax, its note.  And what an order carries for refunds: its refunds
 * and the payment references a provider's refund names it by.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shopify.h"


typedef struct {
    int64_t  items;
    int64_t  shipping;
    int64_t  tax;
} invsync_shopify_sums_t;


static int invsync_shopify_refund_currency(const invsync_canon_src_t *s,
    const char **currency);
static int invsync_shopify_refund_amount(const invsync_canon_src_t *s,
    int64_t *amount);
static int invsync_shopify_refund_lines(const invsync_canon_src_t *s,
    json_t *e, invsync_shopify_sums_t *sum);
static int invsync_shopify_refund_line(const invsync_canon_src_t *s,
    invsync_canon_src_t *rl, int legacy, json_t *l,
    invsync_shopify_sums_t *sum);
static int invsync_shopify_refund_shipping(const invsync_canon_src_t *s,
    invsync_shopify_sums_t *sum);
static int invsync_shopify_bag(const invsync_canon_src_t *rl,
    const char *set_key, const char *number_key, unsigned flags,
    int64_t *amount);
static int invsync_shopify_add(const invsync_canon_src_t *s, const char *key,
    int64_t *sum, int64_t v);
static int64_t invsync_shopify_size(int64_t v);


/*
 * The refund in s (its currency set here) as the members of e: a refund
 * event, or an element of an order's "refunds".  0, or -1 with s->err.
 */

int
invsync_shopify_refund_members(invsync_canon_src_t *s, json_t *e,
    json_t *order_id)
{
    json_t                  *amounts;
    int64_t                  amount;
    const char              *currency;
    invsync_shopify_sums_t   sum;

    if (invsync_shopify_refund_currency(s, &currency) != 0) {
        json_decref(order_id);
        return -1;
    }

    s->currency = currency;
    amount = 0;
    memset(&sum, 0, sizeof(invsync_shopify_sums_t));

    if (invsync_canon_set(s, e, "order_id", order_id)
        || invsync_canon_set(s, e, "refund_id",
                             invsync_canon_id(s, "id",
                                              INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "payment_refs", json_array())
        || invsync_canon_set(s, e, "status", json_null())
        || invsync_canon_time(s, "created_at", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_time(s, "processed_at", 0, e, "updated_at",
                              "updated_ms")
        || invsync_canon_set(s, e, "currency",
                             currency ? json_string(currency) : json_null())
        || invsync_shopify_refund_amount(s, &amount)
        || invsync_canon_set(s, e, "amount_minor", json_integer(amount))
        || invsync_canon_set(s, e, "reason", json_null())
        || invsync_canon_set(s, e, "note",
                             invsync_canon_string(s, "note", 0))
        || invsync_shopify_refund_lines(s, e, &sum)
        || invsync_shopify_refund_shipping(s, &sum))
    {
        return -1;
    }

    /* Shopify's line subtotals are after discounts; fees it keeps apart */
    amounts = json_pack("{s:I, s:I, s:I, s:n, s:n}",
                        "items_minor", (json_int_t) sum.items,
                        "shipping_minor", (json_int_t) sum.shipping,
                        "tax_minor", (json_int_t) sum.tax,
                        "discounts_minor", "fees_minor");

    return invsync_canon_set(s, e, "amounts", amounts);
}


json_t *
invsync_shopify_refund(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    json_t  *e;

    e = invsync_canon_new(ev, "refund", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    if (invsync_shopify_refund_members(s, e,
                                       invsync_canon_id(s, "order_id",
                                                  INVSYNC_CANON_REQUIRED))
        != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/*
 * What a payment provider's refund may name the order by (the K payref:
 * index, docs/keys.md): Shopify's webhooks carry no transactions, so the
 * order's own id, which a checkout puts in the provider's metadata.
 */
int
invsync_shopify_payments(const invsync_canon_src_t *s, json_t *e)
{
    json_t  *refs;

    refs = json_array();

    if (invsync_canon_set(s, e, "payments", refs) != 0) {
        return -1;
    }

    return invsync_canon_ref(s, refs, "order", json_object_get(e,
                                                               "order_id"));
}


/*
 * refunds[]: the refunds made so far, each a canonical refund of this
 * order (orders/cancelled carries the one the cancellation made).
 */
int
invsync_shopify_order_refunds(const invsync_canon_src_t *s, json_t *e)
{
    size_t                i, n;
    json_t               *refunds, *r;
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

        if (invsync_canon_append(s, refunds, r) != 0
            || invsync_shopify_refund_members(&item, r,
                                              json_incref(json_object_get(
                                                  e, "order_id"))) != 0)
        {
            return -1;
        }
    }

    return 0;
}


/*
 * A refund has no currency of its own: its transactions carry one (the
 * money that moved), else the shop money of its lines.  NULL if neither
 * exists; a refund with nothing to price needs none.
 */
static int
invsync_shopify_refund_currency(const invsync_canon_src_t *s,
    const char **currency)
{
    int                   rc;
    size_t                i, n;
    invsync_canon_src_t   item, bag, money;

    *currency = NULL;

    if (invsync_canon_array(s, "transactions", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "transactions", i, &item) != 0) {
            return -1;
        }

        rc = invsync_canon_currency(&item, "currency", 0, currency);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }
    }

    if (invsync_canon_array(s, "refund_line_items", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "refund_line_items", i, &item) != 0
            || invsync_canon_object(&item, "subtotal_set", &bag) != 0
            || invsync_canon_object(&bag, "shop_money", &money) != 0)
        {
            return -1;
        }

        rc = invsync_canon_currency(&money, "currency_code", 0, currency);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }
    }

    return 0;
}


/* the refund transactions that did not fail; a refund may have none */
static int
invsync_shopify_refund_amount(const invsync_canon_src_t *s, int64_t *amount)
{
    size_t                i, n;
    int64_t               a, sum;
    const char           *kind, *status;
    invsync_canon_src_t   t;

    sum = 0;

    if (invsync_canon_array(s, "transactions", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "transactions", i, &t) != 0
            || invsync_canon_str(&t, "kind", 0, &kind) < 0
            || invsync_canon_str(&t, "status", 0, &status) < 0)
        {
            return -1;
        }

        if ((kind != NULL && strcmp(kind, "refund") != 0)
            || (status != NULL && (strcmp(status, "failure") == 0
                                   || strcmp(status, "error") == 0)))
        {
            continue;
        }

        if (invsync_canon_money(&t, "amount", INVSYNC_CANON_REQUIRED, &a) < 0
            || invsync_shopify_add(&t, "amount", &sum, a) != 0)
        {
            return -1;
        }
    }

    *amount = sum;

    return 0;
}


/*
 * A sum of amounts (all but the first already checked): -1 with the
 * path when it would overflow int64.
 */
static int
invsync_shopify_add(const invsync_canon_src_t *s, const char *key,
    int64_t *sum, int64_t v)
{
    if (v < 0 || v > INT64_MAX - *sum) {
        return invsync_canon_fail(s, key, "the refund's sum overflows int64");
    }

    *sum += v;

    return 0;
}


/* an adjustment's size; INT64_MIN stays negative for add() to refuse */
static int64_t
invsync_shopify_size(int64_t v)
{
    return (v < 0 && v > INT64_MIN) ? -v : v;
}


/*
 * An amount from a money bag (set_key: {shop_money, presentment_money})
 * in the refund's currency, else the legacy number_key.  Shopify writes
 * adjustments negative: flags INVSYNC_CANON_SIGNED reads them, and the
 * caller takes the size.
 */
static int
invsync_shopify_bag(const invsync_canon_src_t *rl, const char *set_key,
    const char *number_key, unsigned flags, int64_t *amount)
{
    int                   rc;
    size_t                i;
    const char           *code;
    invsync_canon_src_t   set, money;

    static const char    *bags[] = { "shop_money", "presentment_money" };

    if (invsync_canon_object(rl, set_key, &set) != 0) {
        return -1;
    }

    for (i = 0; set.obj != NULL && i < 2 && rl->currency != NULL; i++) {
        if (invsync_canon_object(&set, bags[i], &money) != 0) {
            return -1;
        }

        rc = invsync_canon_str(&money, "currency_code", 0, &code);
        if (rc < 0) {
            return -1;
        }

        if (rc == 1 && strcmp(code, rl->currency) == 0) {
            return invsync_canon_money(&money, "amount", flags, amount);
        }
    }

    if (number_key == NULL) {
        return 0;
    }

    return invsync_canon_money(rl, number_key, flags, amount);
}


static int
invsync_shopify_refund_lines(const invsync_canon_src_t *s, json_t *e,
    invsync_shopify_sums_t *sum)
{
    int                   legacy;
    size_t                i, n;
    json_t               *lines, *l;
    invsync_canon_src_t   rl;

    if (invsync_canon_array(s, "refund_line_items", &n) != 0) {
        return -1;
    }

    /* before restock_type, one flag said it for the whole refund */
    legacy = 0;
    if (invsync_canon_bool(s, "restock", 0, &legacy) < 0) {
        return -1;
    }

    lines = json_array();
    if (invsync_canon_set(s, e, "lines", lines) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "refund_line_items", i, &rl) != 0) {
            return -1;
        }

        l = json_object();

        if (invsync_canon_append(s, lines, l) != 0
            || invsync_shopify_refund_line(s, &rl, legacy, l, sum) != 0)
        {
            return -1;
        }
    }

    return 0;
}


/*
 * One refund_line_items[] element.  restock_type is Shopify's decision:
 * "return" and "cancel" put the units back (at location_id),
 * "legacy_restock" is the old flag, "no_restock" keeps them out; without
 * it the refund's legacy "restock", and without that no restock: stock
 * is never added on a guess.
 */
static int
invsync_shopify_refund_line(const invsync_canon_src_t *s,
    invsync_canon_src_t *rl, int legacy, json_t *l,
    invsync_shopify_sums_t *sum)
{
    int                   qrc, arc, trc, restock;
    json_t               *id;
    int64_t               quantity, amount, tax;
    const char           *type;
    invsync_canon_src_t   li;

    if (invsync_canon_object(rl, "line_item", &li) != 0
        || invsync_canon_str(rl, "restock_type", 0, &type) < 0)
    {
        return -1;
    }

    restock = (type != NULL) ? strcmp(type, "no_restock") != 0 : legacy;

    quantity = 0;
    qrc = invsync_canon_int(rl, "quantity", INVSYNC_CANON_REQUIRED,
                            &quantity);
    amount = 0;
    arc = (qrc < 0) ? -1 : invsync_shopify_bag(rl, "subtotal_set",
                                               "subtotal", 0, &amount);
    tax = 0;
    trc = (arc < 0) ? -1 : invsync_shopify_bag(rl, "total_tax_set",
                                               "total_tax", 0, &tax);

    if (trc < 0
        || (arc == 1 && invsync_shopify_add(rl, "subtotal", &sum->items,
                                            amount) != 0)
        || (trc == 1 && invsync_shopify_add(rl, "total_tax", &sum->tax, tax)
            != 0))
    {
        return -1;
    }

    id = invsync_canon_id(rl, "line_item_id", 0);
    if (json_is_null(id)) {
        json_decref(id);
        id = invsync_canon_id(&li, "id", INVSYNC_CANON_REQUIRED);
    }

    if (invsync_canon_set(s, l, "channel_line_id", id)
        || invsync_canon_set(s, l, "sku", invsync_canon_string(&li, "sku", 0))
        || invsync_canon_set(s, l, "quantity",
                             invsync_canon_number(qrc, quantity))
        || invsync_canon_set(s, l, "restock", json_boolean(restock))
        || invsync_canon_set(s, l, "restock_type",
                             type ? json_string(type) : json_null())
        || invsync_canon_set(s, l, "location_id",
                             invsync_canon_id(rl, "location_id", 0))
        || invsync_canon_set(s, l, "amount_minor",
                             invsync_canon_number(arc, amount))
        || invsync_canon_set(s, l, "tax_minor", invsync_canon_number(trc, tax))
        || invsync_shopify_refs(s, l))
    {
        return -1;
    }

    return 0;
}


/*
 * Shipping refunded: refund_shipping_lines[].subtotal_amount_set (the
 * current form) and order_adjustments[] of kind "shipping_refund" (the
 * older one, negative, with its tax_amount).
 */
static int
invsync_shopify_refund_shipping(const invsync_canon_src_t *s,
    invsync_shopify_sums_t *sum)
{
    int                   rc;
    size_t                i, n;
    int64_t               v;
    const char           *kind;
    invsync_canon_src_t   item;

    if (invsync_canon_array(s, "refund_shipping_lines", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = 0;

        if (invsync_canon_item(s, "refund_shipping_lines", i, &item) != 0
            || (rc = invsync_shopify_bag(&item, "subtotal_amount_set", NULL,
                                         0, &v)) < 0
            || (rc == 1 && invsync_shopify_add(&item, "subtotal_amount_set",
                                               &sum->shipping, v) != 0))
        {
            return -1;
        }
    }

    if (invsync_canon_array(s, "order_adjustments", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "order_adjustments", i, &item) != 0
            || invsync_canon_str(&item, "kind", 0, &kind) < 0)
        {
            return -1;
        }

        if (kind == NULL || strcmp(kind, "shipping_refund") != 0) {
            continue;
        }

        v = 0;

        if ((rc = invsync_shopify_bag(&item, "amount_set", "amount",
                                      INVSYNC_CANON_SIGNED, &v)) < 0
            || (rc == 1 && invsync_shopify_add(&item, "amount",
                                               &sum->shipping,
                                               invsync_shopify_size(v))
                != 0))
        {
            return -1;
        }

        v = 0;

        if ((rc = invsync_shopify_bag(&item, "tax_amount_set", "tax_amount",
                                      INVSYNC_CANON_SIGNED, &v)) < 0
            || (rc == 1 && invsync_shopify_add(&item, "tax_amount", &sum->tax,
                                               invsync_shopify_size(v)) != 0))
        {
            return -1;
        }
    }

    return 0;
}
