
/*
 * Square: x-square-hmacsha256-signature = base64(HMAC-SHA256(signature
 * key as UTF-8, notification URL + body)); the URL is configured, never
 * rebuilt from the request.
 */


#include "invsync_schemes.h"


#define INVSYNC_SQUARE_SIGNATURE  0


static invsync_rc_e invsync_square_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_square_describe(const invsync_input_t *in,
    invsync_meta_t *m);


static const char  *invsync_square_headers[] = {
    "x-square-hmacsha256-signature",
    NULL
};


/* first match wins: order.fulfillment.* before order.*; payment.* and
 * the rest go to the default stream */
static const invsync_route_t  invsync_square_routes[] = {
    { "order.fulfillment.*",    "fulfillments" },
    { "order.*",                "orders" },
    { "refund.*",               "refunds" },
    { "inventory.*",            "stock" },
    { NULL, NULL }
};


const invsync_scheme_t  invsync_scheme_square = {
    "square",
    invsync_square_headers,
    0, 1, 0,
    invsync_square_verify,
    invsync_square_describe,
    NULL,
    invsync_square_routes
};


static invsync_rc_e
invsync_square_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    ssize_t               len;
    invsync_str_t         parts[2];
    unsigned char         sig[64];
    const invsync_str_t  *h;

    if (n == 0 || !invsync_str_set(&in->url)) {
        return INVSYNC_ERR_CONFIG;
    }

    h = &in->headers[INVSYNC_SQUARE_SIGNATURE];

    if (!invsync_str_set(h)) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    len = invsync_base64_decode(sig, sizeof(sig), h->data, h->len, 0);
    if (len != 32) {
        return INVSYNC_ERR_SIGNATURE;
    }

    parts[0] = in->url;
    parts[1] = in->body;

    return invsync_hmac_match(secrets, n, parts, 2, sig);
}


static invsync_rc_e
invsync_square_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    return invsync_json_describe(in, m, "event_id", "type", "merchant_id");
}
