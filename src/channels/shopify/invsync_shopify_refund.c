
/*
 * Refunds made on Shopify (docs/channels/shopify.md, "Refunds"), two
 * steps.  LOOK reads the order: its refunds (one whose note carries our
 * reference means it was made already: a retry, or an answer lost), what
 * each line can still be refunded (refundableQuantity: none left of any
 * of ours means Shopify refunded them itself, COVERED), and the refund
 * Shopify suggests for our lines and shipping (suggestedRefund: the
 * transactions to refund, with their gateway and parent).  CREATE is
 * refundCreate with those transactions, NO_RESTOCK on every line (stock
 * is invsync's: the ledger and the pusher move it), our reference in the
 * note and @idempotent keyed by the cause.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_shopify.h"
#include "invsync_refund_push.h"


static json_t *invsync_shopify_refund_vars(const invsync_refund_push_t *r);
static int invsync_shopify_refund_look(invsync_refund_push_t *r,
    json_t *order);
static json_t *invsync_shopify_refund_input(const invsync_refund_push_t *r);
static invsync_channel_rc_e invsync_shopify_refund_refused(
    invsync_refund_push_t *r, json_t *doc, const char *what);


/* about 50 x 3 + 20 x (2 + 50) + 10 of the 1000 a query may cost */
#define INVSYNC_SHOPIFY_REFUND_LOOK                                          \
    "query RefundLook($id: ID!, $lines: [RefundLineItemInput!], "            \
    "$shipping: Money) { order(id: $id) { id currencyCode "                  \
    "lineItems(first: 50) { nodes { id sku quantity refundableQuantity } } " \
    "refunds(first: 20) { id note refundLineItems(first: 50) { nodes { "     \
    "quantity lineItem { id } } } } "                                        \
    "suggestedRefund(refundLineItems: $lines, shippingAmount: $shipping) { " \
    "amountSet { shopMoney { amount currencyCode } } "                       \
    "suggestedTransactions { gateway kind "                                  \
    "amountSet { shopMoney { amount } } parentTransaction { id } } } } }"

#define INVSYNC_SHOPIFY_REFUND_CREATE                                        \
    "mutation Refund($input: RefundInput!) { refundCreate(input: $input) "   \
    "@idempotent(key: \"%s\") { refund { id note } "                         \
    "userErrors { field message } } }"


int
invsync_shopify_refund_build(const invsync_channel_ctx_t *ctx,
    invsync_refund_push_t *r, invsync_request_t *rq)
{
    char     q[sizeof(INVSYNC_SHOPIFY_REFUND_CREATE) + 80];
    json_t  *doc;

    rq->method = "POST";

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SHOPIFY_GRAPHQL) != 0) {
        snprintf(r->err, sizeof(r->err), "the request URL is too long");
        return -1;
    }

    doc = NULL;

    if (r->step == INVSYNC_REFUND_LOOK) {
        doc = json_pack("{s:s, s:o}", "query", INVSYNC_SHOPIFY_REFUND_LOOK,
                        "variables", invsync_shopify_refund_vars(r));

    } else if (r->step == INVSYNC_REFUND_CREATE) {
        snprintf(q, sizeof(q), INVSYNC_SHOPIFY_REFUND_CREATE,
                 r->idempotency);
        doc = json_pack("{s:s, s:{s:o}}", "query", q, "variables", "input",
                        invsync_shopify_refund_input(r));
    }

    if (doc == NULL || invsync_request_json(rq, doc) != 0) {
        snprintf(r->err, sizeof(r->err), "no request for step %d",
                 (int) r->step);
        return -1;
    }

    return 0;
}


invsync_channel_rc_e
invsync_shopify_refund_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_refund_push_t *r, int64_t *delay_ms)
{
    char         id[32];
    json_t      *doc, *data, *res;

    (void) ctx;

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (invsync_shopify_throttled(doc, delay_ms)) {
        json_decref(doc);
        return INVSYNC_CH_THROTTLED;
    }

    if (a->status != 200 || doc == NULL
        || json_array_size(json_object_get(doc, "errors")) > 0)
    {
        return invsync_shopify_failed(a, doc);
    }

    invsync_shopify_bucket(doc, delay_ms);
    data = json_object_get(doc, "data");

    if (r->step == INVSYNC_REFUND_LOOK) {
        res = json_object_get(data, "order");

        if (!json_is_object(res)) {
            snprintf(r->err, sizeof(r->err), "Shopify has no order %s",
                     r->order_id);
            r->step = INVSYNC_REFUND_REFUSED;

        } else if (invsync_shopify_refund_look(r, res) != 0) {
            json_decref(doc);
            return invsync_answer_retry(a, "the order's refunds could not "
                                        "be read");
        }

        json_decref(doc);
        return INVSYNC_CH_DONE;
    }

    res = json_object_get(data, "refundCreate");

    if (json_array_size(json_object_get(res, "userErrors")) > 0
        || !invsync_id_digits(json_object_get(json_object_get(res, "refund"),
                                              "id"), id, sizeof(id)))
    {
        return invsync_shopify_refund_refused(r, doc, "refundCreate");
    }

    snprintf(r->refund_id, sizeof(r->refund_id), "%s", id);
    r->step = INVSYNC_REFUND_DONE;
    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/* the look's variables: the order, our lines, the shipping refunded */

static json_t *
invsync_shopify_refund_vars(const invsync_refund_push_t *r)
{
    char     ship[32];
    size_t   i;
    json_t  *lines;

    lines = json_array();

    for (i = 0; i < r->nlines; i++) {
        json_array_append_new(lines, json_pack("{s:s+, s:I, s:s}",
            "lineItemId", "gid://shopify/LineItem/", r->lines[i].line_id,
            "quantity", (json_int_t) r->lines[i].qty,
            "restockType", "NO_RESTOCK"));
    }

    if (r->shipping_minor > 0
        && invsync_money_format(r->shipping_minor, r->currency, ship,
                                sizeof(ship)) == 0)
    {
        return json_pack("{s:s+, s:o, s:s}", "id", "gid://shopify/Order/",
                         r->order_id, "lines", lines, "shipping", ship);
    }

    return json_pack("{s:s+, s:o, s:n}", "id", "gid://shopify/Order/",
                     r->order_id, "lines", lines, "shipping");
}


/*
 * What the order says: DONE when a refund carries our reference, COVERED
 * or REFUSED by what is left to refund of each line, else CREATE with the
 * suggested transactions in r->found.  0, or -1 when the answer is short
 * of what a decision needs.
 */

static int
invsync_shopify_refund_look(invsync_refund_push_t *r, json_t *order)
{
    char         id[32], others[INVSYNC_REFUND_TEXT_LEN];
    size_t       i, j, n;
    json_t      *rf, *li, *tx, *txs;
    int64_t      left[INVSYNC_REFUND_PUSH_LINES];
    const char  *note;

    others[0] = '\0';
    note = json_string_value(json_object_get(order, "currencyCode"));

    if (note != NULL && strcmp(note, r->currency) != 0) {
        snprintf(r->err, sizeof(r->err), "the order is in %s, the refund "
                 "in %s", note, r->currency);
        invsync_channel_text(r->err);
        r->step = INVSYNC_REFUND_REFUSED;
        return 0;
    }

    json_array_foreach(json_object_get(order, "refunds"), i, rf) {
        note = json_string_value(json_object_get(rf, "note"));

        if (!invsync_id_digits(json_object_get(rf, "id"), id, sizeof(id))) {
            continue;
        }

        if (note != NULL && strstr(note, r->ref) != NULL) {
            snprintf(r->refund_id, sizeof(r->refund_id), "%s", id);
            r->step = INVSYNC_REFUND_DONE;
            return 0;
        }

        n = strlen(others);
        snprintf(others + n, sizeof(others) - n, "%s%s", n ? "," : "", id);
    }

    for (i = 0; i < r->nlines; i++) {
        left[i] = -1;

        json_array_foreach(json_object_get(json_object_get(order,
                               "lineItems"), "nodes"), j, li)
        {
            if (invsync_id_digits(json_object_get(li, "id"), id, sizeof(id))
                && strcmp(id, r->lines[i].line_id) == 0)
            {
                left[i] = json_integer_value(json_object_get(li,
                              "refundableQuantity"));
            }
        }

        if (left[i] < 0) {
            snprintf(r->err, sizeof(r->err), "Shopify's order %s has no "
                     "line item %s (SKU %s)", r->order_id,
                     r->lines[i].line_id, r->lines[i].sku);
            invsync_channel_text(r->err);
            r->step = INVSYNC_REFUND_REFUSED;
            return 0;
        }
    }

    if (invsync_refund_cover(r, left, others)) {
        return 0;
    }

    txs = json_array();

    json_array_foreach(json_object_get(json_object_get(order,
                           "suggestedRefund"), "suggestedTransactions"), i, tx)
    {
        json_array_append_new(txs, json_pack("{s:O?, s:O?, s:s, s:O?, s:O?}",
            "orderId", json_object_get(order, "id"),
            "gateway", json_object_get(tx, "gateway"),
            "kind", "REFUND",
            "amount", json_object_get(json_object_get(json_object_get(tx,
                          "amountSet"), "shopMoney"), "amount"),
            "parentId", json_object_get(json_object_get(tx,
                            "parentTransaction"), "id")));
    }

    json_decref(r->found);
    r->found = json_pack("{s:o}", "transactions", txs);
    r->step = INVSYNC_REFUND_CREATE;

    return r->found != NULL ? 0 : -1;
}


/* refundCreate's input: our lines, not restocked, the suggestion's money,
 * the shipping, the note with our reference, no mail to the buyer (the
 * merchant's messages say what they want to) */

static json_t *
invsync_shopify_refund_input(const invsync_refund_push_t *r)
{
    char     ship[32], note[4 * INVSYNC_REFUND_TEXT_LEN];
    size_t   i;
    json_t  *in, *lines;

    lines = json_array();

    for (i = 0; i < r->nlines; i++) {
        json_array_append_new(lines, json_pack("{s:s+, s:I, s:s}",
            "lineItemId", "gid://shopify/LineItem/", r->lines[i].line_id,
            "quantity", (json_int_t) r->lines[i].qty,
            "restockType", "NO_RESTOCK"));
    }

    snprintf(note, sizeof(note), "%s%s%s %s", r->reason,
             r->note[0] ? ": " : "", r->note, r->ref);

    in = json_pack("{s:s+, s:s, s:b, s:o, s:O}", "orderId",
                   "gid://shopify/Order/", r->order_id, "note", note,
                   "notify", 0, "refundLineItems", lines, "transactions",
                   json_object_get(r->found, "transactions"));

    if (in != NULL && r->shipping_minor > 0
        && invsync_money_format(r->shipping_minor, r->currency, ship,
                                sizeof(ship)) == 0)
    {
        json_object_set_new(in, "shipping", json_pack("{s:s}", "amount",
                                                      ship));
    }

    return in;
}


static invsync_channel_rc_e
invsync_shopify_refund_refused(invsync_refund_push_t *r, json_t *doc,
    const char *what)
{
    json_t      *res;
    const char  *m;

    res = json_object_get(json_object_get(doc, "data"), what);
    m = json_string_value(json_object_get(json_array_get(
            json_object_get(res, "userErrors"), 0), "message"));

    snprintf(r->err, sizeof(r->err), "%s: %s", what,
             m != NULL ? m : "no refund and no error");
    invsync_channel_text(r->err);     /* the channel's words: printable */
    r->step = INVSYNC_REFUND_REFUSED;
    json_decref(doc);

    return INVSYNC_CH_DONE;
}
