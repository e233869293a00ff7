
/*
 * Stripe: Stripe-Signature = "t=<unix>,v1=<hex>[,v1=<hex>...]", each v1
 * a lowercase hex HMAC-SHA256 keyed with the whole "whsec_..." secret over
 * t "." body.  Unlike Stripe's libraries we also refuse future timestamps.
 */


#include <string.h>

#include "invsync_schemes.h"


#define INVSYNC_STRIPE_SIGNATURE  0
#define INVSYNC_STRIPE_MAX_V1     8


static invsync_rc_e invsync_stripe_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_stripe_describe(const invsync_input_t *in,
    invsync_meta_t *m);


static const char  *invsync_stripe_headers[] = {
    "stripe-signature",
    NULL
};


/* charge.dispute.* and the rest go to the default stream */
static const invsync_route_t  invsync_stripe_routes[] = {
    { "refund.*",           "refunds" },
    { "charge.refunded",    "refunds" },
    { "charge.refund.*",    "refunds" },
    { NULL, NULL }
};


const invsync_scheme_t  invsync_scheme_stripe = {
    "stripe",
    invsync_stripe_headers,
    1, 0, 0,
    invsync_stripe_verify,
    invsync_stripe_describe,
    NULL,
    invsync_stripe_routes
};


static invsync_rc_e
invsync_stripe_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    size_t                i, k, nv1;
    int64_t               t;
    invsync_str_t         parts[3];
    unsigned char         v1[INVSYNC_STRIPE_MAX_V1][32], mac[32];
    const unsigned char  *p, *last, *item, *eq, *ts;
    const invsync_str_t  *h;

    if (n == 0) {
        return INVSYNC_ERR_CONFIG;
    }

    h = &in->headers[INVSYNC_STRIPE_SIGNATURE];

    if (!invsync_str_set(h)) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    ts = NULL;
    nv1 = 0;
    parts[0].len = 0;

    p = h->data;
    last = h->data + h->len;

    /* items split on ',', each on its first '='; v0 and the rest ignored */
    while (p < last) {
        item = p;
        p = memchr(item, ',', (size_t) (last - item));
        if (p == NULL) {
            p = last;
        }

        eq = memchr(item, '=', (size_t) (p - item));

        if (eq != NULL) {
            if (eq - item == 1 && item[0] == 't' && ts == NULL) {
                ts = eq + 1;
                parts[0].data = ts;
                parts[0].len = (size_t) (p - ts);

            } else if (eq - item == 2 && item[0] == 'v' && item[1] == '1'
                       && nv1 < INVSYNC_STRIPE_MAX_V1
                       && invsync_hex_decode(v1[nv1], 32, eq + 1,
                                             (size_t) (p - eq - 1))
                          == 32)
            {
                nv1++;
            }
        }

        if (p == last) {
            break;
        }

        p++;
    }

    if (ts == NULL
        || invsync_time_parse(parts[0].data, parts[0].len, 0, &t) != 0)
    {
        return INVSYNC_ERR_TIMESTAMP;
    }

    if (nv1 == 0) {
        return INVSYNC_ERR_SIGNATURE;
    }

    /* the timestamp is signed as it appears in the header */
    parts[1].data = (const unsigned char *) ".";
    parts[1].len = 1;
    parts[2] = in->body;

    for (i = 0; i < n; i++) {
        if (invsync_hmac_sha256(secrets[i].data, secrets[i].len, parts, 3,
                                mac)
            != 0)
        {
            return INVSYNC_ERR_NOMEM;
        }

        for (k = 0; k < nv1; k++) {
            if (invsync_ct_equal(v1[k], mac, 32)) {
                return invsync_time_check(in, t);
            }
        }
    }

    return INVSYNC_ERR_SIGNATURE;
}


static invsync_rc_e
invsync_stripe_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    /* "account" is there for Connect events only */
    return invsync_json_describe(in, m, "id", "type", "account");
}
