
/*
 * How a WooCommerce order reaches its buyer, as the canonical order's
 * channel-neutral "fulfilment" {mode, location_id} (docs/events.md):
 * "pickup" when its shipping method is local pickup, else "ship".  A
 * WooCommerce order names no pickup location: location_id is null (the
 * channel's own location then, docs/routing.md).  Its lines do not say
 * whether they need shipping (a virtual product's line looks like any
 * other), so they carry no requires_shipping: shipped.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_woocommerce.h"


/* e's "fulfilment" from the order s: 0, or -1 with s->err */

int
invsync_woo_fulfilment(const invsync_canon_src_t *s, json_t *e)
{
    size_t               i, n;
    const char          *mode, *method;
    invsync_canon_src_t  line;

    n = 0;

    if (invsync_canon_array(s, "shipping_lines", &n) != 0) {
        return -1;
    }

    mode = "ship";

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "shipping_lines", i, &line) != 0
            || invsync_canon_str(&line, "method_id", 0, &method) < 0)
        {
            return -1;
        }

        /* WooCommerce's own methods: "local_pickup" (the shipping zone
         * method) and "pickup_location" (the checkout block's) [U] */
        if (method != NULL && (strcmp(method, "local_pickup") == 0
                               || strcmp(method, "pickup_location") == 0))
        {
            mode = "pickup";
            break;
        }
    }

    return invsync_canon_set(s, e, "fulfilment",
                             json_pack("{s:s, s:n}", "mode", mode,
                                       "location_id"));
}
