
/*
 * Ranking and assignment.  The kept locations are ranked once: preferred
 * first, then those still within today's cut-off, then the strategy's
 * measure (nearest: distance, unknown last; most_stock: the stock of the
 * order's SKUs there, most first), then priority, then id, so that equal
 * locations always decide the same way.
 *
 * priority, nearest and most_stock give each line the best-ranked
 * location that can take it (most_stock: the most of that line's SKU
 * within the preferred / cut-off group); a location with the stock comes
 * before one that would backorder.  fewest_shipments, and any of the
 * others when their split would need more shipments than the rule
 * allows, cover the order greedily: each next shipment is the location
 * that takes the most remaining lines (with stock, then at all), ties by
 * rank.  Lines still left then need more shipments than allowed.
 */


#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_int.h"


static inline int invsync_route_before(const invsync_route_key_t *x,
    const invsync_route_key_t *y, invsync_route_strategy_e strategy);
static int invsync_route_best(const invsync_route_ws_t *ws, size_t l);
static int invsync_route_better(const invsync_route_ws_t *ws, size_t l,
    size_t a, size_t b);
static void invsync_route_cover(invsync_route_ws_t *ws);
static size_t invsync_route_shipments(const invsync_route_ws_t *ws);
static int invsync_route_line_reason(const invsync_route_ws_t *ws,
    size_t l);


/*
 * The ranking is a total order (the tie-break, the reader's place in
 * (priority, id) order, is unique), so any sort gives the one result:
 * each kept location's criteria are worked out once, and merged in
 * passes of doubling width (qsort_r's calls of a comparator that read
 * them through the candidate and its location were half the ranking).
 */

void
invsync_route_rank(invsync_route_ws_t *ws)
{
    size_t                       i, n, w, lo, mid, hi, a, b, k, *src, *dst,
                                *t;
    invsync_route_key_t         *key;
    const invsync_route_cand_t  *c;
    invsync_route_strategy_e     strategy;

    strategy = ws->rule->strategy;
    n = 0;

    for (i = 0; i < ws->nc; i++) {
        c = &ws->c[i];

        if (c->reason != INVSYNC_RS_OK) {
            continue;
        }

        ws->rank[n++] = i;
        key = &ws->key[i];
        key->group = (c->preferred ? 0 : 2) + (c->late ? 1 : 0);
        key->tiebreak = (unsigned) c->loc->tiebreak;
        key->total = c->total;
        key->dist = c->has_dist ? c->dist_km : INFINITY;
    }

    ws->nkept = n;
    src = ws->rank;
    dst = ws->sorted;

    for (w = 1; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            mid = lo + w < n ? lo + w : n;
            hi = lo + 2 * w < n ? lo + 2 * w : n;

            for (a = lo, b = mid, k = lo; a < mid && b < hi; k++) {
                dst[k] = invsync_route_before(&ws->key[src[b]],
                                              &ws->key[src[a]], strategy)
                         ? src[b++] : src[a++];
            }

            while (a < mid) {
                dst[k++] = src[a++];
            }

            while (b < hi) {
                dst[k++] = src[b++];
            }
        }

        t = src;
        src = dst;
        dst = t;
    }

    if (src != ws->rank) {
        memcpy(ws->rank, src, n * sizeof(size_t));
    }
}


void
invsync_route_assign(invsync_route_ws_t *ws)
{
    size_t  l;
    int     all;

    all = 1;

    for (l = 0; l < ws->nl; l++) {
        ws->pick[l] = ws->rule->strategy == INVSYNC_ROUTE_FEWEST_SHIPMENTS
                      ? -1 : invsync_route_best(ws, l);
        all = all && ws->pick[l] >= 0;
    }

    if (ws->rule->strategy == INVSYNC_ROUTE_FEWEST_SHIPMENTS) {
        invsync_route_cover(ws);

    } else if (all && invsync_route_shipments(ws)
                      > (size_t) ws->rule->max_shipments)
    {
        ws->consolidated = 1;
        invsync_route_cover(ws);
    }

    for (l = 0; l < ws->nl; l++) {
        if (ws->pick[l] < 0 && ws->reason[l] == INVSYNC_RS_OK) {
            ws->reason[l] = invsync_route_line_reason(ws, l);
        }
    }
}


/* x ranks before y: preferred first, then within today's cut-off, then
 * the strategy's measure (nearest: distance, unknown last; most_stock:
 * the order's SKUs there, most first), then priority and id */

static inline int
invsync_route_before(const invsync_route_key_t *x,
    const invsync_route_key_t *y, invsync_route_strategy_e strategy)
{
    if (x->group != y->group) {
        return x->group < y->group;
    }

    if (strategy == INVSYNC_ROUTE_NEAREST && x->dist != y->dist) {
        return x->dist < y->dist;
    }

    if (strategy == INVSYNC_ROUTE_MOST_STOCK && x->total != y->total) {
        return x->total > y->total;
    }

    return x->tiebreak < y->tiebreak;
}


/* the kept location that takes line l, or -1 */

static int
invsync_route_best(const invsync_route_ws_t *ws, size_t l)
{
    int     best;
    size_t  k, i;

    best = -1;

    for (k = 0; k < ws->nkept; k++) {
        i = ws->rank[k];

        if (ws->why[INVSYNC_WS_AT(ws, l, i)] != INVSYNC_RS_OK) {
            continue;
        }

        if (best < 0 || invsync_route_better(ws, l, i, (size_t) best)) {
            best = (int) i;
        }
    }

    return best;
}


/* a (later in rank) beats b for line l */

static int
invsync_route_better(const invsync_route_ws_t *ws, size_t l, size_t a,
    size_t b)
{
    int                          ha, hb;
    int64_t                      sa, sb;
    const invsync_route_cand_t  *x, *y;

    sa = ws->stock[INVSYNC_WS_AT(ws, l, a)];
    sb = ws->stock[INVSYNC_WS_AT(ws, l, b)];
    ha = sa >= ws->need[l];
    hb = sb >= ws->need[l];

    if (ha != hb) {
        return ha;
    }

    if (ws->rule->strategy != INVSYNC_ROUTE_MOST_STOCK) {
        return 0;
    }

    x = &ws->c[a];
    y = &ws->c[b];

    return x->preferred == y->preferred && x->late == y->late && sa > sb;
}


static void
invsync_route_cover(invsync_route_ws_t *ws)
{
    int      left[INVSYNC_ROUTE_MAX_LINES];
    size_t   l, k, i, at, best, ships, nleft;
    size_t   with, any, best_with, best_any;

    nleft = 0;

    for (l = 0; l < ws->nl; l++) {
        ws->pick[l] = -1;
        left[l] = invsync_route_best(ws, l) >= 0;
        nleft += (size_t) left[l];
    }

    for (ships = 0; nleft && ships < (size_t) ws->rule->max_shipments;
         ships++)
    {
        best = 0;
        best_with = 0;
        best_any = 0;

        for (k = 0; k < ws->nkept; k++) {
            i = ws->rank[k];
            with = 0;
            any = 0;

            for (l = 0; l < ws->nl; l++) {
                at = INVSYNC_WS_AT(ws, l, i);

                if (left[l] && ws->why[at] == INVSYNC_RS_OK) {
                    any++;
                    with += ws->stock[at] >= ws->need[l];
                }
            }

            if (with > best_with || (with == best_with && any > best_any)) {
                best = i;
                best_with = with;
                best_any = any;
            }
        }

        for (l = 0; l < ws->nl; l++) {
            if (left[l]
                && ws->why[INVSYNC_WS_AT(ws, l, best)] == INVSYNC_RS_OK)
            {
                ws->pick[l] = (int) best;
                left[l] = 0;
                nleft--;
            }
        }
    }

    for (l = 0; l < ws->nl; l++) {
        if (left[l]) {
            ws->reason[l] = INVSYNC_RS_SHIPMENTS;
        }
    }
}


static size_t
invsync_route_shipments(const invsync_route_ws_t *ws)
{
    size_t  l, l2, n;

    n = 0;

    for (l = 0; l < ws->nl; l++) {
        for (l2 = 0; l2 < l && ws->pick[l2] != ws->pick[l]; l2++) {
            /* void */
        }

        n += l2 == l;
    }

    return n;
}


/*
 * No location takes the line: no location has its stock at all, or the
 * reason of the location with the stock that got furthest through the
 * checks (inactive, channel, rule, capability).
 */

static int
invsync_route_line_reason(const invsync_route_ws_t *ws, size_t l)
{
    int     reason;
    size_t  i, at;

    reason = INVSYNC_RS_NO_STOCK;

    for (i = 0; i < ws->nc; i++) {
        at = INVSYNC_WS_AT(ws, l, i);

        if (ws->stock[at] < ws->need[l] && !ws->rule->backorder) {
            continue;
        }

        if (reason == INVSYNC_RS_NO_STOCK || ws->why[at] > reason) {
            reason = ws->why[at];
        }
    }

    return reason;
}
