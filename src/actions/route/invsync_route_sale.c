
/*
 * The decision for an order the buyer does not have shipped
 * (docs/routing.md, "Pickup and counter sales"): collected at a location,
 * or sold at its counter.  The channel says where the sale happened, so
 * no rule runs: the location the caller mapped the sale's to (o->at)
 * takes every line, if its stock covers them (lines of one SKU taken
 * together, and lines sharing a ledger SKU, as the rules' decision takes
 * them).  Being paused, serving
 * other channels or lacking a capability does not matter here: the goods
 * are already there, or in the buyer's hands.  A location that is not
 * configured, or lacks the stock, makes the order unroutable with the
 * reason per line (unknown_location, no_stock): it waits as any other
 * (a count at the location routes it again).  Pure, as the rules'
 * decision: the stock comes through the callback.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_int.h"


static int64_t invsync_route_sale_need(const invsync_route_order_t *o,
    size_t line);
static json_t *invsync_route_sale_trace(const invsync_route_order_t *o,
    const invsync_location_t *loc, const int64_t *free_, int routed);


const char *
invsync_route_mode_name(invsync_route_mode_e mode)
{
    return mode == INVSYNC_ROUTE_PICKUP ? "pickup"
           : mode == INVSYNC_ROUTE_COUNTER ? "none" : "ship";
}


int
invsync_route_sale(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *o, invsync_route_stock_pt stock,
    void *ctx, invsync_route_result_t *res, char *err, size_t len)
{
    int                        routed;
    char                      *text;
    size_t                     i;
    json_t                    *trace;
    int64_t                   *free_;
    const invsync_location_t  *loc;

    memset(res, 0, sizeof(invsync_route_result_t));

    loc = o->at != NULL ? invsync_routing_location(rc, o->at) : NULL;
    free_ = calloc(o->nlines, sizeof(int64_t));
    res->allocs = calloc(o->nlines, sizeof(invsync_route_alloc_t));

    if (free_ == NULL || res->allocs == NULL) {
        goto nomem;
    }

    routed = loc != NULL;

    for (i = 0; loc != NULL && i < o->nlines; i++) {
        free_[i] = stock(ctx, o->lines[i].sku, loc->id);
        routed &= free_[i] >= invsync_route_sale_need(o, i);
    }

    /* lines sharing a ledger SKU (a bundle and its own component) take
     * it together */
    routed = routed && invsync_route_fits_at(o, stock, ctx, loc->id);

    if (routed) {
        for (i = 0; i < o->nlines; i++) {
            res->allocs[i].line = i;
            res->allocs[i].location = loc->id;
            res->allocs[i].qty = o->lines[i].qty;
        }

        res->nallocs = o->nlines;
        res->nshipments = 1;
    }

    res->rc = routed ? INVSYNC_ROUTE_ROUTED : INVSYNC_ROUTE_UNROUTABLE;
    trace = invsync_route_sale_trace(o, loc, free_, routed);
    text = trace != NULL ? json_dumps(trace, JSON_COMPACT) : NULL;
    json_decref(trace);

    if (text == NULL) {
        goto nomem;
    }

    res->trace_json = text;
    res->trace_len = strlen(text);
    free(free_);

    return 0;

nomem:

    free(free_);
    invsync_route_result_free(res);
    snprintf(err, len, "out of memory");

    return -1;
}


/* the order's total of line's SKU: its lines are taken together */

static int64_t
invsync_route_sale_need(const invsync_route_order_t *o, size_t line)
{
    size_t   i;
    int64_t  need;

    need = 0;

    for (i = 0; i < o->nlines; i++) {
        if (strcmp(o->lines[i].sku, o->lines[line].sku) == 0) {
            need += o->lines[i].qty;
        }
    }

    return need;
}


/*
 * The trace, in the members of the rules' (docs/routing.md, "The trace")
 * where they mean the same: no rule and no strategy, the mode, the sale's
 * location and the reason in words instead.  Small (one location), so a
 * tree is affordable here.
 */

static json_t *
invsync_route_sale_trace(const invsync_route_order_t *o,
    const invsync_location_t *loc, const int64_t *free_, int routed)
{
    char         why[256];
    size_t       i;
    json_t      *t, *lines, *seen, *cannot, *alloc, *bad, *at;
    const char  *id, *reason;

    id = loc != NULL ? loc->id : (o->at != NULL ? o->at : "?");
    snprintf(why, sizeof(why), o->mode == INVSYNC_ROUTE_PICKUP
                               ? "pickup at %s" : "sold at the counter of %s",
             id);

    /* the channel's map of its locations does not name the sale's */
    if (o->at == NULL && o->sold_at != NULL) {
        snprintf(why, sizeof(why), "%s the channel's location %s, which "
                 "its location map does not name",
                 o->mode == INVSYNC_ROUTE_PICKUP
                 ? "pickup at" : "sold at the counter of", o->sold_at);
    }

    t = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:n, s:i}",
                  "status", routed ? "routed" : "unroutable",
                  "mode", invsync_route_mode_name(o->mode),
                  "location", id, "sold_at", o->sold_at, "reason", why,
                  "rule", "shipments", routed ? 1 : 0);
    lines = json_array();
    seen = json_object();
    cannot = json_array();
    alloc = json_array();
    bad = json_array();

    if (t == NULL || lines == NULL || seen == NULL || cannot == NULL
        || alloc == NULL || bad == NULL)
    {
        goto failed;
    }

    for (i = 0; i < o->nlines; i++) {
        json_array_append_new(lines, json_pack("{s:s, s:s, s:I}",
            "line", o->lines[i].line_id, "sku", o->lines[i].sku,
            "qty", (json_int_t) o->lines[i].qty));

        if (loc == NULL) {
            reason = "unknown_location";

        } else {
            json_object_set_new(seen, o->lines[i].sku,
                                json_integer((json_int_t) free_[i]));
            reason = free_[i] < invsync_route_sale_need(o, i)
                     ? "no_stock" : NULL;
        }

        if (reason != NULL && loc != NULL) {
            json_array_append_new(cannot, json_pack("{s:s, s:s}",
                "line", o->lines[i].line_id, "reason", reason));
        }

        if (routed) {
            json_array_append_new(alloc, json_pack("{s:s, s:s, s:s, s:I}",
                "line", o->lines[i].line_id, "sku", o->lines[i].sku,
                "location", loc->id, "qty", (json_int_t) o->lines[i].qty));

        } else {
            json_array_append_new(bad, json_pack("{s:s, s:s, s:s}",
                "line", o->lines[i].line_id, "sku", o->lines[i].sku,
                "reason", reason != NULL ? reason : "no_stock"));
        }
    }

    /* one location considered: the sale's; none when it is unknown */
    at = loc != NULL
         ? json_pack("{s:s, s:b, s:O}", "location", loc->id, "kept", 1,
                     "stock", seen)
         : NULL;

    if (at != NULL && json_array_size(cannot) > 0) {
        json_object_set(at, "cannot", cannot);
    }

    json_object_set_new(t, "lines", lines);
    json_object_set_new(t, "considered",
                        at != NULL ? json_pack("[o]", at) : json_array());
    json_object_set_new(t, routed ? "allocation" : "unroutable",
                        routed ? alloc : bad);
    json_decref(routed ? bad : alloc);
    json_decref(seen);
    json_decref(cannot);

    return t;

failed:

    json_decref(t);
    json_decref(lines);
    json_decref(seen);
    json_decref(cannot);
    json_decref(alloc);
    json_decref(bad);

    return NULL;
}
