
/*
 * What a refund attempt leaves behind: made (refund_out.lua's "told":
 * state created, or covered when the channel had refunded the units
 * itself, refund_ref, off K refundout:due, the refund.push audit entry,
 * in one script), or not made (its attempts and last_error, due again
 * after a backoff, or state refused and the refund_refused exception).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_refund_out.h"


int
invsync_refund_drv_told(invsync_worker_t *w, invsync_refundchan_t *rc)
{
    char         audit[INVSYNC_REFUND_KEY_LEN], prefix[INVSYNC_REFUND_KEY_LEN];
    char         now[32], maxlen[32];
    redisReply  *r;
    const char  *state, *argv[9];

    state = rc->r.step == INVSYNC_REFUND_DONE ? "created" : "covered";
    invsync_key_audit(audit, sizeof(audit), w->conf);
    invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    argv[0] = audit;
    argv[1] = "told";
    argv[2] = now;
    argv[3] = prefix;
    argv[4] = rc->r.cause;
    argv[5] = maxlen;
    argv[6] = state;
    argv[7] = rc->r.refund_id;
    argv[8] = w->conf->consumer;

    r = invsync_refund_out_eval(w, argv, 9);

    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_ERROR, "refund not recorded",
                    json_pack("{s:s, s:s, s:s}", "channel", rc->conf->id,
                              "cause", rc->r.cause, "err", r->str));
    }

    freeReplyObject(r);
    invsync_log(INVSYNC_LOG_INFO, rc->r.step == INVSYNC_REFUND_DONE
                                  ? "refund made on its channel"
                                  : "refund made by the channel itself",
                json_pack("{s:s, s:s, s:s, s:s}", "channel", rc->conf->id,
                          "cause", rc->r.cause, "order", rc->order,
                          "ref", rc->r.refund_id));

    return 0;
}


/*
 * An attempt that did not make the refund: refused (1) is state refused
 * and the exception at once; a failure (0) counts an attempt and is due
 * again after a backoff, refused on the INVSYNC_REFUND_ALARM-th;
 * throttled (-1) is due again after delay, uncounted.  -1 when Redis was
 * lost.
 */

int
invsync_refund_drv_failed(invsync_worker_t *w, invsync_refundchan_t *rc,
    const char *why, int refused, int64_t delay)
{
    char                 key[INVSYNC_REFUND_KEY_LEN];
    char                 due[INVSYNC_REFUND_KEY_LEN];
    char                 at[32], xid[INVSYNC_REFUND_KEY_LEN];
    long long            attempts;
    redisReply          *r;
    invsync_exception_t  x;

    invsync_key_refundout(key, sizeof(key), w->conf, rc->r.cause);
    invsync_key_refundout_due(due, sizeof(due), w->conf);
    attempts = 0;

    if (refused >= 0 && invsync_attempt_failed(w, key, why, &attempts) != 0) {
        return -1;
    }

    if (refused < 0) {
        /* as long as the channel asked */;

    } else if (refused || attempts >= INVSYNC_REFUND_ALARM) {
        delay = -1;

    } else {
        delay = invsync_backoff_ms(1000, (unsigned) attempts, 8, 0);
    }

    if (delay < 0) {
        r = invsync_redis_cmdv(w, (const char *[]) { "MULTI", NULL });
        freeReplyObject(r);
        r = invsync_redis_cmdv(w, (const char *[]) { "HSET", key, "state",
                               "refused", NULL });
        freeReplyObject(r);
        r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", due,
                               rc->r.cause, NULL });
        freeReplyObject(r);
        r = invsync_redis_cmdv(w, (const char *[]) { "EXEC", NULL });
    } else {
        snprintf(at, sizeof(at), "%lld",
                 (long long) (invsync_now_ms() + delay));
        r = invsync_redis_cmdv(w, (const char *[]) { "ZADD", due, "XX", at,
                               rc->r.cause, NULL });
    }

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    invsync_log(INVSYNC_LOG_WARN, delay < 0 ? "refund not made"
                                            : "refund retried",
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "channel",
                          rc->conf->id, "cause", rc->r.cause, "err", why,
                          "attempts", (json_int_t) attempts,
                          "delay_ms", (json_int_t) delay));

    if (delay >= 0) {
        return 0;
    }

    /* nothing was refunded; a person decides (invsyncctl refund retry) */
    snprintf(xid, sizeof(xid), "refund_refused:%s", rc->r.cause);
    memset(&x, 0, sizeof(x));
    x.id = xid;
    x.kind = "refund_refused";
    x.summary = why;
    x.channel = rc->conf->id;
    x.event = rc->r.cause;
    x.topic = "refund.push";
    x.stream = "";
    x.entry = "";
    x.order = rc->order;
    x.sku = "";
    x.consumer = w->conf->consumer;
    x.data = json_pack("{s:s, s:s, s:s, s:I, s:I}", "cause", rc->r.cause,
                       "order_id", rc->r.order_id, "err", why,
                       "attempts", (json_int_t) attempts, "shipping_minor",
                       (json_int_t) rc->r.shipping_minor);

    r = invsync_exception_open(w, &x);
    json_decref(x.data);

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
