
/*
 * ShipBob's order.shipped webhook (its body: the shipment, with
 * reference_id, order_id, status and tracking) as a canonical "shipment"
 * event (docs/events.md): which of our shipments (the reference_id we
 * gave the order: the shipment id), and its tracking.  The confirm action
 * runs when "shipped" is true.  return.completed is a return's receipt
 * (invsync_shipbob_return.c); every other topic is ignored.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shipbob.h"


static invsync_norm_rc_e invsync_shipbob_normalize(
    const invsync_envelope_t *ev, json_t **out, char *err, size_t len);
static json_t *invsync_shipbob_shipment(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
static int invsync_shipbob_tracking(invsync_canon_src_t *s, json_t *e,
    int *shipped);


const invsync_normalizer_t  invsync_normalizer_shipbob = {
    "shipbob",
    invsync_shipbob_normalize
};


static invsync_norm_rc_e
invsync_shipbob_normalize(const invsync_envelope_t *ev, json_t **out,
    char *err, size_t len)
{
    char                  q[64];
    json_t               *root, *e;
    invsync_norm_rc_e     rc;
    invsync_canon_src_t   s;
    const char           *topic;

    *out = NULL;
    topic = ev->topic != NULL ? ev->topic : "";

    if (strcmp(topic, "order.shipped") != 0
        && strcmp(topic, "return.completed") != 0)
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
    e = strcmp(topic, "return.completed") == 0
        ? invsync_shipbob_return(ev, &s) : invsync_shipbob_shipment(ev, &s);
    json_decref(root);

    if (e == NULL) {
        return INVSYNC_NORM_POISON;
    }

    *out = e;

    return INVSYNC_NORM_OK;
}


static json_t *
invsync_shipbob_shipment(const invsync_envelope_t *ev,
    invsync_canon_src_t *s)
{
    int          shipped;
    json_t      *e;
    const char  *status;

    e = invsync_canon_new(ev, "shipment", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    if (invsync_canon_set(s, e, "shipment", invsync_canon_string(s,
                          "reference_id", INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "provider_ref", invsync_canon_id(s,
                             "order_id", INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "provider_shipment", invsync_canon_id(s,
                             "id", 0)) != 0
        || invsync_canon_str(s, "status", INVSYNC_CANON_REQUIRED,
                             &status) < 0
        || invsync_canon_set(s, e, "status", json_string(status)) != 0
        || invsync_shipbob_tracking(s, e, &shipped) != 0)
    {
        json_decref(e);
        return NULL;
    }

    /* Completed is ShipBob's shipped; a tracking number must come with it */
    shipped = shipped && strcmp(status, "Completed") == 0;

    if (invsync_canon_set(s, e, "shipped", json_boolean(shipped)) != 0) {
        json_decref(e);
        return NULL;
    }

    return e;
}


/* tracking: {carrier, carrier_service, tracking_number, tracking_url,
 * shipping_date}, or null before the shipment left */
static int
invsync_shipbob_tracking(invsync_canon_src_t *s, json_t *e, int *shipped)
{
    json_t               *num;
    invsync_canon_src_t   t;

    *shipped = 0;

    if (invsync_canon_object(s, "tracking", &t) != 0) {
        return -1;
    }

    num = invsync_canon_string(&t, "tracking_number", 0);
    *shipped = num != NULL && json_is_string(num);

    if (invsync_canon_set(&t, e, "tracking", num) != 0
        || invsync_canon_set(&t, e, "carrier", invsync_canon_string(&t,
                             "carrier", 0)) != 0
        || invsync_canon_set(&t, e, "service", invsync_canon_string(&t,
                             "carrier_service", 0)) != 0
        || invsync_canon_set(&t, e, "tracking_url", invsync_canon_string(&t,
                             "tracking_url", 0)) != 0
        || invsync_canon_set(&t, e, "shipped_at", invsync_canon_string(&t,
                             "shipping_date", 0)) != 0)
    {
        return -1;
    }

    return 0;
}
