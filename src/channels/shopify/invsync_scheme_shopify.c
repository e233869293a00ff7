
/*
 * Shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client secret,
 * body)); "Events" deliveries send the same headers without "X-".
 */


#include "invsync_schemes.h"


#define INVSYNC_SHOPIFY_HMAC        0   /* and 1, unprefixed */
#define INVSYNC_SHOPIFY_WEBHOOK_ID  2
#define INVSYNC_SHOPIFY_EVENT_ID    4
#define INVSYNC_SHOPIFY_TOPIC       6
#define INVSYNC_SHOPIFY_SHOP        8


static invsync_rc_e invsync_shopify_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_shopify_describe(const invsync_input_t *in,
    invsync_meta_t *m);


/* each X- form comes first, the unprefixed one right after it */
static const char  *invsync_shopify_headers[] = {
    "x-shopify-hmac-sha256",
    "shopify-hmac-sha256",
    "x-shopify-webhook-id",
    "shopify-webhook-id",
    "x-shopify-event-id",
    "shopify-event-id",
    "x-shopify-topic",
    "shopify-topic",
    "x-shopify-shop-domain",
    "shopify-shop-domain",
    NULL
};


static const invsync_route_t  invsync_shopify_routes[] = {
    { "orders/*",               "orders" },
    { "refunds/*",              "refunds" },
    { "returns/*",              "refunds" },
    { "reverse_fulfillment_orders/*", "refunds" },
    { "reverse_deliveries/*",   "refunds" },
    { "fulfillments/*",         "fulfillments" },
    { "fulfillment_orders/*",   "fulfillments" },
    { "fulfillment_events/*",   "fulfillments" },
    { "inventory_levels/*",     "stock" },
    { "inventory_items/*",      "stock" },
    { "products/*",             "stock" },
    { NULL, NULL }
};


const invsync_scheme_t  invsync_scheme_shopify = {
    "shopify",
    invsync_shopify_headers,
    0, 0, 0,
    invsync_shopify_verify,
    invsync_shopify_describe,
    NULL,
    invsync_shopify_routes
};


static invsync_rc_e
invsync_shopify_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    ssize_t              len;
    unsigned char        sig[64];
    const invsync_str_t  *h;

    if (n == 0) {
        return INVSYNC_ERR_CONFIG;
    }

    h = invsync_header_pick(in, INVSYNC_SHOPIFY_HMAC,
                            INVSYNC_SHOPIFY_HMAC + 1);
    if (h == NULL) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    len = invsync_base64_decode(sig, sizeof(sig), h->data, h->len, 0);
    if (len != 32) {
        return INVSYNC_ERR_SIGNATURE;
    }

    return invsync_hmac_match(secrets, n, &in->body, 1, sig);
}


/*
 * The event id is X-Shopify-Event-Id, shared by every subscription that
 * receives the event, so one event is stored once; deliveries without it
 * fall back to X-Shopify-Webhook-Id, stable across retries.
 */
static invsync_rc_e
invsync_shopify_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    invsync_rc_e          rc;
    const invsync_str_t  *h;

    /* an object, as the worker's normalizer needs */
    rc = invsync_json_check(in->body.data, in->body.len, 1);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    h = invsync_header_pick(in, INVSYNC_SHOPIFY_EVENT_ID,
                            INVSYNC_SHOPIFY_EVENT_ID + 1);
    if (h == NULL) {
        h = invsync_header_pick(in, INVSYNC_SHOPIFY_WEBHOOK_ID,
                                INVSYNC_SHOPIFY_WEBHOOK_ID + 1);
        if (h == NULL) {
            return INVSYNC_ERR_NO_EVENT_ID;
        }
    }

    rc = invsync_meta_set(m->event, &m->event_len, INVSYNC_EVENT_LEN,
                          h->data, h->len);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    h = invsync_header_pick(in, INVSYNC_SHOPIFY_TOPIC,
                            INVSYNC_SHOPIFY_TOPIC + 1);
    if (h == NULL) {
        return INVSYNC_ERR_NO_TOPIC;
    }

    rc = invsync_meta_set(m->topic, &m->topic_len, INVSYNC_TOPIC_LEN,
                          h->data, h->len);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    h = invsync_header_pick(in, INVSYNC_SHOPIFY_SHOP,
                            INVSYNC_SHOPIFY_SHOP + 1);
    if (h == NULL) {
        return invsync_meta_set(m->account, &m->account_len,
                                INVSYNC_ACCOUNT_LEN, NULL, 0);
    }

    return invsync_meta_set(m->account, &m->account_len, INVSYNC_ACCOUNT_LEN,
                            h->data, h->len);
}
