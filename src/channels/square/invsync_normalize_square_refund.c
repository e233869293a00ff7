
/*
 * Square's refunds (docs/events.md, "Square"): refund.created and
 * refund.updated carry a PaymentRefund (data.object.refund) with its
 * money, payment and order but no lines; and what an order carries that
 * a refund names it by (its tenders' payments).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_square.h"


static json_t *invsync_square_refund_status(const invsync_canon_src_t *s);
static int invsync_square_fees(const invsync_canon_src_t *s,
    const char *currency, json_t **fees);


/*
 * payments: "txn:<payment id>" of each tender (payment_id, else the
 * tender's id, which Square gives the same value), then "order:<id>".
 */

int
invsync_square_payments(const invsync_canon_src_t *s, json_t *e)
{
    size_t                i, n;
    json_t               *refs, *v;
    invsync_canon_src_t   tender;

    refs = json_array();

    if (invsync_canon_set(s, e, "payments", refs) != 0
        || invsync_canon_array(s, "tenders", &n) != 0)
    {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "tenders", i, &tender) != 0) {
            return -1;
        }

        v = invsync_canon_or(invsync_canon_id(&tender, "payment_id", 0),
                             &tender, "id");

        if (v == NULL || invsync_canon_ref(s, refs, "txn", v) != 0) {
            json_decref(v);
            return -1;
        }

        json_decref(v);
    }

    return invsync_canon_ref(s, refs, "order", json_object_get(e,
                                                               "order_id"));
}


/* data.object.refund of a refund.created or refund.updated */

json_t *
invsync_square_refund(const invsync_envelope_t *ev, invsync_canon_src_t *obj)
{
    json_t               *e, *refs, *fees, *v;
    int64_t               amount;
    const char           *currency;
    invsync_canon_src_t   s, money;

    if (invsync_canon_object(obj, "refund", &s) != 0) {
        return NULL;
    }

    if (s.obj == NULL) {
        invsync_canon_fail(obj, "refund", "missing");
        return NULL;
    }

    amount = 0;
    fees = NULL;

    if (invsync_canon_object(&s, "amount_money", &money) != 0
        || invsync_canon_currency(&money, "currency", INVSYNC_CANON_REQUIRED,
                                  &currency) < 0
        || invsync_canon_int(&money, "amount", INVSYNC_CANON_REQUIRED,
                             &amount) < 0
        || invsync_square_fees(&s, currency, &fees) != 0)
    {
        return NULL;
    }

    e = invsync_canon_new(ev, "refund", s.err, s.len);
    if (e == NULL) {
        json_decref(fees);
        return NULL;
    }

    if (invsync_canon_set(&s, e, "amounts",
                          json_pack("{s:n, s:n, s:n, s:n, s:o}",
                                    "items_minor", "shipping_minor",
                                    "tax_minor", "discounts_minor",
                                    "fees_minor", fees))
        || invsync_canon_set(&s, e, "order_id",
                             invsync_canon_id(&s, "order_id", 0))
        || invsync_canon_set(&s, e, "refund_id",
                             invsync_canon_id(&s, "id",
                                              INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(&s, e, "payment_refs", json_array())
        || invsync_canon_set(&s, e, "status",
                             invsync_square_refund_status(&s))
        || invsync_canon_time(&s, "created_at", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_time(&s, "updated_at", 0, e, "updated_at",
                              "updated_ms")
        || invsync_canon_set(&s, e, "currency", json_string(currency))
        || invsync_canon_set(&s, e, "amount_minor", json_integer(amount))
        || invsync_canon_set(&s, e, "reason",
                             invsync_canon_string(&s, "reason", 0))
        || invsync_canon_set(&s, e, "note", json_null())
        || invsync_canon_set(&s, e, "lines", json_array()))
    {
        json_decref(e);
        return NULL;
    }

    refs = json_object_get(e, "payment_refs");
    v = invsync_canon_id(&s, "payment_id", 0);

    if (v == NULL || invsync_canon_ref(&s, refs, "txn", v) != 0) {
        json_decref(v);
        json_decref(e);
        return NULL;
    }

    json_decref(v);

    return e;
}


/* COMPLETED succeeded, PENDING pending, REJECTED and FAILED failed */
static json_t *
invsync_square_refund_status(const invsync_canon_src_t *s)
{
    const char  *v;

    if (invsync_canon_str(s, "status", 0, &v) < 0) {
        return NULL;
    }

    if (v == NULL) {
        return json_null();
    }

    return json_string(strcmp(v, "COMPLETED") == 0 ? "succeeded"
                       : strcmp(v, "PENDING") == 0 ? "pending"
                       : strcmp(v, "REJECTED") == 0
                         || strcmp(v, "FAILED") == 0 ? "failed"
                       : "pending");
}


/*
 * processing_fee[]: Square's fee on the refund, each amount_money
 * negative (the fee Square gives back); the canonical fees_minor is the
 * size of their sum, null when Square has not yet set one.
 */
static int
invsync_square_fees(const invsync_canon_src_t *s, const char *currency,
    json_t **fees)
{
    size_t                i, n;
    int64_t               v, sum;
    invsync_canon_src_t   fee, money;

    if (invsync_canon_array(s, "processing_fee", &n) != 0) {
        return -1;
    }

    sum = 0;

    for (i = 0; i < n; i++) {
        v = 0;

        if (invsync_canon_item(s, "processing_fee", i, &fee) != 0
            || invsync_canon_object(&fee, "amount_money", &money) != 0)
        {
            return -1;
        }

        money.currency = currency;

        if (invsync_canon_int(&money, "amount", INVSYNC_CANON_SIGNED, &v) < 0)
        {
            return -1;
        }

        if (v == INT64_MIN || (v < 0 ? -v : v) > INT64_MAX - sum) {
            return invsync_canon_fail(&money, "amount", "the fees' sum "
                                      "overflows int64");
        }

        sum += v < 0 ? -v : v;
    }

    *fees = n > 0 ? json_integer(sum) : json_null();

    return *fees != NULL ? 0 : -1;
}
