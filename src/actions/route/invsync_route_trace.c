
/*
 * The trace of a decision, audited as order.route and printed by
 * invsyncctl route explain (docs/routing.md, "The trace"): the rule, the
 * order's lines, every location in rank order (the kept ones first, then
 * the rejected in configuration order) with what it saw, the allocation
 * or the reason per unroutable line.
 */


#include <stdlib.h>
#include <string.h>

#include "invsync_route_int.h"


static json_t *invsync_route_trace_rule(const invsync_route_ws_t *ws,
    const invsync_route_result_t *res);
static json_t *invsync_route_trace_lines(const invsync_route_ws_t *ws);
static json_t *invsync_route_trace_loc(const invsync_route_ws_t *ws,
    size_t i);
static json_t *invsync_route_trace_alloc(const invsync_route_ws_t *ws,
    const invsync_route_result_t *res);
static json_t *invsync_route_trace_unroutable(const invsync_route_ws_t *ws);


static const char  *invsync_route_reasons[] = {
    "ok", "inactive", "not_for_channel", "excluded_by_rule",
    "missing_capability", "no_stock", "too_many_shipments"
};

static const char  *invsync_route_strategies[] = {
    "priority", "fewest_shipments", "nearest", "most_stock"
};

static const char  *invsync_route_statuses[] = {
    "routed", "backordered", "unroutable"
};


const char *
invsync_route_reason_name(int reason)
{
    return invsync_route_reasons[reason];
}


json_t *
invsync_route_trace(const invsync_route_ws_t *ws,
    const invsync_route_result_t *res)
{
    size_t   k, i;
    json_t  *t, *considered;

    t = invsync_route_trace_rule(ws, res);
    considered = json_array();

    if (t == NULL || considered == NULL) {
        json_decref(considered);
        json_decref(t);
        return NULL;
    }

    json_object_set_new(t, "lines", invsync_route_trace_lines(ws));

    for (k = 0; k < ws->nkept; k++) {
        json_array_append_new(considered,
                              invsync_route_trace_loc(ws, ws->rank[k]));
    }

    for (i = 0; i < ws->nc; i++) {
        if (ws->c[i].reason != INVSYNC_RS_OK) {
            json_array_append_new(considered, invsync_route_trace_loc(ws, i));
        }
    }

    json_object_set_new(t, "considered", considered);

    if (res->rc == INVSYNC_ROUTE_UNROUTABLE) {
        json_object_set_new(t, "unroutable",
                            invsync_route_trace_unroutable(ws));
    } else {
        json_object_set_new(t, "allocation",
                            invsync_route_trace_alloc(ws, res));
    }

    /* a member that failed to be made leaves the trace incomplete */
    if (json_array_size(considered) != ws->nc
        || json_object_size(t) < 10)
    {
        json_decref(t);
        return NULL;
    }

    return t;
}


static json_t *
invsync_route_trace_rule(const invsync_route_ws_t *ws,
    const invsync_route_result_t *res)
{
    json_t                      *t;
    const invsync_route_rule_t  *r;

    r = ws->rule;

    t = json_pack("{s:s, s:s, s:b, s:s, s:{s:b, s:i}, s:b, s:I}",
                  "status", invsync_route_statuses[res->rc],
                  "rule", r->name, "default", r->implied,
                  "strategy", invsync_route_strategies[r->strategy],
                  "split", "allowed", r->split_allowed,
                  "max", r->max_shipments,
                  "backorder", r->backorder,
                  "shipments", (json_int_t) res->nshipments);

    if (t == NULL) {
        return NULL;
    }

    if (ws->consolidated) {
        json_object_set_new(t, "consolidated", json_true());
    }

    if (r->strategy == INVSYNC_ROUTE_NEAREST) {
        json_object_set_new(t, "destination", ws->has_dest
            ? json_pack("{s:f, s:f, s:s}", "lat", ws->dlat, "lon", ws->dlon,
                        "from", ws->dest_from)
            : json_null());
    }

    return t;
}


static json_t *
invsync_route_trace_lines(const invsync_route_ws_t *ws)
{
    size_t                       l, j;
    json_t                      *a, *e, *needs;
    const invsync_route_line_t  *line;

    a = json_array();

    for (l = 0; a != NULL && l < ws->nl; l++) {
        line = &ws->order->lines[l];
        e = json_pack("{s:s, s:s, s:I}", "line", line->line_id,
                      "sku", line->sku, "qty", (json_int_t) line->qty);

        for (j = 0, needs = NULL; e != NULL && j < line->tags.n; j++) {
            if (invsync_strv_has(&ws->rc->capabilities, line->tags.v[j])) {
                if (needs == NULL) {
                    needs = json_array();
                    json_object_set_new(e, "needs", needs);
                }

                json_array_append_new(needs, json_string(line->tags.v[j]));
            }
        }

        json_array_append_new(a, e);
    }

    return a;
}


static json_t *
invsync_route_trace_loc(const invsync_route_ws_t *ws, size_t i)
{
    size_t                       l, at;
    json_t                      *e, *stock, *cannot;
    const invsync_route_cand_t  *c;

    c = &ws->c[i];
    e = json_pack("{s:s, s:b}", "location", c->loc->id,
                  "kept", c->reason == INVSYNC_RS_OK);

    if (e == NULL) {
        return NULL;
    }

    if (c->reason != INVSYNC_RS_OK) {
        json_object_set_new(e, "reason",
                            json_string(invsync_route_reasons[c->reason]));
        return e;
    }

    if (c->preferred) {
        json_object_set_new(e, "preferred", json_true());
    }

    if (c->loc->cutoff_min >= 0 && ws->order->now_ms > 0) {
        json_object_set_new(e, "cutoff",
                            json_string(c->late ? "passed" : "open"));
    }

    if (c->has_dist) {
        json_object_set_new(e, "distance_km",
                            json_real((double) (int64_t) (c->dist_km * 10
                                                          + 0.5) / 10));
    }

    stock = json_object();
    cannot = NULL;
    json_object_set_new(e, "stock", stock);

    for (l = 0; l < ws->nl; l++) {
        at = INVSYNC_WS_AT(ws, l, i);
        json_object_set_new(stock, ws->order->lines[l].sku,
                            json_integer(ws->stock[at]));

        if (ws->why[at] != INVSYNC_RS_OK) {
            if (cannot == NULL) {
                cannot = json_array();
                json_object_set_new(e, "cannot", cannot);
            }

            json_array_append_new(cannot, json_pack("{s:s, s:s}", "line",
                ws->order->lines[l].line_id,
                "reason", invsync_route_reasons[ws->why[at]]));
        }
    }

    return e;
}


static json_t *
invsync_route_trace_alloc(const invsync_route_ws_t *ws,
    const invsync_route_result_t *res)
{
    size_t                        k, l, at;
    json_t                       *a, *e;
    int64_t                       short_by;
    const invsync_route_alloc_t  *al;

    a = json_array();

    for (k = 0; a != NULL && k < res->nallocs; k++) {
        al = &res->allocs[k];
        l = al->line;
        at = INVSYNC_WS_AT(ws, l, (size_t) ws->pick[l]);

        e = json_pack("{s:s, s:s, s:s, s:I}",
                      "line", ws->order->lines[l].line_id,
                      "sku", ws->order->lines[l].sku,
                      "location", al->location, "qty", (json_int_t) al->qty);

        short_by = ws->need[l] - (ws->stock[at] > 0 ? ws->stock[at] : 0);

        if (e != NULL && short_by > 0) {
            json_object_set_new(e, "backorder",
                json_integer(short_by < al->qty ? short_by : al->qty));
        }

        json_array_append_new(a, e);
    }

    return a;
}


static json_t *
invsync_route_trace_unroutable(const invsync_route_ws_t *ws)
{
    size_t   l;
    json_t  *a;

    a = json_array();

    for (l = 0; a != NULL && l < ws->nl; l++) {
        if (ws->pick[l] < 0) {
            json_array_append_new(a, json_pack("{s:s, s:s, s:s}",
                "line", ws->order->lines[l].line_id,
                "sku", ws->order->lines[l].sku,
                "reason", invsync_route_reasons[ws->reason[l]]));
        }
    }

    return a;
}
