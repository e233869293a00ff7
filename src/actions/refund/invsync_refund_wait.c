
/*
 * Refunds that arrived before their order (docs/keys.md, K refundwait:).
 * A refund whose order is unknown opens refund_unknown_order and waits,
 * with its envelope, under each reference its order could arrive with:
 * "own:<channel>:<order id>" (its own channel's order) and "pay:<ref>"
 * for each payment reference.  An order recorded later asks, in the same
 * pipeline as its other commands, whether any of its references has a
 * refund waiting (SMISMEMBER K refundwaits); one that has runs the refund
 * again (refund.record, stock.restock) and resolves its exception.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


#define INVSYNC_WAIT_REFS  8


static size_t invsync_refund_wait_refs(const char *channel, const char *oid,
    json_t *canon, const char *list,
    char refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN]);
static invsync_act_rc_e invsync_refund_rerun(invsync_worker_t *w,
    const char *ref, const char *xid, const char *text, char *err,
    size_t len);
static int invsync_refund_unwait(invsync_worker_t *w, const char *ref,
    const char *xid);
static invsync_act_rc_e invsync_refund_follow(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
static int invsync_refund_cmd_ok(invsync_worker_t *w, const char **argv);


/*
 * The references a refund waits under ("payment_refs" of a refund) or an
 * order arrives with ("payments" of an order), in refs; their number.
 * oid: the event's own order id ("" none).
 */
static size_t
invsync_refund_wait_refs(const char *channel, const char *oid,
    json_t *canon, const char *list,
    char refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN])
{
    size_t   i, n;
    json_t  *ref;

    n = 0;

    if (oid[0] != '\0') {
        snprintf(refs[n++], INVSYNC_REF_LEN, "own:%s:%s", channel, oid);
    }

    json_array_foreach(json_object_get(canon, list), i, ref) {
        if (json_is_string(ref) && n < INVSYNC_WAIT_REFS) {
            snprintf(refs[n++], INVSYNC_REF_LEN, "pay:%s",
                     json_string_value(ref));
        }
    }

    return n;
}


/*
 * The refund canon (of ev, whose order is unknown) waits for its order as
 * exception xid.  0, or -1 when Redis failed.
 */

int
invsync_refund_wait(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *xid)
{
    int          rc;
    char         refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN];
    char         key[INVSYNC_ACTION_KEY_LEN], set[INVSYNC_ACTION_KEY_LEN];
    char        *text;
    size_t       i, n;
    json_t      *w8;
    const char  *argv[6];

    n = invsync_refund_wait_refs(ev->channel,
        invsync_action_str(canon, "order_id"), canon, "payment_refs", refs);

    w8 = json_pack("{s:O, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
                   "refund", canon, "envelope", "stream", ev->stream,
                   "entry", ev->entry, "channel", ev->channel,
                   "scheme", ev->scheme, "account", ev->account,
                   "topic", ev->topic, "event", ev->event);
    text = w8 ? json_dumps(w8, JSON_COMPACT) : NULL;
    json_decref(w8);

    if (text == NULL) {
        return -1;
    }

    invsync_key_refundwaits(set, sizeof(set), w->conf);
    rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        invsync_key_refundwait(key, sizeof(key), w->conf, refs[i]);

        argv[0] = "HSET";
        argv[1] = key;
        argv[2] = xid;
        argv[3] = text;
        argv[4] = NULL;

        rc = invsync_refund_cmd_ok(w, argv);

        argv[0] = "SADD";
        argv[1] = set;
        argv[2] = refs[i];
        argv[3] = NULL;

        if (rc == 0) {
            rc = invsync_refund_cmd_ok(w, argv);
        }
    }

    free(text);

    return rc;
}


/* the id of the exception a refund of ev waits as (the one
 * invsync_action_exception() gives refund_unknown_order) */

void
invsync_refund_wait_id(char *dst, size_t cap, const invsync_envelope_t *ev)
{
    snprintf(dst, cap, "refund_unknown_order:%s:%s", ev->channel, ev->event);
}


/*
 * The refund canon of ev, delivered on its own stream entry, has found
 * its order and is recorded.  Had an earlier attempt of it waited as
 * refund_unknown_order (its worker killed after the exception opened, or
 * the order recorded between its look and its wait, so that the order's
 * look for waiting refunds missed it), the exception is resolved and the
 * refund waits no longer under its references (oid: its own order id, as
 * the event gave it).  Only after the refund is recorded: its entry, not
 * acknowledged yet, gives it again if the worker dies before the rows
 * after it are done.  Not for a refund the order's look runs again
 * (invsync_refund_rerun()): it stops waiting only once all its rows are
 * done.  One EXISTS when it never waited.  0, or -1 when Redis failed.
 */

int
invsync_refund_found(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *oid)
{
    char         refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN];
    char         xid[INVSYNC_ACTION_KEY_LEN], key[INVSYNC_ACTION_KEY_LEN];
    size_t       i, n;
    const char  *argv[3];
    redisReply  *r;
    long long    was;

    invsync_refund_wait_id(xid, sizeof(xid), ev);
    invsync_key_exception(key, sizeof(key), w->conf, xid);

    argv[0] = "EXISTS";
    argv[1] = key;
    argv[2] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        return -1;
    }

    was = r->integer;
    freeReplyObject(r);

    if (was == 0) {
        return 0;
    }

    /* as invsync_refund_rerun(): resolved first, then no longer waiting */
    if (invsync_exception_resolve(w, xid, ev->channel, ev->event,
                                  "its order arrived") != 0)
    {
        return -1;
    }

    n = invsync_refund_wait_refs(ev->channel, oid, canon, "payment_refs",
                                 refs);

    for (i = 0; i < n; i++) {
        if (invsync_refund_unwait(w, refs[i], xid) != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * Appends SMISMEMBER K refundwaits <the order's references> to the
 * pipeline: 1 appended, -1 when the session was lost.
 */

int
invsync_refund_waiting_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *order)
{
    char         refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN];
    char         set[INVSYNC_ACTION_KEY_LEN];
    size_t       i, n;
    const char  *argv[INVSYNC_WAIT_REFS + 3];

    n = invsync_refund_wait_refs(ev->channel,
        invsync_action_str(order, "order_id"), order, "payments", refs);
    invsync_key_refundwaits(set, sizeof(set), w->conf);

    argv[0] = "SMISMEMBER";
    argv[1] = set;
    argv[2] = "-";      /* never a reference: the command needs a member */

    for (i = 0; i < n; i++) {
        argv[3 + i] = refs[i];
    }

    argv[3 + n] = NULL;

    return invsync_redis_appendv(w, argv) == 0 ? 1 : -1;
}


/* its reply: 1 when a refund waits for the order, 0 none, -1 lost */

int
invsync_refund_waiting_read(invsync_worker_t *w)
{
    int          any;
    size_t       i;
    redisReply  *r;

    r = invsync_redis_reply(w);
    if (r == NULL) {
        return -1;
    }

    any = 0;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        any |= r->element[i]->type == REDIS_REPLY_INTEGER
               && r->element[i]->integer == 1;
    }

    freeReplyObject(r);

    return any;
}


/*
 * The order (canon of ev) is recorded: every refund waiting under one of
 * its references runs again.  APPLIED, or RETRY with err.
 */

invsync_act_rc_e
invsync_refund_recheck(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *order, char *err, size_t len)
{
    char              refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN];
    char              key[INVSYNC_ACTION_KEY_LEN];
    size_t            i, k, n;
    const char       *argv[3];
    redisReply       *r;
    invsync_act_rc_e  rc;

    n = invsync_refund_wait_refs(ev->channel,
        invsync_action_str(order, "order_id"), order, "payments", refs);

    for (i = 0; i < n; i++) {
        invsync_key_refundwait(key, sizeof(key), w->conf, refs[i]);

        argv[0] = "HGETALL";
        argv[1] = key;
        argv[2] = NULL;

        r = invsync_redis_cmdv(w, argv);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
            snprintf(err, len, "redis: %s", r && r->type == REDIS_REPLY_ERROR
                                            ? r->str : "HGETALL failed");
            freeReplyObject(r);
            return INVSYNC_ACT_RETRY;
        }

        for (k = 0; k + 1 < r->elements; k += 2) {
            rc = invsync_refund_rerun(w, refs[i], r->element[k]->str,
                                      r->element[k + 1]->str, err, len);
            if (rc == INVSYNC_ACT_RETRY) {
                freeReplyObject(r);
                return rc;
            }
        }

        freeReplyObject(r);
    }

    return INVSYNC_ACT_APPLIED;
}


/*
 * One waiting refund (text: {refund, envelope}) run again as its own
 * event; unless Redis failed, it waits no longer (under any reference)
 * and its exception is resolved: it found its order, or opened the
 * exception its order now calls for.
 */
static invsync_act_rc_e
invsync_refund_rerun(invsync_worker_t *w, const char *ref, const char *xid,
    const char *text, char *err, size_t len)
{
    char                 refs[INVSYNC_WAIT_REFS][INVSYNC_REF_LEN];
    size_t               i, n;
    json_t              *wait, *canon, *env;
    invsync_act_rc_e     rc;
    invsync_envelope_t   ev;

    wait = json_loads(text, 0, NULL);
    canon = json_object_get(wait, "refund");
    env = json_object_get(wait, "envelope");

    if (!json_is_object(canon) || !json_is_object(env)) {
        json_decref(wait);
        return invsync_refund_unwait(w, ref, xid) == 0 ? INVSYNC_ACT_APPLIED
                                                       : INVSYNC_ACT_RETRY;
    }

    memset(&ev, 0, sizeof(invsync_envelope_t));
    ev.stream = invsync_action_str(env, "stream");
    ev.entry = invsync_action_str(env, "entry");
    ev.channel = invsync_action_str(env, "channel");
    ev.scheme = invsync_action_str(env, "scheme");
    ev.account = invsync_action_str(env, "account");
    ev.topic = invsync_action_str(env, "topic");
    ev.event = invsync_action_str(env, "event");
    ev.redelivery = xid;
    ev.version = 1;

    rc = invsync_refund_record(w, &ev, canon, err, len);

    if (rc == INVSYNC_ACT_APPLIED || rc == INVSYNC_ACT_DUPLICATE) {
        rc = invsync_refund_follow(w, &ev, canon, err, len);
    }

    /* still unknown (the index named another order): keep waiting */
    if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON
        || json_object_get(canon, "matched_by") == NULL)
    {
        json_decref(wait);
        return rc == INVSYNC_ACT_RETRY ? rc : INVSYNC_ACT_APPLIED;
    }

    /*
     * The exception is resolved before the refund waits no longer: a
     * worker killed between the two leaves a wait, which the order's
     * redelivery runs again (a duplicate, and a resolve that finds it
     * resolved), never a wait gone with its exception still open (as
     * the other way round did: the fault run, 2 refunds in 1,500)
     */
    rc = INVSYNC_ACT_APPLIED;

    if (invsync_exception_resolve(w, xid, ev.channel, ev.event,
                                  "its order arrived") != 0)
    {
        rc = INVSYNC_ACT_RETRY;
    }

    n = invsync_refund_wait_refs(ev.channel,
        invsync_action_str(canon, "order_id"), canon, "payment_refs", refs);

    for (i = 0; i < n && rc == INVSYNC_ACT_APPLIED; i++) {
        if (invsync_refund_unwait(w, refs[i], xid) != 0) {
            rc = INVSYNC_ACT_RETRY;
        }
    }

    if (rc == INVSYNC_ACT_APPLIED && invsync_refund_unwait(w, ref, xid) != 0) {
        rc = INVSYNC_ACT_RETRY;
    }

    json_decref(wait);

    if (rc == INVSYNC_ACT_RETRY) {
        snprintf(err, len, "redis connection lost");
    }

    return rc;
}


/*
 * The refund rows after refund.record, as the action table runs them:
 * refund.check, stock.restock, journal.post; an exception of one does
 * not stop the next.  The worst result.
 */
static invsync_act_rc_e
invsync_refund_follow(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    invsync_act_rc_e  rc, worst;

    worst = INVSYNC_ACT_APPLIED;

    rc = invsync_refund_check_lines(w, ev, canon, err, len);
    if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
        return rc;
    }

    worst = rc;

    rc = invsync_stock_restock(w, ev, canon, err, len);
    if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
        return rc;
    }

    worst = (rc == INVSYNC_ACT_EXCEPTION) ? rc : worst;

    rc = invsync_journal_post(w, ev, canon, err, len);

    return (rc == INVSYNC_ACT_APPLIED) ? worst : rc;
}


/* xid waits under ref no longer; the ref leaves K refundwaits if empty */
static int
invsync_refund_unwait(invsync_worker_t *w, const char *ref, const char *xid)
{
    char          key[INVSYNC_ACTION_KEY_LEN], set[INVSYNC_ACTION_KEY_LEN];
    const char   *argv[4];
    redisReply   *r;
    long long     left;

    invsync_key_refundwait(key, sizeof(key), w->conf, ref);
    invsync_key_refundwaits(set, sizeof(set), w->conf);

    argv[0] = "HDEL";
    argv[1] = key;
    argv[2] = xid;
    argv[3] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    argv[0] = "HLEN";
    argv[2] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        return -1;
    }

    left = r->integer;
    freeReplyObject(r);

    if (left > 0) {
        return 0;
    }

    argv[0] = "SREM";
    argv[1] = set;
    argv[2] = ref;
    argv[3] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* a command whose reply is not an error: 0, else -1 */
static int
invsync_refund_cmd_ok(invsync_worker_t *w, const char **argv)
{
    int          rc;
    redisReply  *r;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    rc = (r->type == REDIS_REPLY_ERROR) ? -1 : 0;
    freeReplyObject(r);

    return rc;
}
