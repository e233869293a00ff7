
/*
 * Lines that take from one ledger SKU (a bundle and one of its own
 * components, two bundles with a component in common): each line's stock
 * check sees its own SKU only, so after the assignment each location's
 * demand per ledger SKU, summed over the lines put there, is checked
 * against what the location has free of it.  A line that does not fit
 * where it was put is barred there (no_stock) and the lines are assigned
 * again, each line moved at most once; when no line can move, the lines
 * that do not fit are unroutable.  So the decision is either feasible or
 * unroutable, never one route.lua's re-check refuses.  A pickup or
 * counter sale's one location is checked the same way.  An order with
 * no such lines (no line with uses, or none sharing) costs one pass over
 * its lines.
 */


#include <string.h>

#include "invsync_route_int.h"


static int invsync_route_shares(const invsync_route_order_t *o,
    unsigned char *shared);
static int invsync_route_common(const invsync_route_line_t *a,
    const invsync_route_line_t *b);
static int64_t invsync_route_per_unit(const invsync_route_line_t *line,
    const char *sku);
static int64_t invsync_route_demand(const invsync_route_order_t *o,
    const unsigned char *shared, const int *pick, int at, const char *sku);
static int invsync_route_overflow(const invsync_route_ws_t *ws,
    const unsigned char *shared, invsync_route_stock_pt stock, void *ctx,
    int *at, const char **sku);
static int invsync_route_victim(const invsync_route_ws_t *ws,
    const unsigned char *shared, const unsigned char *moved, int at,
    const char *sku);
static int invsync_route_elsewhere(const invsync_route_ws_t *ws, size_t l,
    int at);


/*
 * After invsync_route_assign(): a backorder rule allows any shortfall,
 * so it is not checked; otherwise the assignment is made to fit, or the
 * lines that cannot fit are left unpicked (reason no_stock).
 */

void
invsync_route_settle(invsync_route_ws_t *ws, invsync_route_stock_pt stock,
    void *ctx)
{
    int            at, v;
    size_t         l;
    const char    *sku;
    unsigned char  shared[INVSYNC_ROUTE_MAX_LINES];
    unsigned char  moved[INVSYNC_ROUTE_MAX_LINES];

    if (ws->rule->backorder || !invsync_route_shares(ws->order, shared)) {
        return;
    }

    memset(moved, 0, sizeof(moved));

    for ( ;; ) {
        for (l = 0; l < ws->nl; l++) {
            if (ws->pick[l] < 0) {
                return;             /* unroutable already: nothing held */
            }
        }

        if (!invsync_route_overflow(ws, shared, stock, ctx, &at, &sku)) {
            return;
        }

        v = invsync_route_victim(ws, shared, moved, at, sku);

        if (v < 0) {
            /* every line short there was moved once: none placed */
            for (l = 0; l < ws->nl; l++) {
                if (shared[l] && ws->pick[l] == at
                    && invsync_route_per_unit(&ws->order->lines[l], sku) > 0)
                {
                    ws->pick[l] = -1;
                    ws->reason[l] = INVSYNC_RS_NO_STOCK;
                }
            }

            return;
        }

        moved[v] = 1;
        ws->why[INVSYNC_WS_AT(ws, (size_t) v, (size_t) at)] =
            INVSYNC_RS_NO_STOCK;

        memset(ws->reason, 0, ws->nl * sizeof(int));
        ws->consolidated = 0;
        invsync_route_assign(ws);
    }
}


/* a sale's location (invsync_route_sale.c) gives what the lines sharing
 * a ledger SKU take of it together: 1, else 0 */

int
invsync_route_fits_at(const invsync_route_order_t *o,
    invsync_route_stock_pt stock, void *ctx, const char *location)
{
    size_t                       l, u, nu;
    const char                  *s;
    unsigned char                shared[INVSYNC_ROUTE_MAX_LINES];
    const invsync_route_line_t  *line;

    if (!invsync_route_shares(o, shared)) {
        return 1;
    }

    for (l = 0; l < o->nlines; l++) {
        line = &o->lines[l];
        nu = line->nuses ? line->nuses : 1;

        for (u = 0; shared[l] && u < nu; u++) {
            s = line->nuses ? line->uses[u].sku : line->sku;

            if (invsync_route_demand(o, shared, NULL, 0, s)
                > stock(ctx, s, location))
            {
                return 0;
            }
        }
    }

    return 1;
}


/*
 * shared[l]: line l takes a ledger SKU another line of another SKU takes
 * too (lines of one SKU are already checked together: each needs their
 * total).  Only an order with a line that has uses is looked at.
 */

static int
invsync_route_shares(const invsync_route_order_t *o, unsigned char *shared)
{
    int     any;
    size_t  l, l2;

    for (l = 0; l < o->nlines && o->lines[l].nuses == 0; l++) {
        /* void */
    }

    if (l == o->nlines) {
        return 0;
    }

    memset(shared, 0, o->nlines);
    any = 0;

    for (l = 0; l < o->nlines; l++) {
        for (l2 = l + 1; l2 < o->nlines; l2++) {
            if ((o->lines[l].nuses || o->lines[l2].nuses)
                && strcmp(o->lines[l].sku, o->lines[l2].sku) != 0
                && invsync_route_common(&o->lines[l], &o->lines[l2]))
            {
                shared[l] = 1;
                shared[l2] = 1;
                any = 1;
            }
        }
    }

    return any;
}


static int
invsync_route_common(const invsync_route_line_t *a,
    const invsync_route_line_t *b)
{
    size_t  i;

    if (a->nuses == 0) {
        return invsync_route_per_unit(b, a->sku) > 0;
    }

    for (i = 0; i < a->nuses; i++) {
        if (invsync_route_per_unit(b, a->uses[i].sku) > 0) {
            return 1;
        }
    }

    return 0;
}


/* how many of sku one unit of the line takes */

static int64_t
invsync_route_per_unit(const invsync_route_line_t *line, const char *sku)
{
    size_t   i;
    int64_t  n;

    if (line->nuses == 0) {
        return strcmp(line->sku, sku) == 0;
    }

    for (n = 0, i = 0; i < line->nuses; i++) {
        if (line->uses[i].qty > 0 && strcmp(line->uses[i].sku, sku) == 0) {
            n += line->uses[i].qty;
        }
    }

    return n;
}


/* what the shared lines put at at (pick NULL: all of them) take of sku,
 * saturated: a quantity is an int64_t */

static int64_t
invsync_route_demand(const invsync_route_order_t *o,
    const unsigned char *shared, const int *pick, int at, const char *sku)
{
    size_t   l;
    int64_t  per, sum;

    sum = 0;

    for (l = 0; l < o->nlines; l++) {
        if (!shared[l] || (pick != NULL && pick[l] != at)) {
            continue;
        }

        per = invsync_route_per_unit(&o->lines[l], sku);

        if (per > 0) {
            sum = o->lines[l].qty > (INT64_MAX - sum) / per
                  ? INT64_MAX : sum + o->lines[l].qty * per;
        }
    }

    return sum;
}


/*
 * The first location (by the lines' order) and ledger SKU where the
 * shared lines put there take more than is free: 1 with *at, *sku; 0
 * when every one fits.
 */

static int
invsync_route_overflow(const invsync_route_ws_t *ws,
    const unsigned char *shared, invsync_route_stock_pt stock, void *ctx,
    int *at, const char **sku)
{
    size_t                       l, u, nu;
    int64_t                      sum;
    const char                  *s;
    const invsync_route_line_t  *lines;

    lines = ws->order->lines;

    for (l = 0; l < ws->nl; l++) {
        if (!shared[l]) {
            continue;
        }

        nu = lines[l].nuses ? lines[l].nuses : 1;

        for (u = 0; u < nu; u++) {
            s = lines[l].nuses ? lines[l].uses[u].sku : lines[l].sku;
            sum = invsync_route_demand(ws->order, shared, ws->pick,
                                       ws->pick[l], s);

            if (sum > stock(ctx, s, ws->c[ws->pick[l]].loc->id)) {
                *at = ws->pick[l];
                *sku = s;
                return 1;
            }
        }
    }

    return 0;
}


/*
 * The line to move away from at, among the shared lines there that take
 * sku and were not moved yet: the last that another kept location could
 * take, else the last; -1 when each was moved once.
 */

static int
invsync_route_victim(const invsync_route_ws_t *ws,
    const unsigned char *shared, const unsigned char *moved, int at,
    const char *sku)
{
    int     any, away;
    size_t  l;

    any = -1;
    away = -1;

    for (l = 0; l < ws->nl; l++) {
        if (!shared[l] || moved[l] || ws->pick[l] != at
            || invsync_route_per_unit(&ws->order->lines[l], sku) == 0)
        {
            continue;
        }

        any = (int) l;

        if (invsync_route_elsewhere(ws, l, at)) {
            away = (int) l;
        }
    }

    return away >= 0 ? away : any;
}


static int
invsync_route_elsewhere(const invsync_route_ws_t *ws, size_t l, int at)
{
    size_t  k, i;

    for (k = 0; k < ws->nkept; k++) {
        i = ws->rank[k];

        if ((int) i != at
            && ws->why[INVSYNC_WS_AT(ws, l, i)] == INVSYNC_RS_OK)
        {
            return 1;
        }
    }

    return 0;
}
