
/*
 * What the routing action's files share (src/actions/route/): the order
 * as the decision sees it, built from the canonical order and the ledger
 * (invsync_route_input.c), and its one run (invsync_route_action.c), by
 * the order row and by re-routing (invsync_route_retry.c) alike.
 */


#ifndef INVSYNC_ROUTE_RUN_H_INCLUDED
#define INVSYNC_ROUTE_RUN_H_INCLUDED


#include "invsync_actions.h"
#include "invsync_route.h"


#define INVSYNC_ROUTE_TRIES     3       /* decisions made on stale stock */
#define INVSYNC_ROUTE_TAGS      16      /* a SKU's tags routing sees */


typedef struct {
    char                    sku[256];
    char                    line_id[64];
    char                   *tagbuf;             /* tags, split in place */
    char                   *tagv[INVSYNC_ROUTE_TAGS];
    json_t                 *comps;              /* a bundle's, or NULL */
    int                     first;              /* the first line of its
                                                 * SKU: its sku:, stock:
                                                 * read for the others */
} invsync_route_slot_t;


/* what each configured location can give of one SKU read */
typedef struct {
    const char             *sku;                /* a slot's sku, or a key
                                                 * of its comps */
    int64_t                *free;               /* [rc->nlocations] */
    int                     read;               /* its ledger summed */
} invsync_route_stock_t;


/* a line with a quantity, before its refs resolved its SKU */
typedef struct {
    json_t                 *line;               /* the canonical order's */
    char                    line_id[64];
    size_t                  nrefs;              /* its keys in the MGET */
} invsync_route_raw_t;


/* the decision's input and what it was read from */
typedef struct {
    invsync_route_order_t   order;
    char                    order_key[256];     /* "<channel>:<order id>" */
    char                    version[32];
    int64_t                 version_ms;
    /* [nraw] each, allocated for the order's lines: arrays of
     * INVSYNC_ROUTE_MAX_LINES made the input 148 KB, zeroed (and, above
     * malloc's mmap threshold, faulted in) for every order */
    invsync_route_line_t   *lines;
    invsync_route_slot_t   *slots;
    invsync_route_raw_t    *raw;
    size_t                  nraw;
    const invsync_routing_conf_t  *rc;
    size_t                  nrefs;              /* skuref keys asked */
    char                    seq[32];            /* alloc:<order> seq read */
    char                   *held;               /* its held JSON, or NULL */
    size_t                  held_len;
    invsync_route_stock_t  *stock;              /* the SKUs' rows */
    size_t                  nstock;
    int64_t                *freebuf;            /* the rows' cells */
    invsync_route_use_t    *uses;               /* the bundle lines'
                                                 * components, the lines'
                                                 * uses point here */
    size_t                  hint;               /* last location found */
    invsync_route_stock_t  *row;                /* the ledger being read */
    int                     shipped;            /* route.lua opened the
                                                 * shipments too */
} invsync_route_input_t;


/* one order of a pipelined run (invsync_route_batch.c) */
typedef enum {
    INVSYNC_RJ_DONE = 0,        /* rc is the row's */
    INVSYNC_RJ_READ,            /* alloc:, skuref: reads appended */
    INVSYNC_RJ_SKUS,            /* sku:, stock: reads appended */
    INVSYNC_RJ_STOCK,           /* components' ledgers appended, if any */
    INVSYNC_RJ_LEDGER,          /* route.lua appended */
    INVSYNC_RJ_SHIP,            /* routed: its shipments to open */
    INVSYNC_RJ_SHIP_ALONE,      /* the same, alone, after the batch */
    INVSYNC_RJ_ALONE            /* the row again, alone, after the batch */
} invsync_route_step_e;

typedef struct {
    const invsync_envelope_t  *ev;              /* the caller's */
    json_t                    *canon;           /* the caller's */
    invsync_act_rc_e           rc;              /* the row's result */
    char                       err[INVSYNC_ERR_LEN];
    invsync_route_step_e       step;
    invsync_route_input_t     *in;
    invsync_route_result_t     res;
} invsync_route_job_t;


/* invsync_route_input.c */
invsync_act_rc_e invsync_route_input(const char *channel, json_t *canon,
    invsync_route_input_t *in, char *err, size_t len);
invsync_act_rc_e invsync_route_read(invsync_worker_t *w,
    invsync_route_input_t *in, char *err, size_t len);
int invsync_route_read_append(invsync_worker_t *w,
    invsync_route_input_t *in);
invsync_act_rc_e invsync_route_read_take(invsync_worker_t *w,
    invsync_route_input_t *in, char *err, size_t len);
void invsync_route_input_free(invsync_route_input_t *in);

/* invsync_route_snap.c: the SKUs' attributes and ledgers (their reads
 * appended, their answers taken: a bundle's components' ledgers in a
 * round of their own), summed per location, and the decision's stock
 * callback */
int invsync_route_stock_append(invsync_worker_t *w,
    invsync_route_input_t *in);
invsync_act_rc_e invsync_route_stock_take(invsync_worker_t *w,
    invsync_route_input_t *in, char *err, size_t len);
invsync_act_rc_e invsync_route_stock_done(invsync_worker_t *w,
    invsync_route_input_t *in, char *err, size_t len);
void invsync_route_snap_free(invsync_route_input_t *in);

/* invsync_route_free.c: a ledger's field summed into in->row (an
 * invsync_redis_pair_pt; in->row NULL: taken, not summed), the order's
 * holding added back (-1: held is no JSON object), the decision's stock
 * callback, the lines' uses */
int invsync_route_field(void *ctx, const char *field, size_t field_len,
    const char *value, size_t value_len);
int invsync_route_held(invsync_route_input_t *in);
int64_t invsync_route_free_at(void *ctx, const char *sku,
    const char *location);
/* each bundle line's uses set to its components (its sku: read): 0, or
 * -1 out of memory */
int invsync_route_uses(invsync_route_input_t *in);

/* invsync_route_ledger.c: route.lua */
invsync_act_rc_e invsync_route_ledger(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, int again, char *err, size_t len);
int invsync_route_ledger_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, int again);
invsync_act_rc_e invsync_route_ledger_take(redisReply *r,
    invsync_route_input_t *in, char *err, size_t len);

/* invsync_route_action.c: decide and apply, again: a re-route's cause */
invsync_act_rc_e invsync_route_run(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, int again, char *err,
    size_t len);
invsync_act_rc_e invsync_route_decided(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    invsync_route_result_t *res, char *err, size_t len);
invsync_act_rc_e invsync_route_applied(const invsync_route_result_t *res,
    const invsync_route_input_t *in, invsync_act_rc_e rc, char *err,
    size_t len);

/* invsync_route_handover.c: the order's counter and digital shipments
 * confirmed at once (after its shipments were opened) */
invsync_act_rc_e invsync_route_handover(invsync_worker_t *w,
    const invsync_route_input_t *in, char *err, size_t len);

/* invsync_route_batch.c: the row for the orders of one read; -1: the
 * session was lost */
int invsync_route_batch(invsync_worker_t *w, invsync_route_job_t *jobs,
    size_t n);


#endif /* INVSYNC_ROUTE_RUN_H_INCLUDED */
