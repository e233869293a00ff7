
/*
 * The routing engine's inside, shared by its files only: the decision
 * (invsync_route_decide.c), the ranking and the assignment
 * (invsync_route_assign.c), shared ledger SKUs (invsync_route_share.c),
 * distances (invsync_route_geo.c), cut-offs
 * (invsync_route_clock.c) and the trace (invsync_route_trace.c).  One
 * decision works in one invsync_route_ws_t, allocated as a single block.
 */


#ifndef INVSYNC_ROUTE_INT_H_INCLUDED
#define INVSYNC_ROUTE_INT_H_INCLUDED


#include "invsync_route.h"


/*
 * Why a location cannot take a line, in the order the checks run: a
 * line's reason is the furthest any location with its stock got.
 */
typedef enum {
    INVSYNC_RS_OK = 0,
    INVSYNC_RS_INACTIVE,
    INVSYNC_RS_CHANNEL,
    INVSYNC_RS_EXCLUDED,
    INVSYNC_RS_CAPABILITY,
    INVSYNC_RS_NO_STOCK,
    INVSYNC_RS_SHIPMENTS
} invsync_route_reason_e;


typedef struct {
    const invsync_location_t  *loc;
    size_t                     index;      /* in the configuration */
    int                        reason;     /* location-level, or OK */
    int                        preferred;
    int                        late;       /* past today's cut-off */
    int                        has_dist;
    double                     dist_km;
    int64_t                    total;      /* stock over the order's lines */
} invsync_route_cand_t;


/* a kept location's ranking, the criteria in order (invsync_route_rank) */
typedef struct {
    unsigned                   group;      /* 0: preferred, open; 1:
                                            * preferred, late; 2, 3: not
                                            * preferred, open or late */
    unsigned                   tiebreak;   /* (priority, id), the reader's */
    int64_t                    total;      /* most_stock: more first */
    double                     dist;       /* nearest: none is +inf */
} invsync_route_key_t;


typedef struct {
    const invsync_routing_conf_t  *rc;
    const invsync_route_order_t   *order;
    const invsync_route_rule_t    *rule;
    size_t                         nl, nc;
    invsync_route_cand_t          *c;       /* nc, in configuration order */
    size_t                        *rank;    /* the kept ones, best first */
    size_t                         nkept;
    invsync_route_key_t           *key;     /* nc: the kept ones' ranking */
    size_t                        *sorted;  /* nc: the merge's other half */
    int64_t                       *stock;   /* [line * nc + cand] */
    int64_t                       *need;    /* per line: its SKU's total */
    unsigned char                 *why;     /* [line * nc + cand] */
    int                           *pick;    /* per line: cand, or -1 */
    int                           *reason;  /* per line, when unpicked */
    int                            consolidated;
    int                            has_dest;
    double                         dlat, dlon;
    const char                    *dest_from;  /* "order", a prefix, NULL */
} invsync_route_ws_t;


#define INVSYNC_WS_AT(ws, l, c)  ((l) * (ws)->nc + (c))


void invsync_route_rank(invsync_route_ws_t *ws);
void invsync_route_assign(invsync_route_ws_t *ws);

void invsync_route_settle(invsync_route_ws_t *ws,
    invsync_route_stock_pt stock, void *ctx);
int invsync_route_fits_at(const invsync_route_order_t *o,
    invsync_route_stock_pt stock, void *ctx, const char *location);

void invsync_route_geo(invsync_route_ws_t *ws);
size_t invsync_route_postal_norm(const char *code, char norm[32]);
double invsync_route_km(double lat1, double lon1, double lat2, double lon2);

int invsync_route_late(const invsync_location_t *loc, int64_t now_ms);

int invsync_route_trace(const invsync_route_ws_t *ws,
    invsync_route_result_t *res);
const char *invsync_route_reason_name(int reason);


#endif /* INVSYNC_ROUTE_INT_H_INCLUDED */
