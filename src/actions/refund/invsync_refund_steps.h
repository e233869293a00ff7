
/*
 * The refund rows' steps in the two forms they run in: alone (one round
 * trip each, the rows of invsync_actions.c) and appended to a pipeline
 * with the same steps of the other refunds of one read
 * (invsync_refund_batch.c).  Each step's arguments and its reply's reading
 * are one function each, shared by both forms, so that the two cannot
 * drift.
 */


#ifndef INVSYNC_REFUND_STEPS_H_INCLUDED
#define INVSYNC_REFUND_STEPS_H_INCLUDED


#include "invsync_actions.h"
#include "invsync_restock_rules.h"
#include "invsync_order_shipped.h"


#define INVSYNC_CHECK_LINES  64     /* refund lines counted, at most */


/* refundqty.lua's arguments for one refund (invsync_refund_checks.c) */
typedef struct {
    char         key[INVSYNC_ACTION_KEY_LEN], who[INVSYNC_ACTION_KEY_LEN];
    char         ttl[32];
    char         nums[INVSYNC_CHECK_LINES][3][32];
    char         keys[INVSYNC_CHECK_LINES][256];
    size_t       at[INVSYNC_CHECK_LINES], n;
    const char  *argv[3 + 4 * INVSYNC_CHECK_LINES];
    size_t       argvlen[3 + 4 * INVSYNC_CHECK_LINES];
    int          argc;
} invsync_refund_count_t;


/* journal.lua's arguments for one refund (invsync_journal.c) */
typedef struct {
    char          k[INVSYNC_ACTION_KEY_LEN], stream[INVSYNC_ACTION_KEY_LEN];
    char          source[INVSYNC_ACTION_KEY_LEN];
    char        **dumps;
    const char  **argv;
    size_t       *lens;
    size_t        argc, n;
} invsync_journal_w_t;


/* invsync_refund.c: refund.record */
void invsync_refund_matched(json_t *canon, const invsync_refund_order_t *o);
json_t *invsync_refund_effect(const invsync_envelope_t *ev, json_t *canon,
    const invsync_refund_order_t *o, invsync_effect_t *fx, char *state,
    size_t cap);

/* invsync_refund_match.c: K order:<channel>:<id> data */
int invsync_refund_order_append(invsync_worker_t *w,
    const invsync_refund_order_t *o);
invsync_refund_match_e invsync_refund_order_reply(redisReply *r,
    invsync_refund_order_t *o, char *err, size_t len);

/* invsync_refund_checks.c: refund.check */
int invsync_refund_currency_ok(json_t *canon, const invsync_refund_order_t *o);
size_t invsync_refund_count_args(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *order,
    const char *ref, invsync_refund_count_t *c);
invsync_act_rc_e invsync_refund_count_reply(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, const char *ref,
    invsync_refund_count_t *c, redisReply *r, char *err, size_t len);

/* invsync_refund_restock.c: stock.restock */
void invsync_refund_restock_order(const invsync_envelope_t *ev,
    json_t *canon, char *order, size_t cap);
void invsync_refund_restock_cause(const invsync_envelope_t *ev,
    json_t *canon, json_t *line, const char *sku, char *cause, size_t cap);
int invsync_refund_restock_plan(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *line,
    const char *sku, invsync_restock_facts_t *f, json_t **lines, char **why);
void invsync_refund_facts_set(invsync_restock_facts_t *f, int released,
    const invsync_shipped_t *s, const char *sku, char *loc, size_t cap);
int invsync_refund_released_append(invsync_worker_t *w, const char *order);
int invsync_refund_released_reply(redisReply *r);

/* invsync_journal.c: journal.post */
json_t *invsync_journal_out(const invsync_envelope_t *ev, json_t *canon,
    json_t *costs, json_t *accounts, char *err, size_t len);
int invsync_journal_cost_append(invsync_worker_t *w, const char *sku);
int invsync_journal_cost_reply(redisReply *r, json_t *costs,
    const char *sku);
int invsync_journal_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *entries, invsync_journal_w_t *j);
void invsync_journal_args_free(invsync_journal_w_t *j);
invsync_act_rc_e invsync_journal_write_reply(redisReply *r, char *err,
    size_t len);


#endif /* INVSYNC_REFUND_STEPS_H_INCLUDED */
