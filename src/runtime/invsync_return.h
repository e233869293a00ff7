
/*
 * Returns (RMA, docs/returns.md "RMA"): a return's record in Redis
 * (K rma:<id>, K rmas), opened, moved on and received once per cause.
 * What invsyncctl and the worker's action share; the functions live in
 * src/actions/refund/invsync_return*.c (the receipt runs the restock
 * rules and the ledger, which are the actions'), declared here so that
 * invsyncctl, which links the actions, calls the same code.
 */


#ifndef INVSYNC_RETURN_H_INCLUDED
#define INVSYNC_RETURN_H_INCLUDED


#include <jansson.h>

#include "invsync_runtime.h"


#define INVSYNC_RMA_ID_LEN    128
#define INVSYNC_RMA_MAX_LINES 64


/* the scripts (src/core/lua/return_*.lua, generated) */
extern const char    invsync_script_return_open[];
extern const size_t  invsync_script_return_open_len;
extern const char    invsync_script_return_step[];
extern const size_t  invsync_script_return_step_len;


/* who asks: the envelope of the notice, or invsyncctl's own */
typedef struct {
    const char  *channel;       /* what sent it: the order's channel
                                 * (invsyncctl), or the 3PL's */
    const char  *event;         /* the notice's event id, or "ctl:..." */
    const char  *topic;
    const char  *stream;        /* the entry it came in, or "" */
    const char  *entry;
    const char  *by;            /* an operator's name, or NULL */
    int          after_close;   /* a channel's receipt, taken on an RMA
                                 * already closed (the channel closes a
                                 * return once its units are disposed of,
                                 * and that close may be applied before
                                 * the disposition's receipt) */
} invsync_return_src_t;


typedef enum {
    INVSYNC_RETURN_DONE = 0,    /* recorded now */
    INVSYNC_RETURN_BEFORE,      /* recorded before: nothing changed */
    INVSYNC_RETURN_REFUSED,     /* no such RMA, closed, bad input: err */
    INVSYNC_RETURN_LOST         /* Redis: err */
} invsync_return_rc_e;


/* a valid RMA id: 1..INVSYNC_RMA_ID_LEN-1 of [A-Za-z0-9._:-] */
int invsync_return_id_valid(const char *id);

/* a new id, R<yyyymmdd>-<8 hex> (random) */
void invsync_return_id_new(char *dst, size_t cap);

/*
 * Opens RMA id for order <channel>:<order_id> with lines [{sku, qty,
 * line_id}] (canonical SKUs; line_id, optional, the order line's
 * channel_line_id): their prices are taken from the recorded order, each
 * from the line it names, else from the order's lines of its SKU in
 * order (one RMA line per order line it takes units of).
 * *audit gets the audit id (DONE) or the state it is in (BEFORE).
 */
invsync_return_rc_e invsync_return_open(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *id, const char *order_id,
    json_t *lines, const char *reason, char *audit, size_t cap, char *err,
    size_t len);

/* the record (new), NULL with *rc LOST or REFUSED (no such RMA) */
json_t *invsync_return_get(invsync_worker_t *w, const char *id,
    invsync_return_rc_e *rc);

/* the state moves on: "in_transit" (tracking may be NULL) or "closed" */
invsync_return_rc_e invsync_return_step(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *id, const char *state,
    const char *tracking, char *err, size_t len);

/*
 * A receipt of RMA id: lines [{sku, qty, condition, line_id}] (line_id,
 * optional: the order line a channel names; condition one of
 * resellable, damaged, missing, opened; absent: received, not inspected),
 * under receipt id rid (once per rid).  Each line is checked against what
 * shipped (return_not_shipped), decided by the restock rules, moved by
 * the ledger and booked in the journal once; the refund due, with
 * refund_on receipt, recorded and asked of the channel.  *out (new, may
 * be NULL) is the receipt as recorded: {rma, receipt, state, lines,
 * refund_due, exceptions}.
 */
invsync_return_rc_e invsync_return_receive(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *id, const char *rid,
    json_t *lines, json_t **out, char *err, size_t len);


#endif /* INVSYNC_RETURN_H_INCLUDED */
