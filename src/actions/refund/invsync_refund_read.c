
/*
 * A refund an order event names without its lines, on a channel that can
 * read an order's refunds (refunds_build), is not decided
 * from its amount alone: the order goes to K refundread:due, the refund
 * reader (src/worker/invsync_worker_refunds.c) reads its refunds from the
 * API and adds each, with its lines, to <prefix>:refunds, where the
 * refund rows record it.  docs/returns.md, "Refunds read from the
 * channel's API".
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"


/*
 * 1 when refund r of the order event ev is left to the reader (due, or
 * recorded already by an earlier read), 0 when refund.record is to decide
 * it here, -1 when Redis failed.
 */

int
invsync_refund_read_due(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *r)
{
    char                           key[INVSYNC_ACTION_KEY_LEN];
    char                           state[INVSYNC_ACTION_KEY_LEN];
    char                           member[INVSYNC_ACTION_KEY_LEN];
    char                           now[32];
    long long                      had;
    const char                    *oid, *rid;
    redisReply                    *x;
    const invsync_channel_conf_t  *cc;

    cc = invsync_conf_channel(w->conf, ev->channel);
    oid = invsync_action_str(r, "order_id");
    rid = invsync_action_str(r, "refund_id");

    if (cc == NULL || cc->api_base == NULL
        || !invsync_channel_can(invsync_channel_find(cc->type), refunds_build)
        || json_array_size(json_object_get(r, "lines")) > 0
        || invsync_action_int(r, "amount_minor", 0) <= 0
        || oid[0] == '\0' || rid[0] == '\0')
    {
        return 0;
    }

    /* read before: the refund's own event recorded it */
    snprintf(state, sizeof(state), "refund:%s:%s", ev->channel, rid);
    invsync_key_state(key, sizeof(key), w->conf, state);

    x = invsync_redis_cmdv(w, (const char *[]) { "EXISTS", key, NULL });
    if (x == NULL) {
        return -1;
    }

    had = x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
    freeReplyObject(x);

    if (had) {
        return 1;
    }

    snprintf(member, sizeof(member), "%s:%s", ev->channel, oid);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    invsync_key_refundread_due(key, sizeof(key), w->conf);

    /* NX: an order already due (or being read) keeps its place */
    x = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "NX", now,
                           member, NULL });
    if (x == NULL) {
        return -1;
    }

    freeReplyObject(x);

    return 1;
}
