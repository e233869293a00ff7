
/*
 * What a difference becomes: an audited stock.drift handed to the pusher,
 * or, for an item the channel does not know, one item_missing exception.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_reconcile_pass.h"


/*
 * One drift: its audit entry (stock.drift), and the SKU handed to the
 * pusher, in one MULTI.  By default the pusher is told what the channel
 * really shows (K shown), so that it differs from the ledger and is sent.
 * A channel whose admin changes are corrections keeps its K shown: the
 * change's webhook may still come, and its correction is measured from
 * K shown; the push is forced instead (K force).  0, -1 Redis lost.
 */

int
invsync_reconcile_drift(invsync_worker_t *w, invsync_reconcile_t *rc,
    invsync_read_item_t *it, int64_t should, const char *shown)
{
    int          tracked;
    char         audit[INVSYNC_KEY_LEN], key[INVSYNC_KEY_LEN];
    char         skey[INVSYNC_KEY_LEN], now[32], maxlen[32];
    char         shows[32], want[32], *inputs;
    json_t      *in;
    redisReply  *r, *x;

    tracked = it->read == INVSYNC_READ_SHOWS;

    invsync_key_audit(audit, sizeof(audit), w->conf);
    invsync_key_shown(skey, sizeof(skey), w->conf, rc->conf->id);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);
    snprintf(want, sizeof(want), "%lld", (long long) should);
    snprintf(shows, sizeof(shows), "%lld", (long long) it->shows);

    in = json_pack("{s:o, s:I, s:o, s:s}",
                   "shows", tracked ? json_integer(it->shows) : json_null(),
                   "should_show", (json_int_t) should,
                   "shown", shown[0] ? json_integer(strtoll(shown, NULL, 10))
                                     : json_null(),
                   "mode", rc->conf->rules.correct ? "force" : "shown");
    inputs = in ? json_dumps(in, JSON_COMPACT) : NULL;
    json_decref(in);

    if (inputs == NULL) {
        return 0;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "MULTI", NULL });
    freeReplyObject(r);

    r = invsync_redis_cmdv(w, (const char *[]) {
            "XADD", audit, "MAXLEN", "~", maxlen, "*",
            "result", "applied", "ts", now, "action", "stock.drift",
            "channel", rc->conf->id, "event", rc->event,
            "sku", it->sku, "skus", it->sku,
            "shows", tracked ? shows : "", "should_show", want,
            "inputs", inputs, "consumer", rc->owner, NULL });
    freeReplyObject(r);
    free(inputs);

    if (rc->conf->rules.correct) {
        invsync_key_force(key, sizeof(key), w->conf, rc->conf->id);
        r = invsync_redis_cmdv(w, (const char *[]) { "SADD", key,
                                                        it->sku, NULL });

    } else if (tracked) {
        r = invsync_redis_cmdv(w, (const char *[]) { "HSET", skey,
                                                        it->sku, shows,
                                                        NULL });
    } else {
        /* no quantity: nothing the ledger's value could equal */
        r = invsync_redis_cmdv(w, (const char *[]) { "HDEL", skey,
                                                        it->sku, NULL });
    }

    freeReplyObject(r);

    invsync_key_dirty(key, sizeof(key), w->conf, rc->conf->id);
    r = invsync_redis_cmdv(w, (const char *[]) { "SADD", key, it->sku,
                                                    NULL });
    freeReplyObject(r);

    r = invsync_redis_cmdv(w, (const char *[]) { "EXEC", NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_STRING)
    {
        invsync_log(INVSYNC_LOG_ERROR, "reconcile: drift not recorded",
                    json_pack("{s:s, s:s, s:s}", "channel", rc->conf->id,
                              "sku", it->sku,
                              "err", r->type == REDIS_REPLY_ERROR
                                     ? r->str : "unexpected reply"));
        freeReplyObject(r);
        return 0;
    }

    /* the indexes of invsyncctl audit, as for every entry */
    invsync_key_audit_sku(key, sizeof(key), w->conf, it->sku);
    x = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, now,
                                                    r->element[0]->str,
                                                    NULL });
    freeReplyObject(x);
    invsync_key_audit_event(key, sizeof(key), w->conf,
                            rc->conf->id, rc->event);
    x = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, now,
                                                    r->element[0]->str,
                                                    NULL });
    freeReplyObject(x);

    if (rc->drifts != NULL) {
        json_array_append_new(rc->drifts,
            json_pack("{s:s, s:o, s:I, s:b, s:s}", "sku", it->sku,
                      "shows", tracked ? json_integer(it->shows)
                                       : json_null(),
                      "should_show", (json_int_t) should,
                      "missing", 0, "audit", r->element[0]->str));
    }

    invsync_log(INVSYNC_LOG_INFO, "stock drift",
                json_pack("{s:s, s:s, s:s, s:I}", "channel", rc->conf->id,
                          "sku", it->sku, "shows", tracked ? shows : "",
                          "should_show", (json_int_t) should));

    freeReplyObject(r);

    return w->redis != NULL ? 0 : -1;
}


/*
 * The channel does not know the item the SKU is mapped to: an exception
 * for a person (the mapping is wrong, or the item was deleted), opened
 * once per mapping (exception.lua keeps an open or resolved one), with its
 * audit entry listed under the SKU.  Not given to the pusher: the channel
 * would only refuse the push.
 */

int
invsync_reconcile_missing(invsync_worker_t *w, invsync_reconcile_t *rc,
    invsync_read_item_t *it)
{
    char                 id[INVSYNC_KEY_LEN];
    json_t              *d;
    redisReply          *r;
    invsync_exception_t  x;

    invsync_reconcile_missing_id(rc, it, id, sizeof(id));

    d = json_pack("{s:s, s:O, s:s}", "sku", it->sku, "ids", it->ref,
                  "why", it->why ? it->why : "unknown");
    if (d == NULL) {
        return 0;
    }

    x.id = id;
    x.kind = "item_missing";
    x.summary = "the channel does not know the item this SKU is mapped to: "
                "correct the mapping (invsyncctl sku map), then resolve";
    x.channel = rc->conf->id;
    x.event = rc->event;
    x.topic = "stock.reconcile";
    x.stream = "";
    x.entry = "";
    x.order = "";
    x.sku = it->sku;
    x.consumer = rc->owner;
    x.data = d;

    r = invsync_exception_open(w, &x);
    json_decref(d);

    if (r == NULL) {
        return w->redis ? 0 : -1;
    }

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2
        && r->element[0]->type == REDIS_REPLY_INTEGER
        && r->element[0]->integer != 0)
    {
        invsync_log(INVSYNC_LOG_WARN, "reconcile: item unknown to the "
                    "channel", json_pack("{s:s, s:s, s:s, s:s}",
                                         "channel", rc->conf->id,
                                         "sku", it->sku, "exception", id,
                                         "why", it->why ? it->why : ""));

    } else if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_ERROR, "reconcile: exception not opened",
                    json_pack("{s:s, s:s, s:s}", "channel", rc->conf->id,
                              "sku", it->sku, "err", r->str));
    }

    freeReplyObject(r);

    if (rc->drifts != NULL) {
        json_array_append_new(rc->drifts,
            json_pack("{s:s, s:n, s:n, s:b, s:s, s:s}", "sku", it->sku,
                      "shows", "should_show", "missing", 1,
                      "exception", id, "why", it->why ? it->why : ""));
    }

    return 0;
}


/* the id of an item's item_missing exception: one per mapping */

void
invsync_reconcile_missing_id(invsync_reconcile_t *rc,
    const invsync_read_item_t *it, char *id, size_t cap)
{
    /* the item as its channel names it (read_item): "id@location",
     * "product/variation" */
    snprintf(id, cap, "item_missing:%s:%s:%s", rc->conf->id, it->sku,
             it->name);
}
