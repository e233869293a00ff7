
/*
 * How a Shopify order reaches its buyer, as the canonical order's
 * channel-neutral "fulfilment" {mode, location_id} (docs/events.md):
 * "pickup" when the buyer collects it (local pickup), "none" when it was
 * sold at a point of sale and handed over there, else "ship"; and each
 * line's requires_shipping.  Which members say so is marked in
 * docs/events.md (Shopify's orders): some are unconfirmed [U].  And the
 * ledger location of a sale at a Shopify location, by options.locations.
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "invsync_shopify.h"


static int invsync_shopify_pickup_line(const invsync_canon_src_t *line);


/* e's "fulfilment" from the order s: 0, or -1 with s->err */

int
invsync_shopify_fulfilment(const invsync_canon_src_t *s, json_t *e)
{
    size_t               i, n;
    const char          *mode, *source;
    invsync_canon_src_t  line;

    n = 0;

    if (invsync_canon_array(s, "shipping_lines", &n) != 0
        || invsync_canon_str(s, "source_name", 0, &source) < 0)
    {
        return -1;
    }

    mode = "ship";

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "shipping_lines", i, &line) != 0) {
            return -1;
        }

        if (invsync_shopify_pickup_line(&line)) {
            mode = "pickup";
            break;
        }
    }

    /*
     * a point-of-sale order with no shipping line: handed over there.
     * Its shipping_address does not say otherwise [U]: POS attaches the
     * customer's address to a carry-out sale, while a POS "ship to
     * customer" sale has the shipping rate the staff chose as a
     * shipping line (docs/events.md, Shopify's orders)
     */
    if (strcmp(mode, "ship") == 0 && n == 0
        && source != NULL && strcasecmp(source, "pos") == 0)
    {
        mode = "none";
    }

    return invsync_canon_set(s, e, "fulfilment",
               json_pack("{s:s, s:o}", "mode", mode, "location_id",
                         strcmp(mode, "ship") == 0
                         ? json_null()
                         : invsync_canon_id(s, "location_id",
                                            INVSYNC_CANON_ZERO_NULL)));
}


/* a shipping line of local pickup [U]: delivery_category "pickup" (or
 * "local_pickup"), else the code "Pickup" Shopify gives the method */

static int
invsync_shopify_pickup_line(const invsync_canon_src_t *line)
{
    const char  *cat, *code;

    if (invsync_canon_str(line, "delivery_category", 0, &cat) < 0) {
        cat = NULL;
    }

    if (invsync_canon_str(line, "code", 0, &code) < 0) {
        code = NULL;
    }

    return (cat != NULL && (strcasecmp(cat, "pickup") == 0
                            || strcasecmp(cat, "local_pickup") == 0))
           || (code != NULL && (strcasecmp(code, "pickup") == 0
                                || strcasecmp(code, "local_pickup") == 0));
}


/* a line's requires_shipping: only an explicit false says no */

json_t *
invsync_shopify_requires_shipping(const invsync_canon_src_t *line)
{
    int  v;

    v = 1;

    if (invsync_canon_bool(line, "requires_shipping", 0, &v) < 0) {
        return NULL;
    }

    return json_boolean(v);
}


/*
 * The ledger location whose options.locations entry (ledger location ->
 * Shopify location, as tracking uses it) names location_id, digits or a
 * gid; NULL when none does.  *mapped: whether options.locations names
 * any location (then one it does not name is unknown: with several
 * stores, the stock location would be the wrong one).
 */

const char *
invsync_shopify_sale_location(const invsync_channel_conf_t *cc,
    const char *location_id, int *mapped)
{
    char         id[32];
    json_t      *v, *map;
    const char  *key, *digits;

    map = json_object_get(cc->options, "locations");
    *mapped = json_is_object(map) && json_object_size(map) > 0;

    digits = strrchr(location_id, '/');
    digits = digits != NULL ? digits + 1 : location_id;

    json_object_foreach(map, key, v) {
        if (invsync_id_digits(v, id, sizeof(id)) && strcmp(id, digits) == 0)
        {
            return key;
        }
    }

    return NULL;
}
