
/*
 * How a Square order reaches its buyer, as the canonical order's
 * channel-neutral "fulfilment" {mode, location_id} (docs/events.md),
 * from its fulfillments[]: a PICKUP one is "pickup" at the order's
 * location, a SHIPMENT (or DELIVERY) one "ship"; an order without a
 * fulfilment still to happen was sold at the counter of its location
 * (the point of sale hands the goods over): "none".  A line of a gift
 * card (item_type GIFT_CARD) requires no shipping.  docs/channels/
 * square.md says which of these details are unconfirmed [U].
 */


#include <stdio.h>
#include <string.h>

#include "invsync_square.h"


/* e's "fulfilment" from the order s: 0, or -1 with s->err */

int
invsync_square_fulfilment(const invsync_canon_src_t *s, json_t *e)
{
    size_t               i, n;
    const char          *mode, *type, *state;
    invsync_canon_src_t  f;

    n = 0;

    if (invsync_canon_array(s, "fulfillments", &n) != 0) {
        return -1;
    }

    mode = "none";

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "fulfillments", i, &f) != 0
            || invsync_canon_str(&f, "type", 0, &type) < 0
            || invsync_canon_str(&f, "state", 0, &state) < 0)
        {
            return -1;
        }

        /* a cancelled or failed fulfilment delivers nothing */
        if (state != NULL && (strcmp(state, "CANCELED") == 0
                              || strcmp(state, "FAILED") == 0))
        {
            continue;
        }

        mode = type != NULL && strcmp(type, "PICKUP") == 0 ? "pickup"
                                                            : "ship";
        break;
    }

    return invsync_canon_set(s, e, "fulfilment",
               json_pack("{s:s, s:o}", "mode", mode, "location_id",
                         strcmp(mode, "ship") == 0
                         ? json_null()
                         : invsync_canon_id(s, "location_id", 0)));
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
