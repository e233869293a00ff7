
/*
 * ShipBob's webhooks: signed as Standard Webhooks (developer.shipbob.com,
 * Webhooks: webhook-id, webhook-timestamp, webhook-signature over id "."
 * timestamp "." body with the whsec_ key), so the signature and the event
 * id are the standard scheme's, called as is.  What this row adds is the
 * name the worker matches to a channel of type "shipbob" and the topic,
 * which ShipBob sends in x-webhook-topic rather than in the body; with it
 * order.shipped goes to the fulfillments stream, a return's notices
 * (return.completed) to the refunds stream.
 */


#include <string.h>

#include "invsync.h"


/* the standard scheme's headers first, in its order: its verify and
 * describe read them by position */
#define INVSYNC_SHIPBOB_TOPIC  6


static invsync_rc_e invsync_shipbob_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_shipbob_describe(const invsync_input_t *in,
    invsync_meta_t *m);


static const char  *invsync_shipbob_headers[] = {
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "x-webhook-topic",
    NULL
};


static const invsync_route_t  invsync_shipbob_routes[] = {
    { "order.shipped", "fulfillments" },
    { "return.*", "refunds" },
    { NULL, NULL }
};


const invsync_scheme_t  invsync_scheme_shipbob = {
    "shipbob",
    invsync_shipbob_headers,
    1, 0, 0,
    invsync_shipbob_verify,
    invsync_shipbob_describe,
    NULL,
    invsync_shipbob_routes
};


static invsync_rc_e
invsync_shipbob_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    return invsync_scheme_standard.verify(in, secrets, n);
}


/* the standard scheme's event id, then the topic from its header */
static invsync_rc_e
invsync_shipbob_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    invsync_rc_e          rc;
    const invsync_str_t  *topic;

    rc = invsync_scheme_standard.describe(in, m);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    topic = &in->headers[INVSYNC_SHIPBOB_TOPIC];

    if (!invsync_str_set(topic)) {
        return INVSYNC_OK;
    }

    return invsync_meta_set(m->topic, &m->topic_len, INVSYNC_TOPIC_LEN,
                            topic->data, topic->len);
}
