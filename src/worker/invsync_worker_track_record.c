
/*
 * What a tracking attempt leaves behind: a shipment told (state tracked,
 * tracked_ref, off K track:due, the shipment.track audit entry, in one
 * MULTI; its tracking_push_failed exception resolved), or not told
 * (its attempts and last_error, due again after a backoff, or the
 * tracking_push_failed exception).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_track.h"


/* told: tracked, its ref, off the due set, the audit entry */

int
invsync_track_told(invsync_worker_t *w, invsync_trackslot_t *ts)
{
    char         key[INVSYNC_KEY_LEN], due[INVSYNC_KEY_LEN];
    char         audit[INVSYNC_KEY_LEN], now[32], maxlen[32], order[200];
    char         xid[INVSYNC_KEY_LEN];
    redisReply  *r;

    invsync_key_shipment(key, sizeof(key), w->conf, ts->s.id);
    invsync_key_track_due(due, sizeof(due), w->conf);
    invsync_key_audit(audit, sizeof(audit), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);
    snprintf(order, sizeof(order), "%s:%s", ts->tc->conf->id, ts->s.order_id);

    r = invsync_redis_cmdv(w, (const char *[]) { "MULTI", NULL });
    freeReplyObject(r);
    r = invsync_redis_cmdv(w, (const char *[]) { "HSET", key, "state",
                           "tracked", "tracked_ref", ts->s.ref,
                           "last_error", "", NULL });
    freeReplyObject(r);
    r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", due, ts->s.id,
                           NULL });
    freeReplyObject(r);
    r = invsync_redis_cmdv(w, (const char *[]) { "XADD", audit, "MAXLEN",
                           "~", maxlen, "*", "result", "applied", "ts", now,
                           "action", "shipment.track", "channel",
                           ts->tc->conf->id, "event", ts->s.id, "order", order,
                           "shipment", ts->s.id, "tracking", ts->s.tracking,
                           "tracked_ref", ts->s.ref, "consumer",
                           w->conf->consumer, NULL });
    freeReplyObject(r);
    r = invsync_redis_cmdv(w, (const char *[]) { "EXEC", NULL });

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    /* an attempt failed before: its tracking_push_failed, if one was
     * opened, is resolved, its cause gone (a retry went through) */
    if (ts->attempts > 0) {
        snprintf(xid, sizeof(xid), "tracking_push_failed:%s", ts->s.id);

        if (invsync_exception_resolve(w, xid, ts->tc->conf->id, ts->s.id,
                                      "told: the channel acknowledged the "
                                      "tracking") != 0)
        {
            return -1;
        }
    }

    invsync_log(INVSYNC_LOG_INFO, "shipment told to its channel",
                json_pack("{s:s, s:s, s:s}", "channel", ts->tc->conf->id,
                          "shipment", ts->s.id, "ref", ts->s.ref));

    return 0;
}


/*
 * An attempt that did not tell: refused (1) opens the exception at once
 * and takes the shipment off the due set; a failure (0) counts an attempt
 * and is due again after a backoff, the exception on the
 * INVSYNC_TRACK_ALARM-th; throttled (-1) is due again after delay,
 * uncounted.  -1 when Redis was lost.
 */

int
invsync_track_failed(invsync_worker_t *w, invsync_trackslot_t *ts,
    const char *why, int refused, int64_t delay)
{
    char                 key[INVSYNC_KEY_LEN], due[INVSYNC_KEY_LEN];
    char                 at[32], xid[INVSYNC_KEY_LEN], order[200];
    long long            attempts;
    redisReply          *r;
    invsync_exception_t  x;

    invsync_key_shipment(key, sizeof(key), w->conf, ts->s.id);
    invsync_key_track_due(due, sizeof(due), w->conf);
    attempts = 0;

    if (refused >= 0 && invsync_attempt_failed(w, key, why, &attempts) != 0) {
        return -1;
    }

    if (refused < 0) {
        /* as long as the channel asked */;

    } else if (refused || attempts >= INVSYNC_TRACK_ALARM) {
        delay = -1;

    } else {
        delay = invsync_backoff_ms(1000, (unsigned) attempts, 8, 0);
    }

    if (delay < 0) {
        r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", due, ts->s.id,
                               NULL });
    } else {
        snprintf(at, sizeof(at), "%lld",
                 (long long) (invsync_now_ms() + delay));
        r = invsync_redis_cmdv(w, (const char *[]) { "ZADD", due, "XX", at,
                               ts->s.id, NULL });
    }

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    invsync_log(INVSYNC_LOG_WARN, delay < 0 ? "shipment not told"
                                            : "shipment tracking retried",
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "channel",
                          ts->tc->conf->id, "shipment", ts->s.id, "err", why,
                          "attempts", (json_int_t) attempts,
                          "delay_ms", (json_int_t) delay));

    if (delay >= 0) {
        return 0;
    }

    /* the shipment stays shipped; a person decides (retry: invsyncctl) */
    snprintf(xid, sizeof(xid), "tracking_push_failed:%s", ts->s.id);
    snprintf(order, sizeof(order), "%s:%s", ts->tc->conf->id, ts->s.order_id);
    memset(&x, 0, sizeof(x));
    x.id = xid;
    x.kind = "tracking_push_failed";
    x.summary = why;
    x.channel = ts->tc->conf->id;
    x.event = ts->s.id;
    x.topic = "shipment.track";
    x.stream = "";
    x.entry = "";
    x.order = order;
    x.sku = "";
    x.consumer = w->conf->consumer;
    x.data = json_pack("{s:s, s:s, s:s, s:I}", "shipment", ts->s.id,
                       "tracking", ts->s.tracking, "err", why,
                       "attempts", (json_int_t) attempts);

    r = invsync_exception_open(w, &x);
    json_decref(x.data);

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
