
/*
 * The payment reference index (docs/keys.md, K payref:<ref>): each
 * reference of an order's "payments" names the order, so that a refund a
 * payment provider reports (which knows the charge, not the store's order)
 * finds the order it belongs to.  Written with order.record, one HSET per
 * reference, pipelined with the order's other commands in a batch.  The
 * same references tell whether a refund came first and waits for this
 * order (refund/invsync_refund_wait.c).
 *
 * Each order also adds its own field "claim:<channel>:<order id>" to the
 * hash, in the same HSET: a reference two orders name (the same order id
 * in two channels' "order:<id>", a transaction id reused) keeps both
 * claims, and a refund that finds it so is not applied to either
 * (invsync_refund_match.c, refund_ambiguous_payment).  The same order
 * naming it again sets the same field: one claim still.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"


/*
 * Appends one HSET per payment reference of canon (an order event) to the
 * pipeline: the number appended, or -1 when the session was lost.
 */

int
invsync_order_payref_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon)
{
    int           n;
    char          key[INVSYNC_ACTION_KEY_LEN];
    char          claim[INVSYNC_ACTION_KEY_LEN];
    size_t        i;
    json_t       *ref;
    const char   *oid, *argv[9];

    oid = invsync_action_str(canon, "order_id");
    n = 0;

    if (oid[0] == '\0') {
        return 0;
    }

    snprintf(claim, sizeof(claim), "claim:%s:%s", ev->channel, oid);

    json_array_foreach(json_object_get(canon, "payments"), i, ref) {
        if (!json_is_string(ref)
            || invsync_key_payref(key, sizeof(key), w->conf,
                                  json_string_value(ref)) == 0)
        {
            continue;   /* a reference too long for a key names nothing */
        }

        argv[0] = "HSET";
        argv[1] = key;
        argv[2] = "channel";
        argv[3] = ev->channel;
        argv[4] = "order";
        argv[5] = oid;
        argv[6] = claim;
        argv[7] = "1";
        argv[8] = NULL;

        if (invsync_redis_appendv(w, argv) != 0) {
            return -1;
        }

        n++;
    }

    return n;
}


/*
 * The n replies of invsync_order_payref_append(): 0, 1 when Redis refused
 * one (the order is to be tried again), -1 when the session was lost.
 */

int
invsync_order_payref_read(invsync_worker_t *w, int n, char *err, size_t len)
{
    int          i, bad;
    redisReply  *r;

    bad = 0;

    for (i = 0; i < n; i++) {
        r = invsync_redis_reply(w);
        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return -1;
        }

        if (r->type == REDIS_REPLY_ERROR && !bad) {
            snprintf(err, len, "redis: %s", r->str);
            bad = 1;
        }

        freeReplyObject(r);
    }

    return bad;
}


/* the index written for one order, alone */

invsync_act_rc_e
invsync_order_payref(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int  n;

    n = invsync_order_payref_append(w, ev, canon);

    if (n < 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    return invsync_order_payref_read(w, n, err, len) == 0
           ? INVSYNC_ACT_APPLIED : INVSYNC_ACT_RETRY;
}


/* a refund that came before this order runs now that it is recorded */

invsync_act_rc_e
invsync_order_refunds_waiting(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len)
{
    int  rc;

    if (invsync_refund_waiting_append(w, ev, canon) != 1) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_refund_waiting_read(w);

    if (rc < 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    return rc ? invsync_refund_recheck(w, ev, canon, err, len)
              : INVSYNC_ACT_APPLIED;
}
