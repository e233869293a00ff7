
/*
 * What the return's files (src/actions/refund/invsync_return*.c) share
 * besides the public src/runtime/invsync_return.h.
 */


#ifndef INVSYNC_RETURN_INT_H_INCLUDED
#define INVSYNC_RETURN_INT_H_INCLUDED


#include "invsync_actions.h"
#include "invsync_return.h"
#include "invsync_order_shipped.h"


/* invsync_return.c: return_<name>.lua, its reply, the scripts' sha */
invsync_return_rc_e invsync_return_script(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *name, const char *id,
    json_t *doc, const char *cause, char *audit, size_t cap, char *err,
    size_t len);
invsync_return_rc_e invsync_return_reply(redisReply *r, char *audit,
    size_t cap, char *err, size_t len);
void invsync_return_sha(const char *script, size_t len, char *hex);

/* invsync_return_lines.c: the RMA's lines priced from the order lines
 * they take back (named, else spread over those of the SKU); a
 * receipt's units on the RMA's lines, as return_step.lua puts them */
typedef struct {
    size_t   line;      /* the RMA line's index */
    int64_t  qty;
} invsync_return_piece_t;

int invsync_return_prices(invsync_worker_t *w, const char *channel,
    const char *order, json_t *lines, json_t **out, char *err, size_t len);
size_t invsync_return_fill(json_t *lines, int64_t *taken, const char *sku,
    const char *line_id, int64_t qty, invsync_return_piece_t *pieces);
int64_t *invsync_return_taken(json_t *lines);

/* invsync_return_refund.c: the refund due of a receipt, and the one call
 * that asks the channel for it */
json_t *invsync_return_refund_due(json_t *rma, const char *rid,
    json_t *lines);
int invsync_return_refund_out(invsync_worker_t *w, json_t *rma,
    json_t *due, char *err, size_t len);

/* invsync_return_channel.c: a channel's return lines as the RMA's; the
 * return_unknown of a channel's return or disposition */
int invsync_return_channel_lines(invsync_worker_t *w, const char *channel,
    json_t *canon, const char *idkey, json_t **out, char *err, size_t len);
invsync_act_rc_e invsync_return_channel_exc(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, const char *why,
    char *err, size_t len);

/* invsync_return_early.c: what a channel said of its return before the
 * request that opens the RMA (K rmaearly:<rma>) */
int invsync_return_early_keep(invsync_worker_t *w, const char *rma,
    const char *field, json_t *val, char *err, size_t len);
json_t *invsync_return_early_get(invsync_worker_t *w, const char *rma);

/* invsync_return_journal.c: the restocked lines' journal entries */
int invsync_return_journal(invsync_worker_t *w, const char *source,
    const char *rid, json_t *lines, char *err, size_t len);


#endif /* INVSYNC_RETURN_INT_H_INCLUDED */
