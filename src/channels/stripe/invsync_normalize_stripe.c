
/*
 * Stripe's refund events (docs/events.md, "Stripe"): refund.created,
 * refund.updated (and their older names charge.refund.updated) carry a
 * Refund; charge.refunded a Charge with its refunds.  Stripe is no store:
 * the canonical refund names no order of its own channel but the payment
 * references a store's order carries (the charge, the payment intent,
 * metadata.order_id), which the refund action looks up.  Every other
 * topic is ignored.
 */


#include <stdio.h>
#include <string.h>
#include <time.h>

#include "invsync_stripe.h"


static invsync_norm_rc_e invsync_stripe_normalize(
    const invsync_envelope_t *ev, json_t **out, char *err, size_t len);
static json_t *invsync_stripe_refund(const invsync_envelope_t *ev,
    invsync_canon_src_t *root, invsync_canon_src_t *refund,
    invsync_canon_src_t *charge);
static int invsync_stripe_latest(invsync_canon_src_t *charge,
    invsync_canon_src_t *refund);
static int invsync_stripe_money(invsync_canon_src_t *s, json_t *e,
    const invsync_canon_src_t *charge, char *cur);
static int invsync_stripe_refs(const invsync_canon_src_t *refund,
    const invsync_canon_src_t *charge, json_t *e);
static int invsync_stripe_time(const invsync_canon_src_t *s,
    const char *key, json_t *e, const char *name, const char *name_ms);
static json_t *invsync_stripe_status(const invsync_canon_src_t *s);
static void invsync_stripe_unique(json_t *refs);


const invsync_normalizer_t  invsync_normalizer_stripe = {
    "stripe",
    invsync_stripe_normalize
};


static invsync_norm_rc_e
invsync_stripe_normalize(const invsync_envelope_t *ev, json_t **out,
    char *err, size_t len)
{
    int                   charge_event;
    char                  q[64];
    json_t               *root, *e;
    const char           *topic;
    invsync_norm_rc_e     rc;
    invsync_canon_src_t   s, data, obj, refund;

    *out = NULL;
    topic = ev->topic != NULL ? ev->topic : "";
    charge_event = strcmp(topic, "charge.refunded") == 0;

    if (!charge_event && strcmp(topic, "refund.created") != 0
        && strcmp(topic, "refund.updated") != 0
        && strcmp(topic, "charge.refund.updated") != 0)
    {
        snprintf(err, len, "topic \"%s\" has no canonical event",
                 invsync_canon_quote(q, sizeof(q), topic));
        return INVSYNC_NORM_IGNORE;
    }

    rc = invsync_canon_load(ev, &root, err, len);
    if (rc != INVSYNC_NORM_OK) {
        return rc;
    }

    invsync_canon_root(&s, root, err, len);
    e = NULL;

    if (invsync_canon_object(&s, "data", &data) == 0
        && invsync_canon_object(&data, "object", &obj) == 0)
    {
        if (obj.obj == NULL) {
            invsync_canon_fail(&data, "object", "missing");

        } else if (!charge_event) {
            e = invsync_stripe_refund(ev, &s, &obj, NULL);

        } else if (invsync_stripe_latest(&obj, &refund) == 0) {
            e = invsync_stripe_refund(ev, &s, &refund, &obj);
        }
    }

    json_decref(root);

    if (e == NULL) {
        return INVSYNC_NORM_POISON;
    }

    *out = e;

    return INVSYNC_NORM_OK;
}


/*
 * A Charge's newest refund: refunds.data[0] (Stripe lists them newest
 * first).  API versions since 2022-11-15 leave the list out; refund->obj
 * is then NULL and the charge's refunded total stands for the refund.
 */
static int
invsync_stripe_latest(invsync_canon_src_t *charge,
    invsync_canon_src_t *refund)
{
    size_t                n;
    invsync_canon_src_t   list;

    memset(refund, 0, sizeof(invsync_canon_src_t));
    refund->err = charge->err;
    refund->len = charge->len;

    if (invsync_canon_object(charge, "refunds", &list) != 0
        || invsync_canon_array(&list, "data", &n) != 0)
    {
        return -1;
    }

    return n > 0 ? invsync_canon_item(&list, "data", 0, refund) : 0;
}


/*
 * The canonical refund of a Refund (refund), or of a Charge's (charge not
 * NULL; refund->obj NULL when the charge lists none).
 */
static json_t *
invsync_stripe_refund(const invsync_envelope_t *ev,
    invsync_canon_src_t *root, invsync_canon_src_t *refund,
    invsync_canon_src_t *charge)
{
    char                  cur[4];
    json_t               *e, *id;
    int64_t               total;
    const char           *cid;
    invsync_canon_src_t  *s;

    e = invsync_canon_new(ev, "refund", root->err, root->len);
    if (e == NULL) {
        return NULL;
    }

    s = refund->obj != NULL ? refund : charge;

    if (refund->obj != NULL) {
        id = invsync_canon_id(refund, "id", INVSYNC_CANON_REQUIRED);

    } else {
        /* one id per refunded total: the same total delivered again is
         * the same refund, a further partial refund a new one */
        total = 0;
        id = NULL;

        if (invsync_canon_str(charge, "id", INVSYNC_CANON_REQUIRED, &cid)
            == 1
            && invsync_canon_int(charge, "amount_refunded",
                                 INVSYNC_CANON_REQUIRED, &total) == 1)
        {
            id = json_sprintf("%s:refunded:%lld", cid, (long long) total);
        }
    }

    if (invsync_canon_set(s, e, "order_id", json_null())
        || invsync_canon_set(s, e, "refund_id", id)
        || invsync_stripe_refs(refund, charge, e)
        || invsync_canon_set(s, e, "status",
                             refund->obj ? invsync_stripe_status(refund)
                                         : json_string("succeeded"))
        || invsync_stripe_time(refund->obj ? refund : root, "created", e,
                               "created_at", "created_ms")
        || invsync_stripe_time(root, "created", e, "updated_at",
                               "updated_ms")
        || invsync_stripe_money(s, e, refund->obj ? NULL : charge, cur)
        || invsync_canon_set(s, e, "reason",
                             refund->obj ? invsync_canon_string(refund,
                                                                "reason", 0)
                                         : json_null())
        || invsync_canon_set(s, e, "note",
                             invsync_canon_string(s, "description", 0))
        || invsync_canon_set(s, e, "lines", json_array())
        || invsync_canon_set(s, e, "amounts",
                             json_pack("{s:n, s:n, s:n, s:n, s:n}",
                                       "items_minor", "shipping_minor",
                                       "tax_minor", "discounts_minor",
                                       "fees_minor")))
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/*
 * currency (Stripe writes it lowercase: "eur") and amount, already in
 * minor units; a Charge without its refunds gives amount_refunded.
 */
static int
invsync_stripe_money(invsync_canon_src_t *s, json_t *e,
    const invsync_canon_src_t *charge, char *cur)
{
    int          rc;
    char         q[64];
    size_t       i;
    int64_t      amount;
    const char  *c;

    if (invsync_canon_str(s, "currency", INVSYNC_CANON_REQUIRED, &c) < 0) {
        return -1;
    }

    for (i = 0; i < 3 && c[i] != '\0'; i++) {
        cur[i] = (c[i] >= 'a' && c[i] <= 'z') ? c[i] - 'a' + 'A' : c[i];
    }

    cur[i] = '\0';

    if (c[i] != '\0' || invsync_currency_exponent(cur) < 0) {
        return invsync_canon_fail(s, "currency", "\"%s\" is not an ISO 4217 "
                                  "code", invsync_canon_quote(q, sizeof(q),
                                                              c));
    }

    amount = 0;
    rc = invsync_canon_int(s, charge ? "amount_refunded" : "amount",
                           INVSYNC_CANON_REQUIRED, &amount);

    if (rc < 0
        || invsync_canon_set(s, e, "currency", json_string(cur))
        || invsync_canon_set(s, e, "amount_minor", json_integer(amount)))
    {
        return -1;
    }

    return 0;
}


/*
 * What a store's order may carry of this payment, in match order: the
 * charge, the payment intent, then metadata.order_id (the order id a
 * checkout wrote on the payment), of the refund and of the charge.
 */
static int
invsync_stripe_refs(const invsync_canon_src_t *refund,
    const invsync_canon_src_t *charge, json_t *e)
{
    size_t                     i;
    json_t                    *refs, *v;
    invsync_canon_src_t        meta;
    const invsync_canon_src_t *src[2];

    src[0] = refund->obj != NULL ? refund : NULL;
    src[1] = charge;
    refs = json_array();

    if (invsync_canon_set(refund, e, "payment_refs", refs) != 0) {
        return -1;
    }

    for (i = 0; i < 2; i++) {
        if (src[i] == NULL) {
            continue;
        }

        v = invsync_canon_id(src[i], i == 0 ? "charge" : "id", 0);

        if (v == NULL || invsync_canon_ref(src[i], refs, "txn", v) != 0) {
            json_decref(v);
            return -1;
        }

        json_decref(v);
        v = invsync_canon_id(src[i], "payment_intent", 0);

        if (v == NULL || invsync_canon_ref(src[i], refs, "txn", v) != 0) {
            json_decref(v);
            return -1;
        }

        json_decref(v);

        if (invsync_canon_object(src[i], "metadata", &meta) != 0) {
            return -1;
        }

        v = invsync_canon_id(&meta, "order_id", 0);

        if (v == NULL || invsync_canon_ref(src[i], refs, "order", v) != 0) {
            json_decref(v);
            return -1;
        }

        json_decref(v);
    }

    invsync_stripe_unique(refs);

    return 0;
}


/* a refund and its charge name the same charge: each ref once */
static void
invsync_stripe_unique(json_t *refs)
{
    size_t  i, k;

    for (i = 0; i < json_array_size(refs); i++) {
        for (k = 0; k < i; k++) {
            if (json_equal(json_array_get(refs, i), json_array_get(refs, k)))
            {
                json_array_remove(refs, i--);
                break;
            }
        }
    }
}


/* a Unix time in seconds (Stripe's "created") as name (ISO) and name_ms */
static int
invsync_stripe_time(const invsync_canon_src_t *s, const char *key,
    json_t *e, const char *name, const char *name_ms)
{
    int        rc;
    char       iso[32];
    time_t     t;
    int64_t    secs;
    struct tm  tm;

    secs = 0;
    rc = invsync_canon_int(s, key, 0, &secs);

    if (rc < 0) {
        return -1;
    }

    t = (time_t) secs;

    if (rc == 0 || secs > 253402300799LL || gmtime_r(&t, &tm) == NULL) {
        if (rc == 1) {
            return invsync_canon_fail(s, key, "%lld is no time",
                                      (long long) secs);
        }

        return (invsync_canon_set(s, e, name, json_null())
                || invsync_canon_set(s, e, name_ms, json_null())) ? -1 : 0;
    }

    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);

    return (invsync_canon_set(s, e, name, json_string(iso))
            || invsync_canon_set(s, e, name_ms,
                                 json_integer((json_int_t) secs * 1000)))
           ? -1 : 0;
}


/* a Refund's status: succeeded, pending (also requires_action), failed,
 * cancelled; anything else as Stripe wrote it */
static json_t *
invsync_stripe_status(const invsync_canon_src_t *s)
{
    const char  *v;

    if (invsync_canon_str(s, "status", 0, &v) < 0) {
        return NULL;
    }

    if (v == NULL) {
        return json_null();
    }

    if (strcmp(v, "requires_action") == 0) {
        return json_string("pending");
    }

    if (strcmp(v, "canceled") == 0) {
        return json_string("cancelled");
    }

    return json_string(v);
}
