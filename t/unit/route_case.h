
/*
 * What the routing cases of t/routing (test_routing.c) and the routing
 * fuzz target (t/fuzz/fuzz_routing.c) read alike from a case's JSON: a
 * bundle line's "components" as the line's uses, and "stock" as the
 * decision's stock callback, a bundle's in whole bundles, as the worker's
 * invsync_route_free_at() gives it.
 */


#ifndef T_ROUTE_CASE_H
#define T_ROUTE_CASE_H


#include <stdlib.h>

#include "invsync_canon.h"
#include "route/invsync_route.h"


/* a bundle's line (in "components") takes its components, as the
 * worker's does; malloc'd, the caller frees line->uses */

static void
t_uses(json_t *doc, invsync_route_line_t *line)
{
    size_t                n;
    json_t               *comps, *q;
    const char           *c;
    invsync_route_use_t  *u;

    comps = json_object_get(json_object_get(doc, "components"), line->sku);
    line->uses = NULL;
    line->nuses = 0;

    if (json_object_size(comps) == 0) {
        return;
    }

    u = calloc(json_object_size(comps), sizeof(invsync_route_use_t));
    n = 0;

    json_object_foreach(comps, c, q) {
        if (u != NULL) {
            u[n].sku = c;
            u[n++].qty = json_integer_value(q);
        }
    }

    line->uses = u;
    line->nuses = n;
}


/* the case's "stock" (ctx: the case's document); a bundle: the fewest
 * whole bundles its components allow */

static int64_t
t_stock(void *ctx, const char *sku, const char *location)
{
    int64_t      n, best;
    json_t      *stock, *comps, *q;
    const char  *c;

    stock = json_object_get(ctx, "stock");
    comps = json_object_get(json_object_get(ctx, "components"), sku);

    if (!json_is_object(comps)) {
        return json_integer_value(json_object_get(json_object_get(stock,
                                                                  sku),
                                                  location));
    }

    best = -1;

    json_object_foreach(comps, c, q) {
        n = json_integer_value(json_object_get(json_object_get(stock, c),
                                               location));
        n = n > 0 && json_integer_value(q) > 0 ? n / json_integer_value(q)
                                               : 0;
        best = best < 0 || n < best ? n : best;
    }

    return best < 0 ? 0 : best;
}


#endif /* T_ROUTE_CASE_H */
