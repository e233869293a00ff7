
/*
 * Shopify's returns (docs/channels/shopify.md, "Returns"): the return
 * webhooks returns/request, returns/approve, returns/decline,
 * returns/cancel, returns/close and returns/reopen as a canonical
 * "return" (docs/events.md), and reverse_fulfillment_orders/dispose as a
 * canonical "return_disposition".  Shopify's field names are in the two
 * tables below and nowhere else, so that a name found wrong is mended in
 * one place; what is confirmed and what was chosen ([U]) is on the page.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shopify.h"


/* a return topic and its canonical state */
typedef struct {
    const char  *topic;
    const char  *state;         /* channel-neutral (docs/events.md) */
} invsync_shopify_return_topic_t;


/* Shopify's member names, in one place */
typedef struct {
    const char  *id;            /* the return's id */
    const char  *status;        /* its status, lower case */
    const char  *lines;         /* return_line_items[] */
    const char  *line_qty;
    const char  *line_reason;
    const char  *line_note;
    const char  *fulfillment_line;   /* the line's fulfillment line item */
    const char  *order_line;         /* in it, the order's line item */
    const char  *decline;            /* {reason, note} */
    const char  *dispositions;       /* dispose: dispositions[] */
    const char  *rfo_line;           /* reverse_fulfillment_order_line_item */
    const char  *type;               /* restocked, not_restocked, ... */
    const char  *location;           /* {id} */
    const char  *of_return;          /* attach_deliverable: return {id} */
    const char  *deliverable;        /* shipping_deliverable */
    const char  *tracking;           /* in it: tracking {carrier_name,
                                      * tracking_number, tracking_url} */
} invsync_shopify_return_names_t;


/* a disposition type and the condition it means for the restock rules */
typedef struct {
    const char  *type;
    const char  *condition;
} invsync_shopify_disposition_t;


static int invsync_shopify_return_line(const invsync_canon_src_t *it,
    json_t *l, void *ctx);
static int invsync_shopify_disposition(const invsync_canon_src_t *it,
    json_t *l, void *ctx);
static const char *invsync_shopify_condition(const char *type);


static const invsync_shopify_return_topic_t  invsync_shopify_return_topics[] =
{
    { "returns/request", "requested" },
    { "returns/approve", "approved" },
    { "returns/decline", "declined" },
    { "returns/cancel", "cancelled" },
    { "returns/close", "closed" },
    { "returns/reopen", "reopened" },
    { NULL, NULL }
};


static const invsync_shopify_return_names_t  invsync_shopify_rn = {
    "id", "status", "return_line_items", "quantity", "return_reason",
    "return_reason_note", "fulfillment_line_item", "line_item", "decline",
    "dispositions", "reverse_fulfillment_order_line_item", "type",
    "location", "return", "shipping_deliverable", "tracking"
};


/* ReverseFulfillmentOrderDispositionType, as the webhook writes it */
static const invsync_shopify_disposition_t  invsync_shopify_dispositions[] = {
    { "restocked", "resellable" },
    { "not_restocked", "damaged" },
    { "missing", "missing" },
    { "processing_required", "unprocessed" },
    { NULL, NULL }
};


/*
 * A return webhook: {id, status, order: {id} or order_id,
 * return_line_items: [{id, quantity, return_reason, return_reason_note,
 * fulfillment_line_item: {id, line_item: {id}}}], decline: {reason,
 * note}}.  The lines name the order's line item by id only (no SKU): the
 * action finds the SKU on the recorded order's line of that id.
 */
json_t *
invsync_shopify_return(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    json_t                                *e, *order;
    invsync_canon_src_t                    o, d;
    const invsync_shopify_return_names_t  *n;
    const invsync_shopify_return_topic_t  *t;

    n = &invsync_shopify_rn;

    for (t = invsync_shopify_return_topics; t->topic != NULL; t++) {
        if (strcmp(t->topic, ev->topic) == 0) {
            break;
        }
    }

    if (t->topic == NULL) {
        invsync_canon_fail(s, NULL, "not a return topic");
        return NULL;
    }

    /* request, approve, decline: order {id}; cancel, close, reopen:
     * order_id (Shopify's examples); either is read for every topic */
    if (invsync_canon_object(s, "order", &o) != 0) {
        return NULL;
    }

    order = invsync_canon_id(&o, "id", 0);

    if (order != NULL && json_is_null(order)) {
        json_decref(order);
        order = invsync_canon_id(s, "order_id", INVSYNC_CANON_REQUIRED);
    }

    if (order == NULL) {
        return NULL;
    }

    e = invsync_canon_new(ev, "return", s->err, s->len);

    if (e == NULL) {
        json_decref(order);
        return NULL;
    }

    /* order_id first: the event owns it from here on */
    if (invsync_canon_set(s, e, "order_id", order) != 0
        || invsync_canon_set(s, e, "return_id", invsync_canon_id(s, n->id,
                             INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "state", json_string(t->state)) != 0
        || invsync_canon_set(s, e, "status", invsync_canon_string(s,
                             n->status, 0)) != 0
        || invsync_canon_object(s, n->decline, &d) != 0
        || invsync_canon_set(&d, e, "reason", invsync_canon_string(&d,
                             "reason", 0)) != 0
        || invsync_canon_set(&d, e, "note", invsync_canon_string(&d,
                             "note", 0)) != 0
        || invsync_canon_each(s, n->lines, e, "lines",
                              invsync_shopify_return_line, NULL) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/* a return line: the order's line item it takes back, and how many */
static int
invsync_shopify_return_line(const invsync_canon_src_t *it, json_t *l,
    void *ctx)
{
    int64_t                                qty;
    invsync_canon_src_t                    f, li;
    const invsync_shopify_return_names_t  *n;

    (void) ctx;
    n = &invsync_shopify_rn;

    if (invsync_canon_object(it, n->fulfillment_line, &f) != 0
        || invsync_canon_object(&f, n->order_line, &li) != 0)
    {
        return -1;
    }

    if (li.obj == NULL) {
        return invsync_canon_fail(it, n->fulfillment_line,
                                  "missing: the order's line item");
    }

    if (invsync_canon_set(&li, l, "channel_line_id", invsync_canon_id(&li,
                          "id", INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(it, l, "return_line_id", invsync_canon_id(it,
                             "id", 0)) != 0
        || invsync_canon_int(it, n->line_qty, INVSYNC_CANON_REQUIRED,
                             &qty) < 0)
    {
        return -1;
    }

    if (qty < 1) {
        return invsync_canon_fail(it, n->line_qty, "must be at least 1");
    }

    if (invsync_canon_set(it, l, "quantity", json_integer(qty)) != 0
        || invsync_canon_set(it, l, "reason", invsync_canon_string(it,
                             n->line_reason, 0)) != 0
        || invsync_canon_set(it, l, "note", invsync_canon_string(it,
                             n->line_note, 0)) != 0)
    {
        return -1;
    }

    return 0;
}


/*
 * reverse_deliveries/attach_deliverable: {id (the reverse delivery),
 * return: {id}, shipping_deliverable: {tracking: {carrier_name,
 * tracking_number, tracking_url}, label}}: the return's parcel is on its
 * way.  It names no order (order_id null) and no lines.
 */
json_t *
invsync_shopify_return_transit(const invsync_envelope_t *ev,
    invsync_canon_src_t *s)
{
    json_t                                *e;
    invsync_canon_src_t                    r, d, t;
    const invsync_shopify_return_names_t  *n;

    n = &invsync_shopify_rn;
    e = invsync_canon_new(ev, "return", s->err, s->len);

    if (e == NULL
        || invsync_canon_object(s, n->of_return, &r) != 0
        || invsync_canon_object(s, n->deliverable, &d) != 0
        || invsync_canon_object(&d, n->tracking, &t) != 0
        || invsync_canon_set(&r, e, "return_id", invsync_canon_id(&r, n->id,
                             INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "order_id", json_null()) != 0
        || invsync_canon_set(s, e, "state", json_string("in_transit")) != 0
        || invsync_canon_set(s, e, "status", json_null()) != 0
        || invsync_canon_set(s, e, "reason", json_null()) != 0
        || invsync_canon_set(s, e, "note", json_null()) != 0
        || invsync_canon_set(s, e, "lines", json_array()) != 0
        || invsync_canon_set(s, e, "delivery_id", invsync_canon_id(s, n->id,
                             INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(&t, e, "tracking", invsync_canon_string(&t,
                             "tracking_number", 0)) != 0
        || invsync_canon_set(&t, e, "carrier", invsync_canon_string(&t,
                             "carrier_name", 0)) != 0
        || invsync_canon_set(&t, e, "tracking_url", invsync_canon_string(&t,
                             "tracking_url", 0)) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/*
 * reverse_fulfillment_orders/dispose: {id (the reverse fulfilment
 * order), dispositions: [{reverse_fulfillment_order_line_item: {id},
 * type, location: {id}, quantity}]}.  It names neither the return nor
 * the order nor a SKU (confirmed in Shopify's example payload): the
 * action cannot match it to an RMA by itself (docs/returns.md).
 */
json_t *
invsync_shopify_dispose(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    json_t  *e;

    e = invsync_canon_new(ev, "return_disposition", s->err, s->len);

    if (e == NULL
        || invsync_canon_set(s, e, "disposition_id", invsync_canon_id(s,
                             invsync_shopify_rn.id,
                             INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "return_id", json_null()) != 0
        || invsync_canon_set(s, e, "order_id", json_null()) != 0
        || invsync_canon_each(s, invsync_shopify_rn.dispositions, e, "lines",
                              invsync_shopify_disposition, NULL) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/*
 * INVSYNC_TOPIC_DISPOSITION_READ, the worker's own: {"disposition": the
 * dispose webhook's body, "read": {return_id, order_id, lines: {<reverse
 * fulfilment line id>: <order line id>}}} (invsync_shopify_return_read.c):
 * the disposition with its return, order and each line's order line.
 */
json_t *
invsync_shopify_dispose_read(const invsync_envelope_t *ev,
    invsync_canon_src_t *s)
{
    size_t               i;
    json_t              *e, *l, *map;
    invsync_canon_src_t  d, r;

    if (invsync_canon_object(s, "disposition", &d) != 0
        || invsync_canon_object(s, "read", &r) != 0)
    {
        return NULL;
    }

    if (d.obj == NULL || r.obj == NULL) {
        invsync_canon_fail(s, d.obj == NULL ? "disposition" : "read",
                           "missing");
        return NULL;
    }

    e = invsync_shopify_dispose(ev, &d);

    if (e == NULL
        || invsync_canon_set(&r, e, "return_id", invsync_canon_id(&r,
                             "return_id", INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(&r, e, "order_id", invsync_canon_id(&r,
                             "order_id", INVSYNC_CANON_REQUIRED)) != 0)
    {
        json_decref(e);
        return NULL;
    }

    map = json_object_get(r.obj, "lines");

    json_array_foreach(json_object_get(e, "lines"), i, l) {
        json_t  *ol = json_object_get(map, json_string_value(
                          json_object_get(l, "channel_line_id")));

        json_object_set_new(l, "order_line_id",
                            json_is_string(ol) ? json_copy(ol) : json_null());
    }

    return e;
}


static int
invsync_shopify_disposition(const invsync_canon_src_t *it, json_t *l,
    void *ctx)
{
    char                                   q[64];
    int64_t                                qty;
    const char                            *type, *cond;
    invsync_canon_src_t                    r, loc;
    const invsync_shopify_return_names_t  *n;

    (void) ctx;
    n = &invsync_shopify_rn;

    if (invsync_canon_object(it, n->rfo_line, &r) != 0
        || invsync_canon_object(it, n->location, &loc) != 0
        || invsync_canon_str(it, n->type, INVSYNC_CANON_REQUIRED, &type) < 0
        || invsync_canon_int(it, "quantity", INVSYNC_CANON_REQUIRED,
                             &qty) < 0)
    {
        return -1;
    }

    cond = invsync_shopify_condition(type);

    if (cond == NULL) {
        return invsync_canon_fail(it, n->type, "\"%s\" is not restocked, "
                                  "not_restocked, missing or "
                                  "processing_required",
                                  invsync_canon_quote(q, sizeof(q), type));
    }

    if (qty < 1) {
        return invsync_canon_fail(it, "quantity", "must be at least 1");
    }

    if (invsync_canon_set(&r, l, "channel_line_id", invsync_canon_id(&r,
                          "id", INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(it, l, "quantity", json_integer(qty)) != 0
        || invsync_canon_set(it, l, "condition", json_string(cond)) != 0
        || invsync_canon_set(it, l, "disposition", json_string(type)) != 0
        || invsync_canon_set(&loc, l, "location_ref", invsync_canon_id(&loc,
                             "id", 0)) != 0
        || invsync_canon_set(it, l, "order_line_id", json_null()) != 0)
    {
        return -1;
    }

    return 0;
}


/* the type in lower case (the webhook) or as the GraphQL enum [U] */
static const char *
invsync_shopify_condition(const char *type)
{
    char                                  low[32];
    size_t                                i;
    const invsync_shopify_disposition_t  *d;

    for (i = 0; type[i] != '\0' && i + 1 < sizeof(low); i++) {
        low[i] = (type[i] >= 'A' && type[i] <= 'Z') ? type[i] + 32 : type[i];
    }

    low[i] = '\0';

    if (type[i] != '\0') {
        return NULL;
    }

    for (d = invsync_shopify_dispositions; d->type != NULL; d++) {
        if (strcmp(d->type, low) == 0) {
            return d->condition;
        }
    }

    return NULL;
}
