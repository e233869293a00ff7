
/*
 * One polled order into <prefix>:orders: an envelope like the module's,
 * with an event id that makes a version polled twice one event.  Apart
 * from the rounds because this is where the poller writes to Redis.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_poll.h"


/*
 * One order: unless this version was added already (K polled:<channel>:
 * <id>), an envelope like the module's goes to <prefix>:orders, with the
 * event "poll:<id>:<version>" so that the same version polled twice is one
 * event.  The polled key is written after the XADD: a crash between them
 * only adds the version again, which the actions take as a duplicate.
 */

int
invsync_poll_order(invsync_worker_t *w, invsync_pollchan_t *pc,
    json_t *order)
{
    char               key[INVSYNC_KEY_LEN], event[INVSYNC_EVENT_LEN], *body;
    int64_t            ms;
    redisReply        *r;
    invsync_polled_t   po;

    /* id and version become parts of keys and of the event id */
    if (pc->ch->poll_order(&pc->call.ctx, order, &po) != 0
        || !invsync_poll_token(po.id) || strlen(po.version) > 64
        || !invsync_poll_token(po.version)
        || invsync_time_iso_ms(po.version, &ms) != 0)
    {
        invsync_log(INVSYNC_LOG_WARN, "polled order skipped: no usable id "
                    "or modification time",
                    json_pack("{s:s, s:s}", "channel", pc->conf->id,
                              "order", invsync_poll_token(po.id) ? po.id
                                                                 : "?"));
        return 0;
    }

    pc->rd.seen++;

    if (ms > pc->rd.newest_ms) {
        pc->rd.newest_ms = ms;
    }

    invsync_key_polled(key, sizeof(key), w->conf, pc->conf->id,
                       po.id);

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", key, NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_STRING && strcmp(r->str, po.version) == 0) {
        freeReplyObject(r);
        return 0;
    }

    freeReplyObject(r);

    body = json_dumps(order, JSON_COMPACT);
    if (body == NULL) {
        pc->rd.incomplete = 1;
        return 0;
    }

    snprintf(event, sizeof(event), "poll:%s:%s", po.id, po.version);

    r = invsync_envelope_add(w, "orders", pc->conf->id, pc->conf->type,
                             pc->account, po.topic, event, body);
    free(body);

    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_STRING) {
        invsync_log(INVSYNC_LOG_ERROR, "polled order not added",
                    json_pack("{s:s, s:s, s:s, s:s}", "channel",
                              pc->conf->id, "order", po.id, "stream", "orders",
                              "err", r->type == REDIS_REPLY_ERROR
                                     ? r->str : "unexpected reply"));
        freeReplyObject(r);
        pc->rd.incomplete = 1;
        return 0;
    }

    freeReplyObject(r);
    pc->rd.added++;

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", key, po.version,
                                               "EX", INVSYNC_POLL_POLLED_TTL,
                                               NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* printable ASCII without blanks: safe in a key and in the event id */

int
invsync_poll_token(const char *s)
{
    if (s == NULL || *s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (*s <= 0x20 || *s >= 0x7f) {
            return 0;
        }
    }

    return 1;
}
