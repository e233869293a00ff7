
/*
 * A refund invsync makes on a channel, as the channel's refund operations
 * see it (refund_build / refund_parse of invsync_channel.h): the order,
 * its lines by the channel's own line ids, the shipping refunded, our
 * reference, and where the sequence of requests stands.  The engine fills
 * it from the request's hash (docs/refunds.md); the channel reads it and
 * moves its step on.
 */


#ifndef INVSYNC_REFUND_PUSH_H_INCLUDED
#define INVSYNC_REFUND_PUSH_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


#define INVSYNC_REFUND_PUSH_LINES  64
#define INVSYNC_REFUND_ID_LEN      64
#define INVSYNC_REFUND_TEXT_LEN    256
#define INVSYNC_REFUND_ERR_LEN     300


/*
 * Where the refund stands.  Every attempt starts at LOOK (after a crash or
 * a retry too): the order's refunds on the channel are read first, and
 * one carrying our reference means it was made already.  DONE: ref names
 * it; COVERED: the channel has refunded these units itself already (ref
 * names those refunds), nothing is made; REFUSED: err says why.
 */
typedef enum {
    INVSYNC_REFUND_LOOK = 0,    /* the order's refunds on the channel */
    INVSYNC_REFUND_ORDER,       /* what the lines cost there */
    INVSYNC_REFUND_CREATE,      /* the refund, with our reference */
    INVSYNC_REFUND_DONE,
    INVSYNC_REFUND_COVERED,
    INVSYNC_REFUND_REFUSED
} invsync_refund_step_e;


/* one line: the channel's line id, the ledger SKU, the units */
typedef struct {
    char                     line_id[INVSYNC_REFUND_ID_LEN];
    char                     sku[INVSYNC_REFUND_TEXT_LEN];
    int64_t                  qty;
} invsync_refund_line_t;


struct invsync_refund_push_s {
    /* what to refund: read by the channel, never changed by it */
    char                     cause[INVSYNC_REFUND_TEXT_LEN];
    char                     order_id[INVSYNC_REFUND_ID_LEN];
    size_t                   nlines;
    invsync_refund_line_t    lines[INVSYNC_REFUND_PUSH_LINES];
    int64_t                  shipping_minor;
    char                     currency[8];
    char                     reason[INVSYNC_REFUND_TEXT_LEN];
    char                     note[INVSYNC_REFUND_TEXT_LEN];
    char                     ref[INVSYNC_REFUND_TEXT_LEN + 16];
                                        /* "[invsync:<cause>]", in the
                                         * refund's note or reason */
    char                     idempotency[65];   /* hex, of the cause */

    /* the sequence: moved on by refund_parse */
    invsync_refund_step_e    step;
    char                     refund_id[INVSYNC_REFUND_TEXT_LEN];
    char                     err[INVSYNC_REFUND_ERR_LEN];
    json_t                  *found;     /* the channel's notes between
                                         * steps, owned; NULL: none */
};


/* invsync_refund_push.c: a look's decision from what the channel can
 * still refund of each line (left[i] for r->lines[i]); others names the
 * channel's own refunds of them.  1 when r->step was set (COVERED or
 * REFUSED), 0 when the refund may be made */
int invsync_refund_cover(invsync_refund_push_t *r, const int64_t *left,
    const char *others);


#endif /* INVSYNC_REFUND_PUSH_H_INCLUDED */
