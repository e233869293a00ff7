
/*
 * A push's answer: read per item by the channel's push_parse, what was
 * acknowledged recorded by push.lua with its audit entry, refused items
 * as exceptions, the rest given back to the dirty set to be sent again.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_push.h"


int
invsync_push_complete(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code)
{
    char                  why[160];
    long                  status, delay;
    int64_t               wait;
    invsync_answer_t      a;
    invsync_pushchan_t   *pc = c->owner;
    invsync_channel_rc_e  rc;

    wait = 0;
    why[0] = '\0';

    /* the channel's answer time, for the heartbeat's push_ms */
    if (pc->sent_ms > 0) {
        int64_t  ms = invsync_now_ms() - pc->sent_ms;

        ms = ms < 0 ? 0 : ms;
        invsync_latency_add(&pc->latency, ms);
        pc->latency_sum_ms += (uint64_t) ms;
    }

    rc = invsync_call_verdict(c, code, &a, &wait, why, sizeof(why));
    status = a.status;

    if (code != CURLE_OK) {
        invsync_log(INVSYNC_LOG_WARN, "channel push failed",
                    json_pack("{s:s, s:s, s:i}", "channel", pc->conf->id,
                              "err", why, "items", (int) pc->nitems));
    }

    if (rc == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);
        rc = pc->ch->push_parse(&c->ctx, &a, pc->items, pc->nitems, &wait);
    }

    if (rc == INVSYNC_CH_DONE || rc == INVSYNC_CH_MORE) {
        if (invsync_push_record(w, pc) != 0) {
            return -1;
        }

        if (pc->failures >= INVSYNC_PUSH_ALARM) {
            char  id[INVSYNC_ITEM_ERR_LEN], since[32];

            invsync_log(INVSYNC_LOG_INFO, "channel recovered",
                        json_pack("{s:s, s:i}", "channel", pc->conf->id,
                                  "failures", pc->failures));

            /* the alarm opened below goes away with its cause */
            snprintf(since, sizeof(since), "%lld",
                     (long long) pc->failing_since_ms);
            snprintf(id, sizeof(id), "push_failing:%s:%s", pc->conf->id,
                     since);

            if (invsync_exception_resolve(w, id, pc->conf->id, since,
                                          "the channel accepted pushes "
                                          "again")
                != 0)
            {
                return -1;
            }
        }

        pc->failures = 0;
        pc->failing_since_ms = 0;
        pc->not_before_ms = wait > 0 ? invsync_now_ms() + wait : 0;
        invsync_push_release(w, pc);
        return 0;
    }

    /* nothing applied: the SKUs go back, their newest values go later */
    if (invsync_push_giveback(w, pc, 0) != 0) {
        return -1;
    }

    if (pc->failures++ == 0) {
        pc->failing_since_ms = invsync_now_ms();
    }

    if (rc == INVSYNC_CH_THROTTLED && wait > 0) {
        delay = (long) wait;

    } else {
        delay = (long) invsync_backoff_ms(250, pc->failures, 7, 0);
    }

    pc->not_before_ms = invsync_now_ms() + delay;

    invsync_log(INVSYNC_LOG_WARN, "channel push will be retried",
                json_pack("{s:s, s:I, s:i, s:s, s:s, s:i}",
                          "channel", pc->conf->id,
                          "http_status", (json_int_t) status,
                          "failures", pc->failures,
                          "why", rc == INVSYNC_CH_THROTTLED ? "throttled"
                                                           : "failed",
                          "err", why,
                          "delay_ms", (int) delay));

    if (pc->failures == INVSYNC_PUSH_ALARM) {
        char                suffix[64];
        json_t             *data;
        invsync_envelope_t  ev;
        char                e[INVSYNC_ERR_LEN];

        /* a push that keeps failing is an exception, never a silent drift */
        memset(&ev, 0, sizeof(ev));
        snprintf(suffix, sizeof(suffix), "%lld",
                 (long long) pc->failing_since_ms);
        ev.channel = pc->conf->id;
        ev.event = suffix;
        ev.topic = "stock.push";
        ev.stream = "";
        ev.entry = "";
        ev.redelivery = "";

        data = json_pack("{s:s, s:I, s:i}", "channel", pc->conf->id,
                         "http_status", (json_int_t) status,
                         "failures", pc->failures);
        invsync_action_exception(w, &ev, data, "push_failing", suffix, NULL,
                                 "the channel's API keeps failing; pushes "
                                 "are retried with backoff", e, sizeof(e));
        json_decref(data);
    }

    invsync_push_release(w, pc);

    return w->redis ? 0 : -1;
}


/* push.lua for what was acknowledged; an exception per refused item */

int
invsync_push_record(invsync_worker_t *w, invsync_pushchan_t *pc)
{
    int                 argc;
    char                audit[INVSYNC_KEY_LEN], prefix[INVSYNC_KEY_LEN];
    char                now[32], maxlen[32], *acked, e[INVSYNC_ERR_LEN];
    char                suffix[300], dirty[INVSYNC_KEY_LEN];
    size_t              i, argvlen[16];
    json_t             *obj, *data;
    const char         *argv[16];
    redisReply         *r;
    invsync_envelope_t  ev;

    obj = json_object();

    for (i = 0; i < pc->nitems; i++) {
        if (pc->items[i].ok == 1) {
            json_object_set_new(obj, pc->items[i].sku,
                                json_integer(pc->items[i].qty));
        }
    }

    if (json_object_size(obj) > 0) {
        acked = json_dumps(obj, JSON_COMPACT);

        invsync_key_audit(audit, sizeof(audit), w->conf);
        invsync_key_prefix(prefix, sizeof(prefix), w->conf);
        snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
        snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

        argc = 0;
        argv[argc++] = audit;
        argv[argc++] = prefix;
        argv[argc++] = now;
        argv[argc++] = maxlen;
        argv[argc++] = pc->conf->id;
        argv[argc++] = acked ? acked : "{}";
        argv[argc++] = "ts";
        argv[argc++] = now;
        argv[argc++] = "event";
        argv[argc++] = pc->idempotency;
        argv[argc++] = "inputs";
        argv[argc++] = acked ? acked : "{}";
        argv[argc++] = "consumer";
        argv[argc++] = w->conf->consumer;

        for (i = 0; i < (size_t) argc; i++) {
            argvlen[i] = strlen(argv[i]);
        }

        r = invsync_redis_eval(w, w->push_sha, invsync_script_push,
                               invsync_script_push_len, 1, argc, argv,
                               argvlen);
        free(acked);

        if (r == NULL) {
            json_decref(obj);
            return -1;
        }

        freeReplyObject(r);
    }

    json_decref(obj);

    memset(&ev, 0, sizeof(ev));
    ev.channel = pc->conf->id;
    ev.topic = "stock.push";
    ev.stream = "";
    ev.entry = "";
    ev.redelivery = "";
    ev.event = pc->idempotency;

    invsync_key_dirty(dirty, sizeof(dirty), w->conf, pc->conf->id);

    for (i = 0; i < pc->nitems; i++) {
        if (pc->items[i].ok == 1) {
            continue;
        }

        /* not applied, with no fault of its own: it goes out again */
        if (pc->items[i].ok < 0) {
            r = invsync_redis_cmdv(w, (const char *[]) { "SADD", dirty,
                                       pc->items[i].sku, NULL });
            if (r == NULL) {
                return -1;
            }

            freeReplyObject(r);
            continue;
        }

        snprintf(suffix, sizeof(suffix), "%s:%s", pc->items[i].sku,
                 pc->idempotency);
        data = json_pack("{s:s, s:I, s:s, s:O}", "sku", pc->items[i].sku,
                         "qty", (json_int_t) pc->items[i].qty,
                         "error", pc->items[i].err, "ref", pc->items[i].ref);

        (void) invsync_action_exception(w, &ev, data, "push_rejected",
                                        suffix, NULL, "the channel refused "
                                        "this SKU's quantity", e, sizeof(e));
        json_decref(data);

        if (w->redis == NULL) {
            return -1;
        }
    }

    return 0;
}


/* the items from `from` on go back to the channel's dirty set */

int
invsync_push_giveback(invsync_worker_t *w, invsync_pushchan_t *pc,
    size_t from)
{
    char         key[INVSYNC_KEY_LEN];
    size_t       i;
    redisReply  *r;

    invsync_key_dirty(key, sizeof(key), w->conf, pc->conf->id);

    for (i = from; i < pc->nitems; i++) {
        r = invsync_redis_cmd(w, 3, (const char *[]) { "SADD", key,
                                                       pc->items[i].sku },
                              (size_t []) { 4, strlen(key),
                                            strlen(pc->items[i].sku) });
        if (r == NULL) {
            return -1;
        }

        freeReplyObject(r);
        json_decref(pc->items[i].ref);
        pc->items[i].ref = NULL;
    }

    return 0;
}
