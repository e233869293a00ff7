
/*
 * Re-routing: orders waiting for stock (route:waiting, unroutable or
 * backordered) are routed again, oldest first, once stock arrived.  The
 * ledger counts arrivals in route:arrived (a restock, an adjustment, a
 * count, a release, while some order waits); the worker reads that
 * counter at most every INVSYNC_ROUTE_CHECK_MS, one GET, and only when it
 * moved reads the set.  Each order is routed from its recorded canonical
 * state (order:<channel>:<id>), with a cause of its own per attempt
 * (route.lua's seq makes two workers' attempts at once safe); routed in
 * full, it leaves the set and its unroutable exception is resolved.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


#define INVSYNC_ROUTE_CHECK_MS  500
#define INVSYNC_ROUTE_BATCH     "50"    /* orders per turn, oldest first */


static int invsync_route_arrived(invsync_worker_t *w);


/* the worker's turn: 0, or -1 when the Redis session was lost */

int
invsync_route_waiting(invsync_worker_t *w)
{
    int               rc;
    char              key[INVSYNC_ACTION_KEY_LEN], err[INVSYNC_ERR_LEN];
    size_t            i;
    int64_t           now;
    const char       *argv[6];
    redisReply       *r;
    invsync_act_rc_e  arc;

    now = invsync_now_ms();

    if (w->conf->routing == NULL || now < w->next_route_ms) {
        return 0;
    }

    w->next_route_ms = now + INVSYNC_ROUTE_CHECK_MS;

    rc = invsync_route_arrived(w);

    if (rc <= 0) {
        return rc;
    }

    invsync_key_route_waiting(key, sizeof(key), w->conf);
    argv[0] = "ZRANGE";
    argv[1] = key;
    argv[2] = "0";
    argv[3] = INVSYNC_ROUTE_BATCH;
    argv[4] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        arc = invsync_route_again(w, r->element[i]->str, err, sizeof(err));

        if (arc == INVSYNC_ACT_RETRY && w->redis == NULL) {
            freeReplyObject(r);
            return -1;
        }

        invsync_log(arc == INVSYNC_ACT_RETRY ? INVSYNC_LOG_WARN
                                             : INVSYNC_LOG_INFO,
                    "order routed again",
                    json_pack("{s:s, s:s}", "order", r->element[i]->str,
                              "result", arc == INVSYNC_ACT_APPLIED
                                        ? "routed"
                                        : arc == INVSYNC_ACT_EXCEPTION
                                          ? "unroutable" : err));
    }

    freeReplyObject(r);

    return 0;
}


/* 1 when route:arrived moved since the last look (or it is the first) */

static int
invsync_route_arrived(invsync_worker_t *w)
{
    int          moved;
    char         key[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[3], *now;
    redisReply  *r;

    invsync_key_route_arrived(key, sizeof(key), w->conf);
    argv[0] = "GET";
    argv[1] = key;
    argv[2] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    now = r->type == REDIS_REPLY_STRING ? r->str : "";
    moved = !w->route_seen || strcmp(now, w->route_arrived) != 0;
    w->route_seen = 1;
    snprintf(w->route_arrived, sizeof(w->route_arrived), "%s", now);
    freeReplyObject(r);

    return moved;
}


/*
 * One waiting order ("<channel>:<order id>") routed again now, from its
 * recorded state; also invsyncctl route retry's, through the same path.
 * A cancelled or forgotten order leaves the set.
 */

invsync_act_rc_e
invsync_route_again(invsync_worker_t *w, const char *order, char *err,
    size_t len)
{
    int                  lost;
    char                 key[INVSYNC_ACTION_KEY_LEN], chan[INVSYNC_NAME_LEN];
    char                 event[300];
    json_t              *canon;
    const char          *argv[5], *colon, *status;
    redisReply          *r;
    invsync_act_rc_e     rc;
    invsync_envelope_t   ev;

    colon = strchr(order, ':');

    if (colon == NULL || (size_t) (colon - order) >= sizeof(chan)) {
        snprintf(err, len, "route: \"%s\" is not <channel>:<order id>",
                 order);
        return INVSYNC_ACT_POISON;
    }

    snprintf(chan, sizeof(chan), "%.*s", (int) (colon - order), order);
    canon = invsync_order_data(w, order, &lost);
    if (lost) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    status = invsync_action_str(canon, "status");

    if (canon == NULL || (status && strcmp(status, "cancelled") == 0)) {
        json_decref(canon);
        invsync_key_route_waiting(key, sizeof(key), w->conf);
        argv[0] = "ZREM";
        argv[1] = key;
        argv[2] = order;
        argv[3] = NULL;
        r = invsync_redis_cmdv(w, argv);
        freeReplyObject(r);
        snprintf(err, len, "route: order %s is gone or cancelled", order);
        return INVSYNC_ACT_IGNORED;
    }

    snprintf(event, sizeof(event), "reroute:%s", order);
    memset(&ev, 0, sizeof(invsync_envelope_t));
    ev.stream = "";
    ev.entry = "";
    ev.channel = chan;
    ev.scheme = "";
    ev.account = "";
    ev.topic = "route.again";
    ev.event = event;
    ev.version = 1;
    ev.redelivery = "";

    rc = invsync_route_run(w, &ev, canon, 1, err, len);
    json_decref(canon);

    return rc;
}
