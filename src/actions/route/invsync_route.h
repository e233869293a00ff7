
/*
 * The routing decision: which locations fulfil an order's lines, and why.
 * invsync_route_decide() is pure (no Redis, no clock): the stock it sees
 * comes through a callback, the time through the order (cut-offs read the
 * C library's zone database, cached per zone and minute), so that
 * t/routing/ runs it as a table of cases and the CLI's dry-run and the
 * worker's action run exactly the same code.  Applying the decision to
 * the ledger is route.lua's (one atomic step keyed by order and version).
 *
 * This header is the contract between the engine (invsync_route_decide.c)
 * and its callers (the action, the CLI, the tests): change them together.
 */


#ifndef INVSYNC_ROUTE_H_INCLUDED
#define INVSYNC_ROUTE_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "invsync_routing.h"


#define INVSYNC_ROUTE_MAX_LINES  256


/* a ledger SKU one unit of a line takes, and how many of it */
typedef struct {
    const char      *sku;
    int64_t          qty;
} invsync_route_use_t;


typedef struct {
    const char      *line_id;    /* the channel's line id */
    const char      *sku;        /* the ledger SKU (a bundle's own SKU) */
    int64_t          qty;
    invsync_strv_t   tags;       /* sku:<sku> "tags", split; may be empty */
    int              no_parcel;  /* requires no shipping (a digital good):
                                  * allocated as any line, never put in a
                                  * parcel (docs/fulfilment.md) */
    /*
     * The ledger SKUs one unit takes (a bundle: its components), borrowed;
     * NULL, 0: its own sku, one.  Lines that share one are checked
     * together per location (invsync_route_share.c).
     */
    const invsync_route_use_t  *uses;
    size_t           nuses;
} invsync_route_line_t;


/*
 * How the order reaches its buyer (the canonical order's "fulfilment"
 * mode): shipped, the rules decide where from; collected by the buyer at
 * a location, or sold at a location's counter: the sale's location takes
 * the stock and no rule runs (invsync_route_sale.c).
 */
typedef enum {
    INVSYNC_ROUTE_SHIP = 0,
    INVSYNC_ROUTE_PICKUP,
    INVSYNC_ROUTE_COUNTER
} invsync_route_mode_e;


typedef struct {
    const char            *channel;       /* channel id */
    const char            *order;         /* "<channel>:<order id>" */
    const char            *version;       /* the order's version, or "" */
    const char            *country;       /* destination, or NULL */
    const char            *region;
    const char            *postal_code;
    int                    has_coords;
    double                 lat, lon;
    int                    has_value;
    int64_t                value_minor;   /* the order's total */
    const char            *shipping_method;  /* or NULL */
    int64_t                now_ms;        /* Unix ms: cut-offs */
    invsync_route_mode_e   mode;
    const char            *at;            /* pickup, counter: the ledger
                                           * location the caller mapped
                                           * the sale's to, or NULL */
    const char            *sold_at;       /* the channel's location id,
                                           * or NULL: for the trace */
    invsync_route_line_t  *lines;
    size_t                 nlines;
} invsync_route_order_t;


/*
 * What a location can give of a SKU now: on hand minus reserved there
 * (for a bundle, the fewest whole bundles its components allow).  The
 * caller reads it from the ledger (or from a test's data) beforehand.
 * Asked of a line's SKU, and of a SKU a line's uses name (a component:
 * its own free stock).
 */
typedef int64_t (*invsync_route_stock_pt)(void *ctx, const char *sku,
    const char *location);


typedef enum {
    INVSYNC_ROUTE_ROUTED = 0,     /* every line allocated */
    INVSYNC_ROUTE_BACKORDERED,    /* allocated, some beyond stock (rule) */
    INVSYNC_ROUTE_UNROUTABLE      /* reasons per line in the trace */
} invsync_route_rc_e;


typedef struct {
    size_t       line;            /* index into order->lines */
    const char  *location;        /* borrowed from the configuration */
    int64_t      qty;
} invsync_route_alloc_t;


typedef struct {
    invsync_route_rc_e      rc;
    const invsync_route_rule_t  *rule;    /* the rule that matched */
    invsync_route_alloc_t  *allocs;       /* malloc'd; free with _free() */
    size_t                  nallocs;
    size_t                  nshipments;   /* distinct locations */
    /*
     * The trace as JSON text, audited as order.route as it is and
     * printed by route explain: {"status", "rule", "default",
     * "strategy", "split", "backorder", "shipments", "destination",
     * "lines": [{"line", "sku", "qty", "needs"}], "considered":
     * [{"location", "kept": bool, "reason", "preferred", "cutoff",
     * "distance_km", "stock": {sku: n}, "cannot": [{"line", "reason"}]}],
     * "allocation": [{"line", "sku", "location", "qty", "backorder"}],
     * "unroutable": [{"line", "sku", "reason"}]}; docs/routing.md gives
     * each member.  Text, not a jansson tree: a tree of 50 locations
     * cost 8 times the decision in allocations (docs/performance.md).
     * "considered" is written packed, as "considered_packed" (arrays,
     * the names once): invsync_route_trace_parse() and unpack() give it
     * back.
     */
    char                   *trace_json;   /* malloc'd, NUL-terminated */
    size_t                  trace_len;
} invsync_route_result_t;


/* 0 with res filled, or -1 with err (out of memory, bad order input) */
int invsync_route_decide(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *order, invsync_route_stock_pt stock,
    void *ctx, invsync_route_result_t *res, char *err, size_t len);
void invsync_route_result_free(invsync_route_result_t *res);
/* invsync_route_sale.c: a pickup or counter sale's decision, at o->at;
 * invsync_route_decide() calls it for such an order */
int invsync_route_sale(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *o, invsync_route_stock_pt stock,
    void *ctx, invsync_route_result_t *res, char *err, size_t len);
/* "pickup", "none" (a counter sale) or "ship" */
const char *invsync_route_mode_name(invsync_route_mode_e mode);
/* the trace as a tree (a new reference), for printing; NULL: no memory */
json_t *invsync_route_trace_parse(const invsync_route_result_t *res);
/* a trace as the audit holds it (its locations packed) as the decision
 * saw it, a new reference; one of before the packing as it is */
json_t *invsync_route_trace_unpack(json_t *trace);


#endif /* INVSYNC_ROUTE_H_INCLUDED */
