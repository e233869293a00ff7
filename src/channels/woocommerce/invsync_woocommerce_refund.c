
/*
 * Refunds made on WooCommerce (docs/refunds.md, "The driver";
 * docs/channels/woocommerce.md), three steps of the REST API v3.  LOOK
 * lists the order's refunds: one whose reason carries our reference means
 * it was made already (a retry, an answer lost); the others' line items
 * (meta _refunded_item_id, a negative quantity) say what was refunded of
 * each order line.  ORDER
 * reads the order's lines: none left of any of ours means the shop
 * refunded them itself (COVERED); else each line's share of its total and
 * of each of its taxes, for the units refunded.  CREATE posts the refund
 * with api_refund (the gateway pays it back) and api_restock false (stock
 * is invsync's).  WooCommerce has no idempotency key: looking first is
 * what keeps a retry from refunding twice.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_woocommerce.h"
#include "invsync_refund_push.h"


#define INVSYNC_WOO_ORDERS  "/wp-json/wc/v3/orders"

/* what the arithmetic takes of an answer (any integer may come): units
 * of a line or a refund line, and an amount in minor units */
#define INVSYNC_WOO_QTY_MAX    1000000000LL
#define INVSYNC_WOO_MINOR_MAX  1000000000000000LL


static int invsync_woo_refund_look(invsync_refund_push_t *r, json_t *doc);
static int invsync_woo_refund_plan(invsync_refund_push_t *r, json_t *order);
static int invsync_woo_refund_line(const invsync_refund_push_t *r,
    size_t i, json_t *li, json_t *items, int64_t *sum);
static int64_t invsync_woo_refund_share(const json_t *total,
    const char *currency, int64_t qty, int64_t of);
static invsync_channel_rc_e invsync_woo_refund_refused(
    const invsync_answer_t *a, invsync_refund_push_t *r, json_t *doc);
static int invsync_woo_refund_declined(const invsync_answer_t *a,
    const json_t *doc);


int
invsync_woo_refund_build(const invsync_channel_ctx_t *ctx,
    invsync_refund_push_t *r, invsync_request_t *rq)
{
    int  rc;

    switch (r->step) {

    case INVSYNC_REFUND_LOOK:
        rq->method = "GET";
        rc = invsync_request_api(rq, ctx, "%s/%s/refunds?per_page=100",
                                 INVSYNC_WOO_ORDERS, r->order_id);
        break;

    case INVSYNC_REFUND_ORDER:
        rq->method = "GET";
        rc = invsync_request_api(rq, ctx, "%s/%s", INVSYNC_WOO_ORDERS,
                                 r->order_id);
        break;

    case INVSYNC_REFUND_CREATE:
        rq->method = "POST";
        rc = invsync_request_api(rq, ctx, "%s/%s/refunds",
                                 INVSYNC_WOO_ORDERS, r->order_id);
        rc |= invsync_request_json(rq, json_incref(json_object_get(r->found,
                                                                   "body")));
        break;

    default:
        rc = -1;
    }

    if (rc != 0) {
        snprintf(r->err, sizeof(r->err), "no request for step %d",
                 (int) r->step);
        return -1;
    }

    return 0;
}


invsync_channel_rc_e
invsync_woo_refund_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_refund_push_t *r, int64_t *delay_ms)
{
    char     id[32];
    json_t  *doc;

    (void) ctx;
    (void) delay_ms;

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (a->status == 400 || a->status == 404 || a->status == 403
        || invsync_woo_refund_declined(a, doc))
    {
        return invsync_woo_refund_refused(a, r, doc);
    }

    if (a->status < 200 || a->status > 299 || doc == NULL) {
        json_decref(doc);
        return invsync_answer_retry(a, "HTTP %ld%s", a->status,
                                    doc == NULL ? ", not JSON" : "");
    }

    if (r->step == INVSYNC_REFUND_LOOK) {
        if (!json_is_array(doc)) {
            json_decref(doc);
            return invsync_answer_retry(a, "the refunds are not a list");
        }

        if (invsync_woo_refund_look(r, doc) != 0) {
            json_decref(doc);
            return invsync_answer_retry(a, "a refund's line quantity out of "
                                        "range");
        }

    } else if (r->step == INVSYNC_REFUND_ORDER) {
        if (invsync_woo_refund_plan(r, doc) != 0) {
            json_decref(doc);
            return invsync_answer_retry(a, "the order's lines could not be "
                                        "read");
        }

    } else {
        if (!invsync_id_digits(json_object_get(doc, "id"), id, sizeof(id))) {
            json_decref(doc);
            return invsync_answer_retry(a, "no refund id in the answer");
        }

        snprintf(r->refund_id, sizeof(r->refund_id), "%s", id);
        r->step = INVSYNC_REFUND_DONE;
    }

    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/* ours among the refunds: DONE; else what each order line has had
 * refunded, and the others' ids, into r->found for ORDER; -1 when a
 * refund line's quantity is beyond what a sum takes */

static int
invsync_woo_refund_look(invsync_refund_push_t *r, json_t *doc)
{
    char         id[32], line[32], others[INVSYNC_REFUND_TEXT_LEN];
    size_t       i, j, k, n;
    json_t      *rf, *li, *m, *done;
    json_int_t   q;
    const char  *reason, *key;

    others[0] = '\0';
    done = json_object();

    json_array_foreach(doc, i, rf) {
        reason = json_string_value(json_object_get(rf, "reason"));

        if (!invsync_id_digits(json_object_get(rf, "id"), id, sizeof(id))) {
            continue;
        }

        if (reason != NULL && strstr(reason, r->ref) != NULL) {
            snprintf(r->refund_id, sizeof(r->refund_id), "%s", id);
            r->step = INVSYNC_REFUND_DONE;
            json_decref(done);
            return 0;
        }

        n = strlen(others);
        snprintf(others + n, sizeof(others) - n, "%s%s", n ? "," : "", id);

        json_array_foreach(json_object_get(rf, "line_items"), j, li) {
            q = json_integer_value(json_object_get(li, "quantity"));

            if (q < -INVSYNC_WOO_QTY_MAX || q > INVSYNC_WOO_QTY_MAX) {
                json_decref(done);
                return -1;
            }

            json_array_foreach(json_object_get(li, "meta_data"), k, m) {
                key = json_string_value(json_object_get(m, "key"));

                if (key != NULL && strcmp(key, "_refunded_item_id") == 0
                    && invsync_id_digits(json_object_get(m, "value"), line,
                                         sizeof(line)))
                {
                    json_object_set_new(done, line, json_integer(
                        json_integer_value(json_object_get(done, line))
                        - q));
                }
            }
        }
    }

    json_decref(r->found);
    r->found = json_pack("{s:o, s:s}", "refunded", done, "others", others);
    r->step = INVSYNC_REFUND_ORDER;

    return 0;
}


/*
 * The order's lines: COVERED or REFUSED by what is left of ours, else the
 * refund's body into r->found and CREATE.  0, or -1 when the answer lacks
 * what the body needs.
 */

static int
invsync_woo_refund_plan(invsync_refund_push_t *r, json_t *order)
{
    char         id[32], amount[32], reason[4 * INVSYNC_REFUND_TEXT_LEN];
    size_t       i, j;
    json_t      *li, *items, *done, *hit;
    int64_t      left[INVSYNC_REFUND_PUSH_LINES], sum, had;
    const char  *cur;

    cur = json_string_value(json_object_get(order, "currency"));
    done = json_object_get(r->found, "refunded");

    if (cur == NULL || invsync_currency_exponent(cur) < 0) {
        return -1;
    }

    if (strcmp(cur, r->currency) != 0) {
        snprintf(r->err, sizeof(r->err), "the order is in %s, the refund "
                 "in %s", cur, r->currency);
        invsync_channel_text(r->err);
        r->step = INVSYNC_REFUND_REFUSED;
        return 0;
    }

    for (i = 0; i < r->nlines; i++) {
        hit = NULL;

        json_array_foreach(json_object_get(order, "line_items"), j, li) {
            if (invsync_id_digits(json_object_get(li, "id"), id, sizeof(id))
                && strcmp(id, r->lines[i].line_id) == 0)
            {
                hit = li;
            }
        }

        if (hit == NULL) {
            snprintf(r->err, sizeof(r->err), "WooCommerce's order %s has "
                     "no line item %s (SKU %s)", r->order_id,
                     r->lines[i].line_id, r->lines[i].sku);
            invsync_channel_text(r->err);
            r->step = INVSYNC_REFUND_REFUSED;
            return 0;
        }

        left[i] = json_integer_value(json_object_get(hit, "quantity"));
        had = json_integer_value(json_object_get(done, r->lines[i].line_id));

        /* had: refund lines of at most INVSYNC_WOO_QTY_MAX units each */
        if (left[i] < 0 || left[i] > INVSYNC_WOO_QTY_MAX
            || had < -INT64_MAX / 2 || had > INT64_MAX / 2)
        {
            return -1;
        }

        left[i] -= had;
    }

    if (invsync_refund_cover(r, left, json_string_value(json_object_get(
                                          r->found, "others")) ?: ""))
    {
        return 0;
    }

    items = json_array();
    sum = r->shipping_minor;

    for (i = 0; i < r->nlines; i++) {
        json_array_foreach(json_object_get(order, "line_items"), j, li) {
            if (invsync_id_digits(json_object_get(li, "id"), id, sizeof(id))
                && strcmp(id, r->lines[i].line_id) == 0
                && invsync_woo_refund_line(r, i, li, items, &sum) != 0)
            {
                json_decref(items);
                return -1;
            }
        }
    }

    snprintf(reason, sizeof(reason), "%s%s%s %s", r->reason,
             r->note[0] ? ": " : "", r->note, r->ref);

    if (invsync_money_format(sum, cur, amount, sizeof(amount)) != 0) {
        json_decref(items);
        return -1;
    }

    json_decref(r->found);
    r->found = json_pack("{s:{s:s, s:s, s:b, s:b, s:o}}", "body", "amount",
                         amount, "reason", reason, "api_refund", 1,
                         "api_restock", 0, "line_items", items);
    r->step = INVSYNC_REFUND_CREATE;

    return r->found != NULL ? 0 : -1;
}


/* one refund line item: the units' share of the line's total and of each
 * of its taxes (rounded to the minor unit), added to *sum */

static int
invsync_woo_refund_line(const invsync_refund_push_t *r, size_t i, json_t *li,
    json_t *items, int64_t *sum)
{
    char         total[32], tax[32];
    size_t       k;
    json_t      *taxes, *t;
    int64_t      qty, of, v;
    const char  *cur;

    cur = r->currency;
    qty = r->lines[i].qty;
    of = json_integer_value(json_object_get(li, "quantity"));
    taxes = json_array();

    v = invsync_woo_refund_share(json_object_get(li, "total"), cur, qty, of);
    if (v < 0 || invsync_money_format(v, cur, total, sizeof(total)) != 0) {
        json_decref(taxes);
        return -1;
    }

    if (*sum > INT64_MAX - v) {
        json_decref(taxes);
        return -1;
    }

    *sum += v;

    json_array_foreach(json_object_get(li, "taxes"), k, t) {
        v = invsync_woo_refund_share(json_object_get(t, "total"), cur, qty,
                                     of);
        if (v < 0 || *sum > INT64_MAX - v
            || invsync_money_format(v, cur, tax, sizeof(tax)) != 0)
        {
            json_decref(taxes);
            return -1;
        }

        *sum += v;
        json_array_append_new(taxes, json_pack("{s:O?, s:s}", "id",
                              json_object_get(t, "id"), "refund_total", tax));
    }

    return json_array_append_new(items, json_pack("{s:O, s:I, s:s, s:o}",
               "id", json_object_get(li, "id"), "quantity", (json_int_t) qty,
               "refund_total", total, "refund_tax", taxes));
}


/* total x qty / of in minor units, rounded half up; -1 when unreadable */

static int64_t
invsync_woo_refund_share(const json_t *total, const char *currency,
    int64_t qty, int64_t of)
{
    char     err[INVSYNC_ITEM_ERR_LEN];
    int64_t  minor;

    if (of <= 0 || of > INVSYNC_WOO_QTY_MAX || qty < 0 || qty > of
        || total == NULL
        || invsync_money_parse(total, currency, &minor, err, sizeof(err))
           != 0
        || minor < 0 || minor > INVSYNC_WOO_MINOR_MAX)
    {
        return -1;
    }

    /* minor = a * of + b: a * qty whole, and b's share rounded, so that
     * no product leaves 64 bits (b * qty * 2 < 2 * 10^18) */
    return minor / of * qty + ((minor % of) * qty * 2 + of) / (2 * of);
}


/*
 * A 500 that is a refusal, not an outage: WooCommerce's refunds controller
 * answers every error of wc_create_refund() (the gateway declining or not
 * supporting the refund, an amount or line it will not refund) as HTTP 500
 * with code woocommerce_rest_cannot_create_order_refund and the error's
 * message; asking again gets the same answer.  Its one message that asks
 * to try again (wc_create_refund() returned nothing) stays retried, as
 * does any 5xx without that code.  1 when refused.
 */

static int
invsync_woo_refund_declined(const invsync_answer_t *a, const json_t *doc)
{
    const char  *code, *m;

    if (a->status != 500 || !json_is_object(doc)) {
        return 0;
    }

    code = json_string_value(json_object_get(doc, "code"));
    m = json_string_value(json_object_get(doc, "message"));

    return code != NULL
           && strcmp(code, "woocommerce_rest_cannot_create_order_refund") == 0
           && (m == NULL || strstr(m, "please try again") == NULL);
}


/* 400, 403, 404, a declined 500: the order or the refund is refused, with
 * its message */

static invsync_channel_rc_e
invsync_woo_refund_refused(const invsync_answer_t *a,
    invsync_refund_push_t *r, json_t *doc)
{
    const char  *m, *code;

    m = json_string_value(json_object_get(doc, "message"));
    code = json_string_value(json_object_get(doc, "code"));

    snprintf(r->err, sizeof(r->err), "HTTP %ld %s: %s", a->status,
             code != NULL ? code : "error", m != NULL ? m : "no message");
    invsync_channel_text(r->err);     /* the channel's words: printable */
    r->step = INVSYNC_REFUND_REFUSED;
    json_decref(doc);

    return INVSYNC_CH_DONE;
}
