
/*
 * The capabilities as a table, after Redis's command table: one row per
 * (canonical kind, action name, function, flags).  invsync_actions.c
 * holds the table and the dispatch; each capability is a folder beside it
 * (order/, stock/, refund/) whose functions are the rows.  This header is
 * what the rows share; the worker sees only invsync_runtime.h.
 */


#ifndef INVSYNC_ACTIONS_H_INCLUDED
#define INVSYNC_ACTIONS_H_INCLUDED


#include "invsync_runtime.h"


#define INVSYNC_ACTION_KEY_LEN  512
#define INVSYNC_STOCK_REFS      4       /* refs of a line read, at most */

/* the row's effect may be pipelined with the same rows of other events */
#define INVSYNC_ACT_BATCH       0x01
/* the row runs only with "routing" in worker.json */
#define INVSYNC_ACT_ROUTING     0x02


/* one effect of one canonical event, keyed by its cause */
typedef invsync_act_rc_e (*invsync_action_pt)(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

typedef struct {
    const char          *kind;      /* the canonical event's "kind" */
    const char          *name;      /* the audit's action, for the docs */
    invsync_action_pt    run;
    unsigned             flags;     /* INVSYNC_ACT_* */
    const char          *when;      /* a canonical member that must be
                                     * true (or a non-empty array) for
                                     * the row to run, or NULL */
    int                (*applies)(json_t *canon);
                                    /* or, where no one member says it,
                                     * the row's own test, or NULL: an
                                     * event a row would only pass over
                                     * is still pipelined */
} invsync_action_t;


/* invsync_actions.c: the table, rows of a kind in the order they run */
extern const invsync_action_t  invsync_actions[];

int invsync_action_batchable(const invsync_conf_t *conf, json_t *canon);

/* invsync_apply.c: apply.lua, exceptions, canonical members */
invsync_act_rc_e invsync_action_apply(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, invsync_effect_t *fx,
    char *err, size_t len);
int invsync_action_apply_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, invsync_effect_t *fx);
int invsync_action_apply_append_with(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, invsync_effect_t *fx,
    const char *sha, const char **keys, int nkeys, const char **args,
    int nargs);
invsync_act_rc_e invsync_action_apply_reply(redisReply *r, char *err,
    size_t len);
const char *invsync_action_str(json_t *obj, const char *key);
int64_t invsync_action_int(json_t *obj, const char *key, int64_t dflt);

/* order/invsync_order.c */
int invsync_order_effect(const invsync_envelope_t *ev, json_t *canon,
    invsync_effect_t *fx, char *state, size_t cap, json_t *inputs);
invsync_act_rc_e invsync_order_record(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_order_ship(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_fulfil_record(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_fulfil_ship(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

/* route/invsync_route_action.c: the order's reservation to locations */
invsync_act_rc_e invsync_route_order(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);


/* order/invsync_order_payref.c: K payref:<ref> -> the order */
int invsync_order_payref_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon);
int invsync_order_payref_read(invsync_worker_t *w, int n, char *err,
    size_t len);
invsync_act_rc_e invsync_order_payref(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_order_refunds_waiting(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

/* refund/: a refund's order, its record, the refunds an order carries */
typedef struct {
    char        channel[128];
    char        id[256];
    char        by[256];        /* "order_id", or the payment reference */
    json_t     *data;           /* the recorded canonical order (new) */
    char        ambiguous[512]; /* AMBIGUOUS: "<ref> (<claimants>)" */
} invsync_refund_order_t;

/* what matching a refund to its order found */
typedef enum {
    INVSYNC_REFUND_MATCH_FAILED = -1,   /* Redis failed: err */
    INVSYNC_REFUND_MATCH_NONE = 0,      /* no recorded order matches */
    INVSYNC_REFUND_MATCH_FOUND = 1,     /* o filled, o->data new */
    INVSYNC_REFUND_MATCH_AMBIGUOUS = 2  /* none; a reference two or more
                                         * orders claim: o->ambiguous */
} invsync_refund_match_e;

invsync_refund_match_e invsync_refund_match(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, invsync_refund_order_t *o,
    char *err, size_t len);
invsync_refund_match_e invsync_refund_order_data(invsync_worker_t *w,
    invsync_refund_order_t *o, char *err, size_t len);

/* refund/invsync_refund_batch.c: the refunds of one read, pipelined */
typedef struct {
    const invsync_envelope_t  *ev;      /* the caller's */
    json_t                    *canon;   /* the caller's */
    invsync_act_rc_e           rc;      /* the refund's result */
    char                       err[INVSYNC_ERR_LEN];
} invsync_refund_in_t;

int invsync_refund_batch(invsync_worker_t *w, invsync_refund_in_t *in,
    size_t n);

/* refund/invsync_refund_read.c: a refund whose lines are read from the API */
int invsync_refund_read_due(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *r);

/* refund/invsync_refund_checks.c: the cases a refund leaves to a person */
invsync_act_rc_e invsync_refund_check_currency(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon,
    const invsync_refund_order_t *o, char *err, size_t len);
invsync_act_rc_e invsync_refund_check_lines(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_refund_sku_unmapped(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *line,
    const char *order, const char *line_id, char *err, size_t len);

/* fulfil/invsync_fulfil_3pl.c: a 3PL's shipment notice */
invsync_act_rc_e invsync_fulfil_3pl_confirm(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

invsync_act_rc_e invsync_refund_record(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
/* refund/invsync_journal.c: the refund's journal entries, once each */
invsync_act_rc_e invsync_journal_post(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_refund_of_order(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

/* refund/invsync_refund_restock.c: the refund's lines by the rules */
invsync_act_rc_e invsync_stock_restock(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

/* refund/invsync_return_channel.c: a channel's return, announced or
 * ended; a disposition of its units */
invsync_act_rc_e invsync_return_announce(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_return_dispose(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

/* refund/invsync_return_event.c: a 3PL's return notice, received */
invsync_act_rc_e invsync_return_event(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);

/* refund/invsync_refund_wait.c: refunds waiting for their order */
int invsync_refund_wait(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *xid);
int invsync_refund_found(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *oid);
void invsync_refund_wait_id(char *dst, size_t cap,
    const invsync_envelope_t *ev);
int invsync_refund_waiting_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *order);
int invsync_refund_waiting_read(invsync_worker_t *w);
invsync_act_rc_e invsync_refund_recheck(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *order, char *err, size_t len);

/* stock/invsync_stock_level.c: the row; stock/invsync_stock_observe.c */
invsync_act_rc_e invsync_stock_level(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_stock_observe(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, size_t part, char *err,
    size_t len);
const char *invsync_stock_location(invsync_worker_t *w,
    const invsync_channel_conf_t *ch);

/* stock/invsync_stock_hold.c: a notice that waits for the next poll */
int invsync_stock_hold(invsync_worker_t *w, const invsync_envelope_t *ev,
    const invsync_channel_conf_t *ch, const char *sku, int64_t shown,
    int64_t expected, int bundle);
const char *invsync_stock_held_event(const char *event, int *n);

/* stock/invsync_stock_move.c: an order's, a shipment's, a refund's lines */
invsync_act_rc_e invsync_stock_order(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
invsync_act_rc_e invsync_stock_ship(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, const char *cause_id,
    char *err, size_t len);
const char *invsync_stock_line_id(json_t *line, size_t i, char *id,
    size_t cap);
invsync_act_rc_e invsync_stock_unmapped(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *oid, const char *line_id,
    json_t *line, char *err, size_t len);
invsync_act_rc_e invsync_stock_oversold(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *oid, json_t *detail,
    char *err, size_t len);
const char *invsync_stock_str(json_t *obj, const char *key, char *buf,
    size_t cap);

/* stock/invsync_stock_ref.c: canonical SKUs by skuref */
int invsync_stock_map(invsync_worker_t *w, const char *channel, json_t *obj,
    char *sku, size_t cap);
int invsync_stock_ref(invsync_worker_t *w, const char *channel,
    const char *ref, char *sku, size_t cap);
size_t invsync_stock_refs(json_t *obj,
    char refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN]);
int invsync_stock_ref_append(invsync_worker_t *w, const char *channel,
    const char *ref);
int invsync_stock_refs_append(invsync_worker_t *w, const char *channel,
    char refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN], size_t n);
int invsync_stock_refs_read(invsync_worker_t *w, size_t n, char *sku,
    size_t cap);
int invsync_sku_tags(invsync_worker_t *w, const char *sku, json_t **tags);
int invsync_sku_tags_append(invsync_worker_t *w, const char *sku);
int invsync_sku_tags_reply(redisReply *r, json_t **tags);
int invsync_stock_ref_reply(redisReply *r, char *sku, size_t cap);

/* stock/invsync_ledger.c: ledger.lua */
invsync_act_rc_e invsync_stock_move(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *order, json_t *lines, json_t **detail, char *err,
    size_t len);
int invsync_stock_move_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *order, json_t *lines);
invsync_act_rc_e invsync_stock_move_why(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *action, const char *order, json_t *lines, const char *why,
    char *err, size_t len);
int invsync_stock_move_why_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *action, const char *order, json_t *lines, const char *why);
invsync_act_rc_e invsync_stock_move_reply(redisReply *r, json_t **detail,
    char *err, size_t len);


#endif /* INVSYNC_ACTIONS_H_INCLUDED */
