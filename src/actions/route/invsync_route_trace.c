
/*
 * The trace of a decision, audited as order.route and printed by
 * invsyncctl route explain (docs/routing.md, "The trace"): the rule, the
 * order's lines, every location in rank order (the kept ones first, then
 * the rejected in configuration order) with what it saw, the allocation
 * or the reason per unroutable line.
 *
 * Written as JSON text into one growing buffer: the audit stores text,
 * and a jansson tree of 50 locations cost 8 times the whole decision in
 * small allocations.  Strings are escaped as RFC 8259 asks; they are
 * valid UTF-8 already (configuration and events come through jansson).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_int.h"


typedef struct {
    char    *p;
    size_t   len, size;
    int      failed;
} invsync_tb_t;


/*
 * A literal, its length known when compiling (a conditional literal is
 * written with invsync_tb_if: sizeof of "a" : "b" is a pointer's), and
 * a member's key.
 */
#define invsync_tb_lit(b, s)  invsync_tb_raw(b, s, sizeof(s) - 1)
#define invsync_tb_key(b, k)                                              \
    invsync_tb_raw(b, ",\"" k "\":", sizeof(",\"" k "\":") - 1)
#define invsync_tb_if(b, c, s1, s2)                                       \
    do {                                                                  \
        if (c) {                                                          \
            invsync_tb_lit(b, s1);                                        \
        } else {                                                          \
            invsync_tb_lit(b, s2);                                        \
        }                                                                 \
    } while (0)
/* a location's packed entry without its id: flags, distance, a stock
 * and a cannot pair per line (docs/routing.md), brackets */
#define INVSYNC_TB_LOC_ROOM(nl)  (64 + (nl) * 48)


static inline void invsync_tb_raw(invsync_tb_t *b, const char *s,
    size_t n);
static inline char *invsync_tb_room(invsync_tb_t *b, size_t n);
static char *invsync_tb_grow(invsync_tb_t *b, size_t n);
static void invsync_tb_str(invsync_tb_t *b, const char *s);
static void invsync_tb_int(invsync_tb_t *b, int64_t n);
static inline char *invsync_tb_put_int(char *p, int64_t n);
static void invsync_route_trace_head(invsync_tb_t *b,
    const invsync_route_ws_t *ws, const invsync_route_result_t *res);
static void invsync_route_trace_lines(invsync_tb_t *b,
    const invsync_route_ws_t *ws);
static void invsync_route_trace_loc(invsync_tb_t *b,
    const invsync_route_ws_t *ws, size_t i, const unsigned char *first);
static void invsync_route_trace_alloc(invsync_tb_t *b,
    const invsync_route_ws_t *ws, const invsync_route_result_t *res);
static void invsync_route_trace_unroutable(invsync_tb_t *b,
    const invsync_route_ws_t *ws);


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


int
invsync_route_trace(const invsync_route_ws_t *ws,
    invsync_route_result_t *res)
{
    size_t          k, i, n, l, l2;
    invsync_tb_t    b;
    unsigned char   first[INVSYNC_ROUTE_MAX_LINES];

    memset(&b, 0, sizeof(b));

    /* about what 50 locations of 3 lines take: one allocation, mostly */
    b.size = 512 + ws->nc * (32 + ws->nl * 12);
    b.p = malloc(b.size);
    b.size = b.p != NULL ? b.size : 0;

    /* a SKU on two lines is one member of a location's stock: its first
     * line's, found once for every location */
    for (l = 0; l < ws->nl; l++) {
        for (l2 = 0; l2 < l && strcmp(ws->order->lines[l2].sku,
                                      ws->order->lines[l].sku) != 0; l2++)
        {
            /* void */
        }

        first[l] = l2 == l;
    }

    invsync_route_trace_head(&b, ws, res);
    invsync_route_trace_lines(&b, ws);
    invsync_tb_key(&b, "considered_packed");
    invsync_tb_lit(&b, "[");

    for (n = 0, k = 0; k < ws->nkept; k++, n++) {
        if (n) {
            invsync_tb_lit(&b, ",");
        }

        invsync_route_trace_loc(&b, ws, ws->rank[k], first);
    }

    for (i = 0; i < ws->nc; i++) {
        if (ws->c[i].reason != INVSYNC_RS_OK) {
            if (n++) {
                invsync_tb_lit(&b, ",");
            }

            invsync_route_trace_loc(&b, ws, i, first);
        }
    }

    invsync_tb_lit(&b, "]");

    if (res->rc == INVSYNC_ROUTE_UNROUTABLE) {
        invsync_route_trace_unroutable(&b, ws);
    } else {
        invsync_route_trace_alloc(&b, ws, res);
    }

    invsync_tb_raw(&b, "}", 2);

    if (b.failed) {
        free(b.p);
        return -1;
    }

    res->trace_json = b.p;
    res->trace_len = b.len - 1;

    return 0;
}


/* the trace as a tree, its locations written out (as the audit's reader
 * does: invsync_route_trace_unpack()) */

json_t *
invsync_route_trace_parse(const invsync_route_result_t *res)
{
    json_t  *packed, *trace;

    if (res->trace_json == NULL) {
        return NULL;
    }

    packed = json_loadb(res->trace_json, res->trace_len,
                        JSON_REJECT_DUPLICATES, NULL);
    trace = packed != NULL ? invsync_route_trace_unpack(packed) : NULL;
    json_decref(packed);

    return trace;
}


static void
invsync_route_trace_head(invsync_tb_t *b, const invsync_route_ws_t *ws,
    const invsync_route_result_t *res)
{
    char                         num[80];
    const invsync_route_rule_t  *r;

    r = ws->rule;

    invsync_tb_lit(b, "{\"status\":");
    invsync_tb_str(b, invsync_route_statuses[res->rc]);
    invsync_tb_key(b, "rule");
    invsync_tb_str(b, r->name);
    invsync_tb_key(b, "default");
    invsync_tb_if(b, r->implied, "true", "false");
    invsync_tb_key(b, "strategy");
    invsync_tb_str(b, invsync_route_strategies[r->strategy]);
    invsync_tb_key(b, "split");
    invsync_tb_if(b, r->split_allowed, "{\"allowed\":true,\"max\":",
                  "{\"allowed\":false,\"max\":");
    invsync_tb_int(b, r->max_shipments);
    invsync_tb_lit(b, "}");
    invsync_tb_key(b, "backorder");
    invsync_tb_if(b, r->backorder, "true", "false");
    invsync_tb_key(b, "shipments");
    invsync_tb_int(b, (int64_t) res->nshipments);

    if (ws->consolidated) {
        invsync_tb_key(b, "consolidated");
        invsync_tb_lit(b, "true");
    }

    if (r->strategy != INVSYNC_ROUTE_NEAREST) {
        return;
    }

    invsync_tb_key(b, "destination");

    if (!ws->has_dest) {
        invsync_tb_lit(b, "null");
        return;
    }

    invsync_tb_raw(b, num,
                   (size_t) snprintf(num, sizeof(num),
                                     "{\"lat\":%.6f,\"lon\":%.6f,\"from\":",
                                     ws->dlat, ws->dlon));
    invsync_tb_str(b, ws->dest_from);
    invsync_tb_lit(b, "}");
}


static void
invsync_route_trace_lines(invsync_tb_t *b, const invsync_route_ws_t *ws)
{
    int                          needs;
    size_t                       l, j;
    const invsync_route_line_t  *line;

    invsync_tb_key(b, "lines");
    invsync_tb_lit(b, "[");

    for (l = 0; l < ws->nl; l++) {
        line = &ws->order->lines[l];
        invsync_tb_if(b, l, ",{\"line\":", "{\"line\":");
        invsync_tb_str(b, line->line_id);
        invsync_tb_key(b, "sku");
        invsync_tb_str(b, line->sku);
        invsync_tb_key(b, "qty");
        invsync_tb_int(b, line->qty);

        for (needs = 0, j = 0; j < line->tags.n; j++) {
            if (invsync_strv_has(&ws->rc->capabilities, line->tags.v[j])) {
                invsync_tb_if(b, needs++, ",", ",\"needs\":[");
                invsync_tb_str(b, line->tags.v[j]);
            }
        }

        invsync_tb_if(b, needs, "]}", "}");
    }

    invsync_tb_lit(b, "]");
}


/*
 * One location, packed (docs/routing.md, "The trace"): rejected
 * ["id", reason], kept ["id", flags, distance, [stock], [line, reason...]]
 * with flags 1 preferred, 2 cut-off open, 4 cut-off passed, the distance
 * in tenths of a km (-1: none), the stock of each distinct SKU in the
 * order of the lines, the lines it cannot take (their index) last, when
 * any.  The names live once in the trace (its lines): 50 locations
 * spelled out were 7 KB of every audit entry, a third of Redis's time in
 * route.lua (docs/performance.md); invsync_route_trace_unpack() writes it
 * out again.  After the id, the entry is written into room made for it
 * at once: 50 locations of 3 lines were 1,200 appends of a few bytes.
 */

static void
invsync_route_trace_loc(invsync_tb_t *b, const invsync_route_ws_t *ws,
    size_t i, const unsigned char *first)
{
    char                        *p;
    int                          cannot;
    size_t                       l, at;
    const invsync_route_cand_t  *c;

    c = &ws->c[i];

    invsync_tb_lit(b, "[");
    invsync_tb_str(b, c->loc->id);

    p = invsync_tb_room(b, INVSYNC_TB_LOC_ROOM(ws->nl));
    if (p == NULL) {
        return;
    }

    *p++ = ',';

    if (c->reason != INVSYNC_RS_OK) {
        p = invsync_tb_put_int(p, c->reason);
        *p++ = ']';
        b->len = (size_t) (p - b->p);
        return;
    }

    p = invsync_tb_put_int(p, (c->preferred ? 1 : 0)
                              + (c->loc->cutoff_min >= 0
                                 && ws->order->now_ms > 0
                                 ? (c->late ? 4 : 2) : 0));
    *p++ = ',';

    if (c->has_dist) {
        p = invsync_tb_put_int(p, (int64_t) (c->dist_km * 10 + 0.5));

    } else {
        *p++ = '-';
        *p++ = '1';
    }

    *p++ = ',';
    *p++ = '[';

    for (l = 0; l < ws->nl; l++) {
        if (first[l]) {
            /* line 0 is always a first: a comma before each other */
            if (l) {
                *p++ = ',';
            }

            p = invsync_tb_put_int(p, ws->stock[INVSYNC_WS_AT(ws, l, i)]);
        }
    }

    *p++ = ']';

    for (cannot = 0, l = 0; l < ws->nl; l++) {
        at = INVSYNC_WS_AT(ws, l, i);

        if (ws->why[at] != INVSYNC_RS_OK) {
            *p++ = ',';

            if (cannot++ == 0) {
                *p++ = '[';
            }

            p = invsync_tb_put_int(p, (int64_t) l);
            *p++ = ',';
            p = invsync_tb_put_int(p, ws->why[at]);
        }
    }

    if (cannot) {
        *p++ = ']';
    }

    *p++ = ']';
    b->len = (size_t) (p - b->p);
}


static void
invsync_route_trace_alloc(invsync_tb_t *b, const invsync_route_ws_t *ws,
    const invsync_route_result_t *res)
{
    size_t                        k, l;
    int64_t                       have, short_by;
    const invsync_route_alloc_t  *al;

    invsync_tb_key(b, "allocation");
    invsync_tb_lit(b, "[");

    for (k = 0; k < res->nallocs; k++) {
        al = &res->allocs[k];
        l = al->line;
        have = ws->stock[INVSYNC_WS_AT(ws, l, (size_t) ws->pick[l])];
        short_by = ws->need[l] - (have > 0 ? have : 0);

        invsync_tb_if(b, k, ",{\"line\":", "{\"line\":");
        invsync_tb_str(b, ws->order->lines[l].line_id);
        invsync_tb_key(b, "sku");
        invsync_tb_str(b, ws->order->lines[l].sku);
        invsync_tb_key(b, "location");
        invsync_tb_str(b, al->location);
        invsync_tb_key(b, "qty");
        invsync_tb_int(b, al->qty);

        if (short_by > 0) {
            invsync_tb_key(b, "backorder");
            invsync_tb_int(b, short_by < al->qty ? short_by : al->qty);
        }

        invsync_tb_lit(b, "}");
    }

    invsync_tb_lit(b, "]");
}


static void
invsync_route_trace_unroutable(invsync_tb_t *b, const invsync_route_ws_t *ws)
{
    int     n;
    size_t  l;

    invsync_tb_key(b, "unroutable");
    invsync_tb_lit(b, "[");

    for (n = 0, l = 0; l < ws->nl; l++) {
        if (ws->pick[l] >= 0) {
            continue;
        }

        invsync_tb_if(b, n++, ",{\"line\":", "{\"line\":");
        invsync_tb_str(b, ws->order->lines[l].line_id);
        invsync_tb_key(b, "sku");
        invsync_tb_str(b, ws->order->lines[l].sku);
        invsync_tb_key(b, "reason");
        invsync_tb_str(b, invsync_route_reasons[ws->reason[l]]);
        invsync_tb_lit(b, "}");
    }

    invsync_tb_lit(b, "]");
}


/* most appends fit: a copy; the rest grow the buffer first */

static inline void
invsync_tb_raw(invsync_tb_t *b, const char *s, size_t n)
{
    char  *p;

    p = invsync_tb_room(b, n);

    if (p != NULL) {
        memcpy(p, s, n);
        b->len += n;
    }
}


/* room for n more bytes at b->p + b->len (the caller moves b->len), or
 * NULL: out of memory */

static inline char *
invsync_tb_room(invsync_tb_t *b, size_t n)
{
    if (b->len + n <= b->size) {
        return b->p + b->len;
    }

    return invsync_tb_grow(b, n);
}


static char *
invsync_tb_grow(invsync_tb_t *b, size_t n)
{
    char    *grown;
    size_t   size;

    if (b->failed) {
        return NULL;
    }

    size = b->size ? b->size : 4096;

    while (size < b->len + n) {
        size *= 2;
    }

    grown = realloc(b->p, size);
    if (grown == NULL) {
        b->failed = 1;
        return NULL;
    }

    b->p = grown;
    b->size = size;

    return b->p + b->len;
}


/* a JSON string: '"' and '\' escaped, control characters as \u00XX
 * (lower case, as printf's %04x wrote them) */

static void
invsync_tb_str(invsync_tb_t *b, const char *s)
{
    char                 *p;
    size_t                n;
    unsigned char         ch;
    static const char     hex[] = "0123456789abcdef";

    n = strlen(s);
    p = invsync_tb_room(b, 2 + 6 * n);
    if (p == NULL) {
        return;
    }

    *p++ = '"';

    for ( /* void */ ; *s; s++) {
        ch = (unsigned char) *s;

        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *p++ = (char) ch;

        } else if (ch == '"' || ch == '\\') {
            *p++ = '\\';
            *p++ = (char) ch;

        } else {
            memcpy(p, "\\u00", 4);
            p[4] = hex[ch >> 4];
            p[5] = hex[ch & 15];
            p += 6;
        }
    }

    *p++ = '"';
    b->len = (size_t) (p - b->p);
}


static void
invsync_tb_int(invsync_tb_t *b, int64_t n)
{
    char  *p;

    p = invsync_tb_room(b, 24);

    if (p != NULL) {
        b->len = (size_t) (invsync_tb_put_int(p, n) - b->p);
    }
}


/* n in decimal at p (at most 20 bytes); the byte after it.  Two digits
 * a division: a location's stock is often ten digits (docs/performance.md) */

static inline char *
invsync_tb_put_int(char *p, int64_t n)
{
    char               d[24], *q;
    size_t             k;
    uint64_t           u;
    static const char  pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";

    q = d + sizeof(d);
    u = n < 0 ? -(uint64_t) n : (uint64_t) n;

    while (u >= 100) {
        k = (size_t) (u % 100) * 2;
        u /= 100;
        *--q = pairs[k + 1];
        *--q = pairs[k];
    }

    if (u >= 10) {
        *--q = pairs[u * 2 + 1];
        *--q = pairs[u * 2];

    } else {
        *--q = (char) ('0' + u);
    }

    if (n < 0) {
        *--q = '-';
    }

    while (q < d + sizeof(d)) {
        *p++ = *q++;
    }

    return p;
}
