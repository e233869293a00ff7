
/*
 * The routing decision (docs/routing.md): the first rule whose filter
 * matches the order decides; the hard constraints (active, channel,
 * require/exclude, capabilities, stock unless backorder) keep or reject
 * each location per line; the rule's strategy ranks what is left
 * (invsync_route_assign.c).  All or nothing: an order with a line no
 * location can take is unroutable, with the reason per line, and
 * allocates nothing.  Nothing here reads a clock, Redis or a file, and a
 * decision allocates one block, its allocation and its trace's text.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_route_int.h"


static const invsync_route_rule_t *invsync_route_match(
    const invsync_routing_conf_t *rc, const invsync_route_order_t *o);
static int invsync_route_when(const invsync_route_rule_t *r,
    const invsync_route_order_t *o);
static int invsync_route_strv_case(const invsync_strv_t *v, const char *s);
static int invsync_route_postal(const invsync_strv_t *v, const char *code);
static int invsync_route_check(const invsync_route_order_t *o, char *err,
    size_t len);
static invsync_route_ws_t *invsync_route_ws_new(
    const invsync_routing_conf_t *rc, const invsync_route_order_t *o);
static void invsync_route_filter(invsync_route_ws_t *ws,
    invsync_route_stock_pt stock, void *ctx);
static int invsync_route_cap_ok(const invsync_routing_conf_t *rc,
    const invsync_location_t *loc, const invsync_route_line_t *line);
static int invsync_route_result(invsync_route_ws_t *ws,
    invsync_route_result_t *res);


int
invsync_route_decide(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *order, invsync_route_stock_pt stock,
    void *ctx, invsync_route_result_t *res, char *err, size_t len)
{
    invsync_route_ws_t  *ws;

    memset(res, 0, sizeof(invsync_route_result_t));

    if (rc == NULL || rc->nrules == 0) {
        snprintf(err, len, "no routing configuration");
        return -1;
    }

    if (invsync_route_check(order, err, len) != 0) {
        return -1;
    }

    if (order->mode != INVSYNC_ROUTE_SHIP) {
        return invsync_route_sale(rc, order, stock, ctx, res, err, len);
    }

    ws = invsync_route_ws_new(rc, order);
    if (ws == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    ws->rule = invsync_route_match(rc, order);
    res->rule = ws->rule;

    invsync_route_filter(ws, stock, ctx);
    invsync_route_geo(ws);
    invsync_route_rank(ws);
    invsync_route_assign(ws);
    invsync_route_settle(ws, stock, ctx);

    if (invsync_route_result(ws, res) != 0) {
        free(ws);
        invsync_route_result_free(res);
        snprintf(err, len, "out of memory");
        return -1;
    }

    free(ws);

    return 0;
}


void
invsync_route_result_free(invsync_route_result_t *res)
{
    free(res->allocs);
    free(res->trace_json);
    res->allocs = NULL;
    res->trace_json = NULL;
    res->trace_len = 0;
    res->nallocs = 0;
}


/* the reader makes the last rule match every order */

static const invsync_route_rule_t *
invsync_route_match(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *o)
{
    size_t  i;

    for (i = 0; i + 1 < rc->nrules; i++) {
        if (invsync_route_when(&rc->rules[i], o)) {
            return &rc->rules[i];
        }
    }

    return &rc->rules[rc->nrules - 1];
}


/* every filter given must match; a filter on what the order lacks fails */

static int
invsync_route_when(const invsync_route_rule_t *r,
    const invsync_route_order_t *o)
{
    size_t  i, j;
    int     hit;

    if ((r->channels.n && !invsync_strv_has(&r->channels, o->channel))
        || (r->countries.n && !invsync_route_strv_case(&r->countries,
                                                       o->country))
        || (r->regions.n && !invsync_route_strv_case(&r->regions, o->region))
        || (r->postal_prefixes.n
            && !invsync_route_postal(&r->postal_prefixes, o->postal_code))
        || (r->shipping_methods.n
            && !invsync_route_strv_case(&r->shipping_methods,
                                        o->shipping_method))
        || ((r->has_min_value || r->has_max_value) && !o->has_value)
        || (r->has_min_value && o->value_minor < r->min_value_minor)
        || (r->has_max_value && o->value_minor > r->max_value_minor))
    {
        return 0;
    }

    if (r->skus.n) {
        for (hit = 0, i = 0; !hit && i < o->nlines; i++) {
            hit = invsync_strv_has(&r->skus, o->lines[i].sku);
        }

        if (!hit) {
            return 0;
        }
    }

    if (r->sku_tags.n) {
        for (hit = 0, i = 0; !hit && i < o->nlines; i++) {
            for (j = 0; !hit && j < o->lines[i].tags.n; j++) {
                hit = invsync_strv_has(&r->sku_tags, o->lines[i].tags.v[j]);
            }
        }

        if (!hit) {
            return 0;
        }
    }

    return 1;
}


static int
invsync_route_strv_case(const invsync_strv_t *v, const char *s)
{
    size_t  i;

    for (i = 0; s != NULL && i < v->n; i++) {
        if (strcasecmp(v->v[i], s) == 0) {
            return 1;
        }
    }

    return 0;
}


/* prefixes are stored in capitals without blanks; so is the code here */

static int
invsync_route_postal(const invsync_strv_t *v, const char *code)
{
    char    norm[32];
    size_t  i;

    if (code == NULL) {
        return 0;
    }

    invsync_route_postal_norm(code, norm);

    for (i = 0; i < v->n; i++) {
        if (strncmp(norm, v->v[i], strlen(v->v[i])) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
invsync_route_check(const invsync_route_order_t *o, char *err, size_t len)
{
    size_t  i;

    if (o->channel == NULL || o->nlines == 0
        || o->nlines > INVSYNC_ROUTE_MAX_LINES)
    {
        snprintf(err, len, "an order to route needs a channel and 1 to %d "
                 "lines", INVSYNC_ROUTE_MAX_LINES);
        return -1;
    }

    for (i = 0; i < o->nlines; i++) {
        if (o->lines[i].sku == NULL || o->lines[i].line_id == NULL
            || o->lines[i].qty <= 0)
        {
            snprintf(err, len, "line %zu: a line to route needs an id, a "
                     "SKU and a positive quantity", i);
            return -1;
        }
    }

    return 0;
}


static invsync_route_ws_t *
invsync_route_ws_new(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *o)
{
    char                *p;
    size_t               nl, nc, size;
    invsync_route_ws_t  *ws;

    nl = o->nlines;
    nc = rc->nlocations;

    /* the 8-byte arrays first: every member stays aligned */
    size = sizeof(invsync_route_ws_t) + nl * nc * sizeof(int64_t)
           + nl * sizeof(int64_t) + nc * sizeof(invsync_route_cand_t)
           + nc * sizeof(invsync_route_key_t) + 2 * nc * sizeof(size_t)
           + 2 * nl * sizeof(int) + nl * nc;

    ws = calloc(1, size);
    if (ws == NULL) {
        return NULL;
    }

    p = (char *) (ws + 1);
    ws->stock = (int64_t *) p;
    p += nl * nc * sizeof(int64_t);
    ws->need = (int64_t *) p;
    p += nl * sizeof(int64_t);
    ws->c = (invsync_route_cand_t *) p;
    p += nc * sizeof(invsync_route_cand_t);
    ws->key = (invsync_route_key_t *) p;
    p += nc * sizeof(invsync_route_key_t);
    ws->rank = (size_t *) p;
    p += nc * sizeof(size_t);
    ws->sorted = (size_t *) p;
    p += nc * sizeof(size_t);
    ws->pick = (int *) p;
    p += nl * sizeof(int);
    ws->reason = (int *) p;
    p += nl * sizeof(int);
    ws->why = (unsigned char *) p;

    ws->rc = rc;
    ws->order = o;
    ws->nl = nl;
    ws->nc = nc;

    return ws;
}


/*
 * Each location once (active, channel, require/exclude), then each line
 * at each location (capability, stock).  Lines of one SKU are taken
 * together: each needs the SKU's total to be allocated there.
 */

static void
invsync_route_filter(invsync_route_ws_t *ws, invsync_route_stock_pt stock,
    void *ctx)
{
    size_t                       l, l2, i, at;
    invsync_route_cand_t        *c;
    const invsync_location_t    *loc;
    const invsync_route_rule_t  *r;
    const invsync_route_line_t  *lines;

    r = ws->rule;
    lines = ws->order->lines;

    for (l = 0; l < ws->nl; l++) {
        for (l2 = 0; l2 < ws->nl; l2++) {
            if (strcmp(lines[l].sku, lines[l2].sku) == 0) {
                ws->need[l] += lines[l2].qty;
            }
        }
    }

    for (i = 0; i < ws->nc; i++) {
        c = &ws->c[i];
        loc = &ws->rc->locations[i];
        c->loc = loc;
        c->index = i;

        if (!loc->active) {
            c->reason = INVSYNC_RS_INACTIVE;

        } else if (loc->channels.n
                   && !invsync_strv_has(&loc->channels, ws->order->channel))
        {
            c->reason = INVSYNC_RS_CHANNEL;

        } else if ((r->require.n && !invsync_strv_has(&r->require, loc->id))
                   || invsync_strv_has(&r->exclude, loc->id))
        {
            c->reason = INVSYNC_RS_EXCLUDED;
        }

        c->preferred = invsync_strv_has(&r->prefer, loc->id);

        if (c->reason == INVSYNC_RS_OK) {
            c->late = invsync_route_late(loc, ws->order->now_ms);
        }

        for (l = 0; l < ws->nl; l++) {
            at = INVSYNC_WS_AT(ws, l, i);
            ws->stock[at] = stock(ctx, lines[l].sku, loc->id);
            c->total += ws->stock[at] > 0 ? ws->stock[at] : 0;

            if (c->reason != INVSYNC_RS_OK) {
                ws->why[at] = (unsigned char) c->reason;

            } else if (!invsync_route_cap_ok(ws->rc, loc, &lines[l])) {
                ws->why[at] = INVSYNC_RS_CAPABILITY;

            } else if (ws->stock[at] < ws->need[l] && !r->backorder) {
                ws->why[at] = INVSYNC_RS_NO_STOCK;
            }
        }
    }
}


/* a line's tag that some location declares as a capability is needed */

static int
invsync_route_cap_ok(const invsync_routing_conf_t *rc,
    const invsync_location_t *loc, const invsync_route_line_t *line)
{
    size_t  i;

    for (i = 0; i < line->tags.n; i++) {
        if (invsync_strv_has(&rc->capabilities, line->tags.v[i])
            && !invsync_strv_has(&loc->capabilities, line->tags.v[i]))
        {
            return 0;
        }
    }

    return 1;
}


static int
invsync_route_result(invsync_route_ws_t *ws, invsync_route_result_t *res)
{
    int      seen[INVSYNC_ROUTE_MAX_LINES];
    size_t   l, k, at;

    res->rc = INVSYNC_ROUTE_ROUTED;

    for (l = 0; l < ws->nl; l++) {
        if (ws->pick[l] < 0) {
            res->rc = INVSYNC_ROUTE_UNROUTABLE;
        }
    }

    if (res->rc == INVSYNC_ROUTE_ROUTED) {
        res->allocs = calloc(ws->nl, sizeof(invsync_route_alloc_t));
        if (res->allocs == NULL) {
            return -1;
        }

        for (l = 0; l < ws->nl; l++) {
            at = INVSYNC_WS_AT(ws, l, (size_t) ws->pick[l]);
            res->allocs[l].line = l;
            res->allocs[l].location = ws->c[ws->pick[l]].loc->id;
            res->allocs[l].qty = ws->order->lines[l].qty;

            if (ws->stock[at] < ws->need[l]) {
                res->rc = INVSYNC_ROUTE_BACKORDERED;
            }

            for (k = 0; k < res->nshipments; k++) {
                if (seen[k] == ws->pick[l]) {
                    break;
                }
            }

            if (k == res->nshipments) {
                seen[res->nshipments++] = ws->pick[l];
            }
        }

        res->nallocs = ws->nl;
    }

    return invsync_route_trace(ws, res);
}
