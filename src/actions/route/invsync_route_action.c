
/*
 * The order.route row: after stock.reserve, an order's reservation goes
 * from unrouted to the locations the decision chose (invsync_route_decide,
 * the same code as the CLI's dry-run), applied by route.lua in one step
 * keyed by order and version.  The decision reads the ledger first; when
 * the stock changed before route.lua could apply it ("stale"), it reads
 * and decides again, INVSYNC_ROUTE_TRIES times, then the event is retried
 * later.  An order no rule can fill opens an "unroutable" exception with
 * the reason per line and waits in route:waiting (invsync_route_retry.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static invsync_act_rc_e invsync_route_once(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in, int again,
    char *err, size_t len);
static invsync_act_rc_e invsync_route_unroutable(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, char *err, size_t len);
static json_t *invsync_route_decision(const invsync_route_input_t *in,
    const invsync_route_result_t *res);
static invsync_act_rc_e invsync_route_apply(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, int again, char *err, size_t len);
static invsync_act_rc_e invsync_route_reply(redisReply *r, char *err,
    size_t len);


/* the row: only with "routing" in worker.json (the table's flag) */

invsync_act_rc_e
invsync_route_order(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    const char  *status;

    status = invsync_action_str(canon, "status");

    /* stock.release gave back what a cancelled order held, routed or not */
    if (status != NULL && strcmp(status, "cancelled") == 0) {
        return INVSYNC_ACT_APPLIED;
    }

    /* an operator's exceptions retry of an unroutable order decides
     * again; a replay or a duplicate does not */
    return invsync_route_run(w, ev, canon,
                             strncmp(ev->redelivery, "unroutable:", 11) == 0,
                             err, len);
}


invsync_act_rc_e
invsync_route_run(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, int again, char *err, size_t len)
{
    int                     i;
    invsync_act_rc_e        rc;
    invsync_route_input_t  *in;

    in = calloc(1, sizeof(invsync_route_input_t));

    if (in == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_route_input(w, ev->channel, canon, in, err, len);

    if (rc == INVSYNC_ACT_APPLIED && in->order.nlines == 0) {
        invsync_route_input_free(in);
        return INVSYNC_ACT_APPLIED;     /* nothing reserved, nothing to place */
    }

    for (i = 0; rc == INVSYNC_ACT_APPLIED && i < INVSYNC_ROUTE_TRIES; i++) {
        rc = invsync_route_once(w, ev, in, again, err, len);

        if (rc != INVSYNC_ACT_STALE) {
            break;
        }

        rc = INVSYNC_ACT_APPLIED;
    }

    if (i == INVSYNC_ROUTE_TRIES) {
        snprintf(err, len, "route: the stock of order %s changed under %d "
                 "decisions in a row", in->order_key, INVSYNC_ROUTE_TRIES);
        rc = INVSYNC_ACT_RETRY;
    }

    invsync_route_input_free(in);

    return rc;
}


/* read, decide, apply; INVSYNC_ACT_STALE: decide again */

static invsync_act_rc_e
invsync_route_once(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, int again, char *err, size_t len)
{
    invsync_act_rc_e        rc;
    invsync_route_result_t  res;

    rc = invsync_route_read(w, in, err, len);

    if (rc != INVSYNC_ACT_APPLIED) {
        return rc;
    }

    memset(&res, 0, sizeof(invsync_route_result_t));

    if (invsync_route_decide(w->conf->routing, &in->order,
                             invsync_route_free_at, in, &res, err, len)
        != 0)
    {
        invsync_route_result_free(&res);
        return INVSYNC_ACT_RETRY;
    }

    if (res.rc == INVSYNC_ROUTE_UNROUTABLE) {
        rc = invsync_route_unroutable(w, ev, in, &res, err, len);

        if (rc == INVSYNC_ACT_RETRY) {
            invsync_route_result_free(&res);
            return rc;
        }
    }

    rc = invsync_route_apply(w, ev, in, &res, again, err, len);

    if (res.rc == INVSYNC_ROUTE_UNROUTABLE && rc != INVSYNC_ACT_RETRY) {
        snprintf(err, len, "exception unroutable:%s", in->order_key);
        rc = INVSYNC_ACT_EXCEPTION;
    }

    invsync_route_result_free(&res);

    return rc;
}


/* opened before route.lua records the decision: a crash between re-opens */

static invsync_act_rc_e
invsync_route_unroutable(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, const invsync_route_result_t *res, char *err,
    size_t len)
{
    json_t            *data;
    const char        *oid;
    invsync_act_rc_e   rc;

    oid = in->order_key + strlen(ev->channel) + 1;
    data = json_pack("{s:s, s:O}", "order", in->order_key, "reasons",
                     json_object_get(res->trace, "unroutable")
                     ? json_object_get(res->trace, "unroutable")
                     : json_null());
    if (data == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_action_exception(w, ev, data, "unroutable", oid, oid,
                                  "no routing rule can fill the order",
                                  err, len);
    json_decref(data);

    return rc;
}


/* route.lua's ARGV[4] */

static json_t *
invsync_route_decision(const invsync_route_input_t *in,
    const invsync_route_result_t *res)
{
    char                          xid[512];
    size_t                        i;
    json_t                       *d, *lines;
    const invsync_route_alloc_t  *a;

    lines = json_array();

    for (i = 0; lines != NULL && i < res->nallocs; i++) {
        a = &res->allocs[i];
        json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:I}",
            "line", in->lines[a->line].line_id, "sku", in->lines[a->line].sku,
            "loc", a->location, "qty", (json_int_t) a->qty));
    }

    snprintf(xid, sizeof(xid), "unroutable:%s", in->order_key);

    d = json_pack("{s:s, s:I, s:s, s:b, s:b, s:s, s:o}",
                  "order", in->order_key, "version",
                  (json_int_t) in->version_ms, "seen",
                  invsync_action_str(in->snap, "seq")
                  ? invsync_action_str(in->snap, "seq") : "",
                  "backorder", res->rc == INVSYNC_ROUTE_BACKORDERED,
                  "unroutable", res->rc == INVSYNC_ROUTE_UNROUTABLE,
                  "exception", xid, "lines", lines);

    return d;
}


static invsync_act_rc_e
invsync_route_apply(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, const invsync_route_result_t *res, int again,
    char *err, size_t len)
{
    int          argc;
    char         done[INVSYNC_ACTION_KEY_LEN], audit[INVSYNC_ACTION_KEY_LEN];
    char         prefix[INVSYNC_ACTION_KEY_LEN], cause[1024];
    char         ttl[32], now[32], maxlen[32], *move, *trace;
    size_t       i, argvlen[32];
    json_t      *d, *t;
    const char  *argv[32];
    redisReply  *r;

    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(cause, sizeof(cause), "route:%s:%s%s%s", in->order_key,
             in->version, again ? ":" : "", again ? now : "");
    invsync_key(done, sizeof(done), w->conf, "done:ledger:%s", cause);
    invsync_key(audit, sizeof(audit), w->conf, "audit");
    invsync_key(prefix, sizeof(prefix), w->conf, "%s", "");
    snprintf(ttl, sizeof(ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    d = invsync_route_decision(in, res);
    t = res->trace;     /* the result's: freed with it */

    if (t != NULL) {
        json_object_set_new(t, "version", json_string(in->version));
    }

    move = d ? json_dumps(d, JSON_COMPACT) : NULL;
    trace = t ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(d);

    if (move == NULL || trace == NULL) {
        free(move);
        free(trace);
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    argc = 0;
    argv[argc++] = done;
    argv[argc++] = audit;
    argv[argc++] = ttl;
    argv[argc++] = now;
    argv[argc++] = prefix;
    argv[argc++] = move;
    argv[argc++] = maxlen;

#define invsync_field(k, v)  argv[argc++] = (k); argv[argc++] = (v)

    invsync_field("ts", now);
    invsync_field("action", "order.route");
    invsync_field("channel", ev->channel);
    invsync_field("event", ev->event);
    invsync_field("topic", ev->topic);
    invsync_field("stream", ev->stream);
    invsync_field("entry", ev->entry);
    invsync_field("order", in->order_key);
    invsync_field("inputs", trace);
    invsync_field("cause", cause);
    invsync_field("consumer", w->conf->consumer);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        argvlen[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->route_sha, invsync_script_route,
                           invsync_script_route_len, 2, argc, argv, argvlen);
    free(move);
    free(trace);

    return invsync_route_reply(r, err, len);
}


/* route.lua's answer; takes r (NULL: the connection was lost) */

static invsync_act_rc_e
invsync_route_reply(redisReply *r, char *err, size_t len)
{
    invsync_act_rc_e  rc;

    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        snprintf(err, len, "route: %s", r->type == REDIS_REPLY_ERROR
                                        ? r->str : "bad reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    if (r->element[0]->type == REDIS_REPLY_INTEGER) {
        rc = r->element[0]->integer == 0 ? INVSYNC_ACT_DUPLICATE
                                         : INVSYNC_ACT_APPLIED;

    } else if (strcmp(r->element[0]->str, "stale") == 0) {
        rc = INVSYNC_ACT_STALE;

    } else {
        rc = INVSYNC_ACT_DUPLICATE;     /* "older": a newer one is routed */
    }

    freeReplyObject(r);

    return rc;
}
