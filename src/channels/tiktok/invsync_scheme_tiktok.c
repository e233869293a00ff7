
/*
 * TikTok Shop: Authorization = lowercase hex HMAC-SHA256(app secret,
 * app key + body); no timestamp is signed.  Either hex case is accepted.
 */


#include "invsync_schemes.h"


#define INVSYNC_TIKTOK_SIGNATURE  0


static invsync_rc_e invsync_tiktok_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_tiktok_describe(const invsync_input_t *in,
    invsync_meta_t *m);


static const char  *invsync_tiktok_headers[] = {
    "authorization",
    NULL
};


/* numeric types: 1 order status, 2 reverse order (refunds and returns),
 * 3 recipient address, 4 package update */
static const invsync_route_t  invsync_tiktok_routes[] = {
    { "1",  "orders" },
    { "2",  "refunds" },
    { "3",  "orders" },
    { "4",  "fulfillments" },
    { NULL, NULL }
};


const invsync_scheme_t  invsync_scheme_tiktok = {
    "tiktok",
    invsync_tiktok_headers,
    0, 0, 1,
    invsync_tiktok_verify,
    invsync_tiktok_describe,
    NULL,
    invsync_tiktok_routes
};


static invsync_rc_e
invsync_tiktok_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    ssize_t               len;
    invsync_str_t         parts[2];
    unsigned char         sig[32];
    const invsync_str_t  *h;

    if (n == 0 || !invsync_str_set(&in->app_key)) {
        return INVSYNC_ERR_CONFIG;
    }

    h = &in->headers[INVSYNC_TIKTOK_SIGNATURE];

    if (!invsync_str_set(h)) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    len = invsync_hex_decode(sig, sizeof(sig), h->data, h->len);
    if (len != 32) {
        return INVSYNC_ERR_SIGNATURE;
    }

    parts[0] = in->app_key;
    parts[1] = in->body;

    return invsync_hmac_match(secrets, n, parts, 2, sig);
}


/* "type" is an integer, stored as its decimal text ("1") */
static invsync_rc_e
invsync_tiktok_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    return invsync_json_describe(in, m, "tts_notification_id", "type",
                                 "shop_id");
}
