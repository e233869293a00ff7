
/*
 * One ledger.lua call (src/core/lua/ledger.lua): a stock movement keyed by
 * its cause, with its audit entry, run alone or appended to a pipeline.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


/* the arguments of one ledger.lua call */
typedef struct {
    char          done[INVSYNC_ACTION_KEY_LEN], audit[INVSYNC_ACTION_KEY_LEN];
    char          prefix[INVSYNC_ACTION_KEY_LEN], action[64], cause[1024];
    char          ttl[32], now[32], maxlen[32];
    char         *move;
    const char   *argv[32];
    size_t        argvlen[32];
    int           argc;
} invsync_move_args_t;


static int invsync_move_args(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *order, json_t *lines, invsync_move_args_t *a);
static int invsync_move_args_why(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *action, const char *order, json_t *lines, const char *why,
    invsync_move_args_t *a);
static invsync_act_rc_e invsync_move_run(invsync_worker_t *w,
    invsync_move_args_t *a, json_t **detail, char *err, size_t len);


/* one ledger.lua call; *detail (if asked) gets {moved, oversold} */

invsync_act_rc_e
invsync_stock_move(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *order, json_t *lines,
    json_t **detail, char *err, size_t len)
{
    invsync_move_args_t   a;

    if (invsync_move_args(w, ev, cause, kind, order, lines, &a) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    return invsync_move_run(w, &a, detail, err, len);
}


/*
 * The same under another audit action, with the decision that made it
 * (JSON text, borrowed) in the entry's "decision": a decision to move
 * nothing (lines empty) is recorded once under its cause too.
 */

invsync_act_rc_e
invsync_stock_move_why(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *action,
    const char *order, json_t *lines, const char *why, char *err,
    size_t len)
{
    invsync_move_args_t   a;

    if (invsync_move_args_why(w, ev, cause, kind, action, order, lines, why,
                              &a) != 0)
    {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    return invsync_move_run(w, &a, NULL, err, len);
}


/* the same appended to the pipeline (a batch of refunds); -1: no memory */

int
invsync_stock_move_why_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *action, const char *order, json_t *lines, const char *why)
{
    int                   rc;
    invsync_move_args_t   a;

    if (invsync_move_args_why(w, ev, cause, kind, action, order, lines, why,
                              &a) != 0)
    {
        return -1;
    }

    rc = invsync_redis_append_evalsha(w, w->ledger_sha, 2, a.argc, a.argv,
                                      a.argvlen);
    free(a.move);

    return rc;
}


/* a call's arguments under action, with its decision */
static int
invsync_move_args_why(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *action,
    const char *order, json_t *lines, const char *why,
    invsync_move_args_t *a)
{
    size_t  i;

    if (invsync_move_args(w, ev, cause, kind, order, lines, a) != 0) {
        return -1;
    }

    snprintf(a->action, sizeof(a->action), "%s", action);
    a->argv[a->argc++] = "decision";
    a->argv[a->argc++] = why;

    /* the lengths again: the action's changed */
    for (i = 0; i < (size_t) a->argc; i++) {
        a->argvlen[i] = strlen(a->argv[i]);
    }

    return 0;
}


/* runs the call a holds and frees its movement */
static invsync_act_rc_e
invsync_move_run(invsync_worker_t *w, invsync_move_args_t *a,
    json_t **detail, char *err, size_t len)
{
    redisReply  *r;

    r = invsync_redis_eval(w, w->ledger_sha, invsync_script_ledger,
                           invsync_script_ledger_len, 2, a->argc, a->argv,
                           a->argvlen);
    free(a->move);

    return invsync_stock_move_reply(r, detail, err, len);
}


/* the same call appended to the pipeline (-1: out of memory) */

int
invsync_stock_move_append(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *order, json_t *lines)
{
    int                   rc;
    invsync_move_args_t   a;

    if (invsync_move_args(w, ev, cause, kind, order, lines, &a) != 0) {
        return -1;
    }

    rc = invsync_redis_append_evalsha(w, w->ledger_sha, 2, a.argc, a.argv,
                                      a.argvlen);
    free(a.move);

    return rc;
}


/* ledger.lua's answer; takes r (NULL: the connection was lost) */

invsync_act_rc_e
invsync_stock_move_reply(redisReply *r, json_t **detail, char *err,
    size_t len)
{
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        snprintf(err, len, "ledger: %s", r->type == REDIS_REPLY_ERROR
                                         ? r->str : "bad reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    if (r->element[0]->integer == 0) {
        freeReplyObject(r);
        return INVSYNC_ACT_DUPLICATE;
    }

    if (detail != NULL && r->elements == 3) {
        *detail = json_loads(r->element[2]->str, 0, NULL);
    }

    freeReplyObject(r);

    return INVSYNC_ACT_APPLIED;
}


/* the arguments of one ledger.lua call; a->move is the caller's to free */

static int
invsync_move_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *order, json_t *lines,
    invsync_move_args_t *a)
{
    int      argc;
    size_t   i;
    json_t  *m;

    m = json_pack("{s:s, s:s, s:o}", "kind", kind, "order", order,
                  "lines", lines ? json_incref(lines) : json_array());

    a->move = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);

    if (a->move == NULL) {
        return -1;
    }

    invsync_key_done_ledger(a->done, sizeof(a->done), w->conf, cause);
    invsync_key_audit(a->audit, sizeof(a->audit), w->conf);
    invsync_key_prefix(a->prefix, sizeof(a->prefix), w->conf);
    snprintf(a->ttl, sizeof(a->ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(a->now, sizeof(a->now), "%lld", (long long) invsync_now_ms());
    snprintf(a->maxlen, sizeof(a->maxlen), "%ld", w->conf->audit_max_len);
    snprintf(a->action, sizeof(a->action), "stock.%s", kind);
    snprintf(a->cause, sizeof(a->cause), "%s", cause);

    argc = 0;
    a->argv[argc++] = a->done;
    a->argv[argc++] = a->audit;
    a->argv[argc++] = a->ttl;
    a->argv[argc++] = a->now;
    a->argv[argc++] = a->prefix;
    a->argv[argc++] = a->move;
    a->argv[argc++] = a->maxlen;

#define invsync_field(k, v)  a->argv[argc++] = (k); a->argv[argc++] = (v)

    invsync_field("ts", a->now);
    invsync_field("action", a->action);
    invsync_field("channel", ev->channel);
    invsync_field("event", ev->event);
    invsync_field("topic", ev->topic);
    invsync_field("stream", ev->stream);
    invsync_field("entry", ev->entry);
    invsync_field("order", order);
    invsync_field("inputs", a->move);
    invsync_field("cause", a->cause);
    invsync_field("consumer", w->conf->consumer);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        a->argvlen[i] = strlen(a->argv[i]);
    }

    a->argc = argc;

    return 0;
}
