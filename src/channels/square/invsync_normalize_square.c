
/*
 * Square (docs/channels/square.md): the orders polled by SearchOrders
 * (topic "order.polled", the body an Order) and inventory.count.updated
 * webhooks as canonical events.  Square's order.created and
 * order.updated webhooks carry no lines, only the order's id, state and
 * version: they are ignored with that reason, and the order comes from
 * the poll (channels[].poll_s).  refund.created and refund.updated give
 * refunds (invsync_normalize_square_refund.c).  Every other topic is
 * ignored.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_square.h"


static invsync_norm_rc_e invsync_square_normalize(
    const invsync_envelope_t *ev, json_t **out, char *err, size_t len);
static json_t *invsync_square_order(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
static int invsync_square_line(const invsync_canon_src_t *line, json_t *l,
    void *ctx);
static int invsync_square_lines(const invsync_canon_src_t *s, json_t *e,
    const char *currency);
static json_t *invsync_square_count(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
static int invsync_square_level(const invsync_canon_src_t *c, json_t *l,
    void *ctx);


const invsync_normalizer_t  invsync_normalizer_square = {
    "square",
    invsync_square_normalize
};


static invsync_norm_rc_e
invsync_square_normalize(const invsync_envelope_t *ev, json_t **out,
    char *err, size_t len)
{
    int                   refund;
    char                  q[64];
    json_t               *root, *e;
    invsync_norm_rc_e     rc;
    invsync_canon_src_t   s, data, obj;
    const char           *topic;

    *out = NULL;
    topic = ev->topic != NULL ? ev->topic : "";

    if (strcmp(topic, "order.created") == 0
        || strcmp(topic, "order.updated") == 0)
    {
        snprintf(err, len, "a Square order notice carries no lines: the "
                 "order comes by polling (poll_s)");
        return INVSYNC_NORM_IGNORE;
    }

    refund = strcmp(topic, "refund.created") == 0
             || strcmp(topic, "refund.updated") == 0;

    if (strcmp(topic, "order.polled") != 0 && !refund
        && strcmp(topic, "inventory.count.updated") != 0)
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

    if (strcmp(topic, "order.polled") == 0) {
        e = invsync_square_order(ev, &s);

    } else if (invsync_canon_object(&s, "data", &data) != 0
               || invsync_canon_object(&data, "object", &obj) != 0)
    {
        e = NULL;

    } else if (refund) {
        e = invsync_square_refund(ev, &obj);

    } else {
        e = invsync_square_count(ev, &obj);
    }

    json_decref(root);

    if (e == NULL) {
        return INVSYNC_NORM_POISON;
    }

    *out = e;

    return INVSYNC_NORM_OK;
}


/*
 * An Order (the Orders API's object): its state OPEN, COMPLETED (every
 * fulfillment done: shipped or picked up) or CANCELED; money in minor
 * units already ({"amount": 1050, "currency": "USD"}).
 */

static json_t *
invsync_square_order(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    int                   rc;
    json_t               *e;
    int64_t               total;
    const char           *state, *status, *currency;
    invsync_canon_src_t   money;

    if (invsync_canon_str(s, "state", INVSYNC_CANON_REQUIRED, &state) < 0
        || invsync_canon_object(s, "total_money", &money) != 0
        || invsync_canon_currency(&money, "currency", INVSYNC_CANON_REQUIRED,
                                  &currency) < 0)
    {
        return NULL;
    }

    status = strcmp(state, "CANCELED") == 0 ? "cancelled"
             : strcmp(state, "COMPLETED") == 0 ? "completed" : "open";

    e = invsync_canon_new(ev, strcmp(status, "cancelled") == 0
                              ? "order_cancelled" : "order",
                          s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    total = 0;
    rc = invsync_canon_int(&money, "amount", 0, &total);

    if (invsync_canon_set(s, e, "order_id",
                          invsync_canon_id(s, "id", INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "order_number",
                             invsync_canon_string(s, "reference_id", 0))
        || invsync_canon_time(s, "created_at", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_time(s, "updated_at", INVSYNC_CANON_REQUIRED, e,
                              "updated_at", "updated_ms")
        || invsync_canon_set(s, e, "status", json_string(status))
        || invsync_canon_set(s, e, "shipped",
                             json_boolean(strcmp(state, "COMPLETED") == 0))
        || invsync_canon_set(s, e, "channel_status", json_string(state))
        || invsync_canon_set(s, e, "currency", json_string(currency))
        || invsync_canon_set(s, e, "total_minor",
                             invsync_canon_number(rc, total))
        || invsync_square_fulfilment(s, e)
        || invsync_square_lines(s, e, currency) != 0
        || invsync_square_payments(s, e) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/* line_items[]: uid, catalog_object_id (the variation), quantity (a
 * decimal string), name and variation_name, base_price_money */

static int
invsync_square_lines(const invsync_canon_src_t *s, json_t *e,
    const char *currency)
{
    return invsync_canon_each(s, "line_items", e, "lines", invsync_square_line,
                              (void *) currency);
}


static int
invsync_square_line(const invsync_canon_src_t *line, json_t *l, void *ctx)
{
    int                   qrc, prc;
    json_t               *refs;
    int64_t               quantity, price;
    invsync_canon_src_t   money;

    if (invsync_canon_object(line, "base_price_money", &money) != 0) {
        return -1;
    }

    money.currency = ctx;
    quantity = 0;
    qrc = invsync_canon_int(line, "quantity", INVSYNC_CANON_REQUIRED,
                            &quantity);
    price = 0;
    prc = qrc < 0 ? -1 : invsync_canon_int(&money, "amount", 0, &price);

    if (invsync_canon_set(line, l, "channel_line_id",
                          invsync_canon_id(line, "uid",
                                           INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(line, l, "sku", json_null())
        || invsync_canon_set(line, l, "product_id", json_null())
        || invsync_canon_set(line, l, "variant_id",
                             invsync_canon_id(line, "catalog_object_id", 0))
        || invsync_canon_set(line, l, "title",
                             invsync_canon_string(line, "name", 0))
        || invsync_canon_set(line, l, "quantity",
                             invsync_canon_number(qrc, quantity))
        || invsync_canon_set(line, l, "price_minor",
                             invsync_canon_number(prc, price))
        || invsync_canon_set(line, l, "requires_shipping",
                             invsync_square_requires_shipping(line)))
    {
        return -1;
    }

    /* the ledger matches a line by its variation (docs/events.md):
     * Square's lines carry no SKU text */
    refs = json_array();

    return invsync_canon_set(line, l, "refs", refs)
           || invsync_canon_ref(line, refs, "item",
                                json_object_get(l, "variant_id")) ? -1 : 0;
}


/*
 * inventory.count.updated: data.object.inventory_counts[], each a
 * variation's count in one state at one location (channels.md §5.6).
 * One canonical level per count, in the body's order: the event's own
 * level members are the first count's (a notice of one count is the
 * event it always was), and a notice of several (a batch change, a sale
 * that moved units from IN_STOCK to SOLD, a count of several stores)
 * lists every one in "levels", which inventory.observe judges one by one
 * (docs/events.md).  Only IN_STOCK is what Square sells from: a count in
 * any other state is stock_state "other", its available null.
 */

static json_t *
invsync_square_count(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    int      rc;
    size_t   n;
    json_t  *e, *first;

    if (invsync_canon_array(s, "inventory_counts", &n) != 0) {
        return NULL;
    }

    if (n == 0) {
        invsync_canon_fail(s, "inventory_counts", "no count");
        return NULL;
    }

    e = invsync_canon_new(ev, "inventory_level", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    if (invsync_canon_each(s, "inventory_counts", e, "levels",
                           invsync_square_level, NULL) != 0)
    {
        json_decref(e);
        return NULL;
    }

    first = json_deep_copy(json_array_get(json_object_get(e, "levels"), 0));
    rc = first != NULL ? json_object_update(e, first) : -1;
    json_decref(first);

    if (rc != 0) {
        invsync_canon_fail(s, NULL, "out of memory");
        json_decref(e);
        return NULL;
    }

    if (n == 1) {
        json_object_del(e, "levels");
    }

    return e;
}


/* one count as a canonical level's members */

static int
invsync_square_level(const invsync_canon_src_t *c, json_t *l, void *ctx)
{
    int          in_stock;
    json_t      *refs;
    int64_t      q;
    const char  *variation, *state;

    (void) ctx;

    if (invsync_canon_str(c, "catalog_object_id", INVSYNC_CANON_REQUIRED,
                          &variation) < 0
        || invsync_canon_str(c, "state", 0, &state) < 0)
    {
        return -1;
    }

    /* a count that names no state is not taken for the one on sale */
    in_stock = state != NULL && strcmp(state, "IN_STOCK") == 0;

    if (invsync_canon_set(c, l, "catalog_object_id", json_string(variation))
        || invsync_canon_set(c, l, "location_id",
                             invsync_canon_id(c, "location_id",
                                              INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(c, l, "stock_state",
                             json_string(in_stock ? "available" : "other"))
        || invsync_canon_set(c, l, "channel_state",
                             state != NULL ? json_string(state)
                                           : json_null())
        || invsync_canon_set(c, l, "available",
                             in_stock && invsync_square_quantity(
                                 json_object_get((json_t *) c->obj,
                                                 "quantity"), &q)
                             ? json_integer(q) : json_null())
        || invsync_canon_time(c, "calculated_at", INVSYNC_CANON_REQUIRED, l,
                              "updated_at", "updated_ms"))
    {
        return -1;
    }

    /* the ledger matches a level by its variation */
    refs = json_array();

    return invsync_canon_set(c, l, "refs", refs)
           || invsync_canon_ref(c, refs, "item",
                                json_object_get(l, "catalog_object_id"))
           ? -1 : 0;
}
