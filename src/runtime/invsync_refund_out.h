
/*
 * Refunds invsync makes on a channel (docs/refunds.md): a request is
 * opened once per cause (what asks for it: "rma:<rma id>",
 * "ctl:<operator's id>"), kept in K refundout:<cause>, and created on the
 * channel by the worker's refund driver (src/worker/invsync_worker_
 * refund_out.c), which looks at the order's refunds on the channel before
 * it creates one: a refund is made once, however often it is asked for,
 * retried or interrupted.
 */


#ifndef INVSYNC_REFUND_OUT_H_INCLUDED
#define INVSYNC_REFUND_OUT_H_INCLUDED


#include "invsync_runtime.h"


#define INVSYNC_REFUND_OUT_LINES   64      /* lines of one request */
#define INVSYNC_REFUND_CAUSE_LEN   200     /* bytes of a cause */
#define INVSYNC_REFUND_KEY_LEN     512


/* one line to refund: the ledger SKU, the channel's own line id (its
 * order line item's; NULL: found in the recorded order by the SKU), the
 * units */
typedef struct {
    const char      *sku;
    const char      *line_ref;
    int64_t          quantity;
} invsync_refund_out_line_t;


/* what to refund; every pointer is borrowed for the call */
typedef struct {
    const char                       *channel;     /* worker.json id */
    const char                       *order_id;    /* the channel's */
    const char                       *cause;       /* "<kind>:<id>" */
    const invsync_refund_out_line_t  *lines;
    size_t                            nlines;
    int64_t                           shipping_minor;   /* 0: none */
    const char                       *currency;    /* NULL: the order's */
    const char                       *reason;      /* required */
    const char                       *note;        /* or NULL */
} invsync_refund_out_t;


/*
 * Opens the request of req->cause, idempotently: 0 opened (due for the
 * driver now), 1 that cause was opened before (nothing changed, whatever
 * req says now), -1 refused or Redis failed (err says why).  Callable
 * from the worker's actions and from invsyncctl (any session with
 * w->conf and w->redis).
 */
int invsync_refund_out_open(invsync_worker_t *w,
    const invsync_refund_out_t *req, char *err, size_t len);

/*
 * A canonical refund of channel being recorded (refund.record, for the
 * envelope's event): when it
 * is one invsync made (K refundref:<channel>:<refund id>, or our
 * reference "[invsync:<cause>]" in its note or reason), its request is
 * marked recorded and the cause is copied into canon ("refund_out").
 * 1 ours, 0 not, -1 Redis failed.
 */
int invsync_refund_out_seen(invsync_worker_t *w, const char *channel,
    const char *event, json_t *canon);

/* our reference in canon's note or reason: 1 with its cause (a buffer of
 * INVSYNC_REFUND_CAUSE_LEN + 1), else 0 */
int invsync_refund_out_named(json_t *canon, char *cause);

/* refund_out.lua with KEYS[1] = argv[0], ARGV = argv[1..argc) (at most
 * 16 in all); the reply, NULL when the session was lost */
redisReply *invsync_refund_out_eval(invsync_worker_t *w, const char **argv,
    int argc);

/* the reference a request's refund carries on the channel */
int invsync_refund_out_ref(const char *cause, char *buf, size_t cap);


#endif /* INVSYNC_REFUND_OUT_H_INCLUDED */
