
/*
 * How a Square order reaches its buyer, as the canonical order's
 * channel-neutral "fulfilment" {mode, location_id} (docs/events.md),
 * from its fulfillments[]: a PICKUP one is "pickup" at the order's
 * location, a SHIPMENT (or DELIVERY) one "ship"; an order without a
 * fulfilment still to happen was sold at the counter of its location
 * (the point of sale hands the goods over): "none".  The same fulfilment
 * says who receives it (its details' recipient: the customer, and for a
 * shipment the shipping_address a label is bought for and routing's
 * destination filters read) and the shipping the buyer chose.  A line of
 * a gift card (item_type GIFT_CARD) requires no shipping.  Where a sale
 * made at a Square location is placed: options.ledger_locations.
 * docs/channels/square.md says which of these details are unconfirmed
 * [U].
 */


#include <stdio.h>
#include <string.h>

#include "invsync_square.h"


static int invsync_square_live(const invsync_canon_src_t *s,
    invsync_canon_src_t *f);
static int invsync_square_recipient(const invsync_canon_src_t *f,
    const char *type, json_t *e, int ship);
static json_t *invsync_square_address(const invsync_canon_src_t *r);


/*
 * The first fulfilment not CANCELED or FAILED (a cancelled or failed one
 * delivers nothing) as *f: 1, 0 when there is none (f->obj NULL), or -1
 * with s->err
 */

static int
invsync_square_live(const invsync_canon_src_t *s, invsync_canon_src_t *f)
{
    size_t       i, n;
    const char  *state;

    n = 0;
    *f = *s;                    /* none: every member missing */
    f->obj = NULL;

    if (invsync_canon_array(s, "fulfillments", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "fulfillments", i, f) != 0
            || invsync_canon_str(f, "state", 0, &state) < 0)
        {
            return -1;
        }

        if (state == NULL || (strcmp(state, "CANCELED") != 0
                              && strcmp(state, "FAILED") != 0))
        {
            return 1;
        }
    }

    *f = *s;
    f->obj = NULL;

    return 0;
}


/* e's "fulfilment", "customer", "shipping_address" and "shipping_method"
 * from the order s: 0, or -1 with s->err */

int
invsync_square_fulfilment(const invsync_canon_src_t *s, json_t *e)
{
    int                  live;
    const char          *mode, *type;
    invsync_canon_src_t  f;

    live = invsync_square_live(s, &f);
    type = NULL;

    if (live < 0 || (live && invsync_canon_str(&f, "type", 0, &type) < 0)) {
        return -1;
    }

    mode = !live ? "none"
           : type != NULL && strcmp(type, "PICKUP") == 0 ? "pickup" : "ship";

    if (invsync_canon_set(s, e, "fulfilment",
            json_pack("{s:s, s:o}", "mode", mode, "location_id",
                      strcmp(mode, "ship") == 0
                      ? json_null()
                      : invsync_canon_id(s, "location_id", 0))))
    {
        return -1;
    }

    return invsync_square_recipient(&f, type, e, strcmp(mode, "ship") == 0);
}


/*
 * The live fulfilment's details (pickup_details, delivery_details, else
 * shipment_details, by its type): the recipient's display_name,
 * email_address and phone_number as the customer; for a shipment its
 * address as the shipping_address; shipping_type as the shipping_method
 * (a shipment's only).  Without a fulfilment all of them are null.
 */

static int
invsync_square_recipient(const invsync_canon_src_t *f, const char *type,
    json_t *e, int ship)
{
    json_t               *c, *name;
    const char           *key;
    invsync_canon_src_t   d, r;

    key = type == NULL ? "shipment_details"
          : strcmp(type, "PICKUP") == 0 ? "pickup_details"
          : strcmp(type, "DELIVERY") == 0 ? "delivery_details"
          : "shipment_details";

    if (invsync_canon_object(f, key, &d) != 0
        || invsync_canon_object(&d, "recipient", &r) != 0)
    {
        return -1;
    }

    c = json_object();
    if (invsync_canon_set(f, e, "customer", c) != 0) {
        return -1;
    }

    name = invsync_canon_string(&r, "display_name", 0);

    if (invsync_canon_set(&r, c, "email",
                          invsync_canon_string(&r, "email_address", 0))
        || invsync_canon_set(&r, c, "name", json_incref(name))
        || invsync_canon_set(&r, c, "phone",
                             invsync_canon_string(&r, "phone_number", 0)))
    {
        json_decref(name);
        return -1;
    }

    json_decref(name);

    return invsync_canon_set(f, e, "shipping_address",
                             ship ? invsync_square_address(&r) : json_null())
           || invsync_canon_set(f, e, "shipping_method",
                                ship && strcmp(key, "shipment_details") == 0
                                ? invsync_canon_string(&d, "shipping_type", 0)
                                : json_null()) ? -1 : 0;
}


/*
 * A recipient as the canonical address (docs/events.md): display_name
 * (else its address's first_name and last_name), the Address's
 * address_line_1, address_line_2, locality, administrative_district_level_1,
 * postal_code and country (ISO 3166-1 alpha-2), phone_number; json null
 * when every member is empty.
 */

static json_t *
invsync_square_address(const invsync_canon_src_t *r)
{
    size_t               i;
    json_t              *addr, *v;
    const char          *k;
    invsync_canon_src_t  a;

    static const char  *names[][2] = {
        { "address1",     "address_line_1" },
        { "address2",     "address_line_2" },
        { "city",         "locality" },
        { "province",     "administrative_district_level_1" },
        { "zip",          "postal_code" },
        { "country_code", "country" }
    };

    if (invsync_canon_object(r, "address", &a) != 0) {
        return NULL;
    }

    v = invsync_canon_string(r, "display_name", 0);

    if (json_is_null(v)) {
        json_decref(v);
        v = invsync_canon_name(&a, "first_name", "last_name");
    }

    addr = json_object();

    if (invsync_canon_set(r, addr, "name", v) != 0) {
        json_decref(addr);
        return NULL;
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (invsync_canon_set(&a, addr, names[i][0],
                              invsync_canon_string(&a, names[i][1], 0)))
        {
            json_decref(addr);
            return NULL;
        }
    }

    if (invsync_canon_set(r, addr, "phone",
                          invsync_canon_string(r, "phone_number", 0)))
    {
        json_decref(addr);
        return NULL;
    }

    json_object_foreach(addr, k, v) {
        if (!json_is_null(v)) {
            return addr;
        }
    }

    json_decref(addr);

    return json_null();
}


/* a line's requires_shipping: false for a gift card [U] */

json_t *
invsync_square_requires_shipping(const invsync_canon_src_t *line)
{
    const char  *type;

    if (invsync_canon_str(line, "item_type", 0, &type) < 0) {
        return NULL;
    }

    return json_boolean(type == NULL || strcmp(type, "GIFT_CARD") != 0);
}


/* a Square object id as options name locations: [A-Za-z0-9_-], 1..64 */

int
invsync_square_location_id(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= 64
           && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_-") == strlen(s);
}


/*
 * The ledger location options.ledger_locations gives the Square location
 * location_id (the order's location_id: where it was sold or is picked
 * up); NULL when the map does not name it.  *mapped: whether there is a
 * map (without one the engine takes the channel's stock location; with
 * one a location it does not name is unknown, not the stock location:
 * that would take stock at another store).  One Square account with
 * several stores is one channel: each store's sales take stock at its
 * own place.
 */

const char *
invsync_square_sale_location(const invsync_channel_conf_t *cc,
    const char *location_id, int *mapped)
{
    json_t  *map;

    map = json_object_get(cc->options, "ledger_locations");
    *mapped = json_is_object(map) && json_object_size(map) > 0;

    return json_string_value(json_object_get(map, location_id));
}
