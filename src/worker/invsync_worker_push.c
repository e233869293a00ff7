
/*
 * The stock pusher; see invsync_worker_push.h.  Each turn of the worker's
 * loop: completed requests are recorded (push.lua: what the channel now
 * shows, with the audit entry), and every idle channel whose rate limit
 * allows takes a batch of its dirty SKUs, computes what it should show now
 * and sends only what differs.  Dirty sets coalesce: a SKU moved ten times
 * before its turn is pushed once, with its newest value.  The channel's
 * read-back passes (src/runtime/invsync_reconcile.c) go through the same
 * curl multi, taking turns with the pushes of their channel.  The channel
 * table says which channels can push and how their requests look.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_push.h"


#define INVSYNC_KEY_LEN          512
#define INVSYNC_PUSH_TIMEOUT_MS  10000
#define INVSYNC_PUSH_RESP_MAX    (4 * 1024 * 1024)
#define INVSYNC_PUSH_ALARM       5       /* failures before an exception */


static int invsync_push_start(invsync_worker_t *w, invsync_pushchan_t *pc);
static int invsync_push_read(invsync_worker_t *w, invsync_pushchan_t *pc,
    int64_t now);
static int invsync_push_readback(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_push_collect(invsync_worker_t *w, invsync_pushchan_t *pc,
    redisReply *skus);
static int invsync_push_complete(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_push_record(invsync_worker_t *w, invsync_pushchan_t *pc);
static int invsync_push_giveback(invsync_worker_t *w, invsync_pushchan_t *pc,
    size_t from);
static void invsync_push_release(invsync_worker_t *w,
    invsync_pushchan_t *pc);


int
invsync_push_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_push_t                *p;
    invsync_pushchan_t            *pc;
    const invsync_channel_t       *ch;
    const invsync_channel_conf_t  *cc;

    p = calloc(1, sizeof(invsync_push_t));
    if (p == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];
        ch = invsync_channel_find(cc->type);

        /* a channel without an API is only listened to */
        if (cc->api_base == NULL || !invsync_channel_can(ch, push_build)) {
            continue;
        }

        pc = &p->chans[p->nchans++];
        pc->conf = cc;
        pc->ch = ch;
        pc->credentials = invsync_channel_credentials(cc->credentials_file);
        pc->read_turn = 1;
        invsync_call_init(&pc->call, ch, cc, pc->credentials);

        if (invsync_reconcile_supported(cc)) {
            pc->recon = invsync_reconcile_new(cc, pc->credentials,
                                              w->conf->consumer);

            if (pc->recon == NULL) {
                w->push = p;
                invsync_push_free(w);
                snprintf(err, len, "out of memory");
                return -1;
            }
        }
    }

    w->push = p;

    return 0;
}


void
invsync_push_free(invsync_worker_t *w)
{
    size_t           i;
    invsync_push_t  *p = w->push;

    if (p == NULL) {
        return;
    }

    for (i = 0; i < p->nchans; i++) {
        /*
         * A push in flight may or may not have reached the channel: its
         * SKUs go back to the dirty set (their shown value is not updated,
         * so the next pusher sends them again; values are absolute).
         * Without Redis they stay for the reconciliation pass to find.
         */
        if (p->chans[i].nitems > 0 && w->redis != NULL) {
            (void) invsync_push_giveback(w, &p->chans[i], 0);
        }

        invsync_push_release(w, &p->chans[i]);

        if (p->chans[i].recon != NULL) {
            /* a pass cut short here is begun anew at a later turn */
            invsync_reconcile_free(w, p->chans[i].recon);
        }

        if (p->chans[i].credentials != NULL) {
            explicit_bzero(p->chans[i].credentials,
                           strlen(p->chans[i].credentials));
            free(p->chans[i].credentials);
        }
    }

    free(p);
    w->push = NULL;
}


/*
 * One turn; -1 when the Redis session was lost.  Leaves in w->busy_ms how
 * soon the loop should come back (0: nothing in flight or waiting).
 */

int
invsync_push_step(invsync_worker_t *w)
{
    int                  running, busy, rc, read;
    size_t               i;
    int64_t              now;
    invsync_push_t      *p = w->push;
    invsync_pushchan_t  *pc;

    w->push_ms = invsync_now_ms();

    /* every ended request of the multi: pushes, reads, polls */
    if (invsync_calls_step(w) != 0) {
        return -1;
    }

    /* an order poll's pages are on the multi too */
    busy = invsync_poll_busy(w) ? 2 : 0;

    if (p == NULL || p->nchans == 0) {
        w->busy_ms = busy;
        return 0;
    }
    read = 0;
    now = invsync_now_ms();

    for (i = 0; i < p->nchans; i++) {
        pc = &p->chans[i];

        if (pc->call.inflight
            || (pc->recon != NULL
                && pc->recon->state == INVSYNC_RECONCILE_FLIGHT))
        {
            busy = 2;
            continue;
        }

        if (now < pc->not_before_ms) {
            if (busy == 0 || busy > 20) {
                busy = 20;
            }

            continue;
        }

        /*
         * A read of the channel and its pushes take turns, one request at
         * a time: a push acknowledged while its SKU is read would make the
         * read look like a drift, and reads and pushes share the channel's
         * rate limit.  One read starts per call at most.
         */
        if (pc->read_turn && !read) {
            rc = invsync_push_read(w, pc, now);

            if (rc < 0) {
                return -1;
            }

            if (rc > 0) {
                pc->read_turn = 0;
                read = 1;
                busy = 2;
                continue;
            }
        }

        rc = invsync_push_start(w, pc);

        if (rc < 0) {
            return -1;
        }

        pc->read_turn = 1;

        if (rc > 0) {
            busy = 2;

        } else if (pc->recon != NULL
                   && pc->recon->state == INVSYNC_RECONCILE_READY
                   && (busy == 0 || busy > 20))
        {
            /* a pass waits for its channel's bucket or backoff */
            busy = 20;
        }
    }

    if (busy == 2) {
        curl_multi_perform(w->multi, &running);
    }

    w->busy_ms = busy;

    return 0;
}


/*
 * The read-back pass of a channel (the safety net: a change the channel
 * made and never told, a lost webhook, one deduplicated with an identical
 * earlier one) every limits.reconcile_s, a page a request.  Its requests
 * go through the pusher's multi rather than blocking the loop as the
 * order poller's do: a pass reads every mapped SKU, so it has many pages,
 * and each may wait for the channel's rate limit; none of that may hold
 * the consumer's entries back.  1 a request went out, 0 none, -1 Redis
 * lost.
 */

static int
invsync_push_read(invsync_worker_t *w, invsync_pushchan_t *pc, int64_t now)
{
    int                   rc;
    int64_t               interval;
    invsync_reconcile_t  *r = pc->recon;

    interval = w->conf->reconcile_s * 1000;

    if (r == NULL || interval == 0) {
        return 0;
    }

    if (r->state == INVSYNC_RECONCILE_OVER) {
        if (now < pc->recon_next_ms) {
            return 0;
        }

        pc->recon_next_ms = now + interval;

        /* the lock outlives the pass: the other workers skip this turn */
        rc = invsync_reconcile_begin(w, r, interval * 9 / 10, 0);

        if (rc <= 0) {
            return rc;
        }
    }

    return invsync_reconcile_next(w, r, invsync_push_readback, pc);
}


static int
invsync_push_readback(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code)
{
    invsync_pushchan_t   *pc = c->owner;
    invsync_reconcile_t  *r = pc->recon;

    if (invsync_reconcile_done(w, r, code) != 0) {
        return -1;
    }

    /* the channel asked to wait: its pushes wait too */
    if (r->throttled && r->not_before_ms > pc->not_before_ms) {
        pc->not_before_ms = r->not_before_ms;
    }

    return 0;
}


/* 1 when a request went out, 0 when nothing differs, -1 Redis lost */

static int
invsync_push_start(invsync_worker_t *w, invsync_pushchan_t *pc)
{
    int          round, rc;
    char         key[INVSYNC_KEY_LEN], count[16];
    size_t       i, n, max;
    redisReply  *r;

    pc->nitems = 0;
    max = pc->ch->push_max < INVSYNC_PUSH_MAX_BATCH ? pc->ch->push_max
                                                    : INVSYNC_PUSH_MAX_BATCH;

    /* skip over SKUs already shown right, a few batches at most a turn */
    for (round = 0; round < 4 && pc->nitems == 0; round++) {
        invsync_key(key, sizeof(key), w->conf, "dirty:%s", pc->conf->id);
        snprintf(count, sizeof(count), "%zu", max);

        r = invsync_redis_cmd(w, 3, (const char *[]) { "SPOP", key, count },
                              (size_t []) { 4, strlen(key), strlen(count) });
        if (r == NULL) {
            return -1;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            return 0;
        }

        rc = invsync_push_collect(w, pc, r);
        freeReplyObject(r);

        if (rc != 0) {
            return -1;
        }
    }

    if (pc->nitems == 0) {
        return 0;
    }

    invsync_key(key, sizeof(key), w->conf, "pushseq:%s", pc->conf->id);
    r = invsync_redis_cmd(w, 2, (const char *[]) { "INCR", key },
                          (size_t []) { 4, strlen(key) });
    if (r == NULL) {
        return -1;
    }

    /* a new key per request: the same key again would replay, not apply */
    snprintf(pc->idempotency, sizeof(pc->idempotency), "invsync-%s-%lld",
             pc->conf->id, (long long) r->integer);
    freeReplyObject(r);

    invsync_request_init(&pc->call.rq, "POST");
    pc->call.ctx.now_ms = invsync_now_ms();
    n = pc->ch->push_build(&pc->call.ctx, pc->items, pc->nitems,
                           pc->idempotency, &pc->call.rq);

    if (n == 0) {
        /* what cannot be asked for at all waits for reconciliation */
        invsync_log(INVSYNC_LOG_WARN, "channel push request not built",
                    json_pack("{s:s, s:i}", "channel", pc->conf->id,
                              "items", (int) pc->nitems));
        invsync_push_release(w, pc);
        return 0;
    }

    if (n < pc->nitems && invsync_push_giveback(w, pc, n) != 0) {
        return -1;
    }

    pc->nitems = n;

    /* the channel may send its webhook for this change before we see the
     * answer: the value is known as ours from now on */
    for (i = 0; i < n; i++) {
        char  q[32];

        invsync_key(key, sizeof(key), w->conf, "pushed:%s:%s",
                    pc->conf->id, pc->items[i].sku);
        snprintf(q, sizeof(q), "%lld", (long long) pc->items[i].qty);
        redisAppendCommand(w->redis, "LPUSH %s %s", key, q);
        redisAppendCommand(w->redis, "LTRIM %s 0 15", key);
        redisAppendCommand(w->redis, "EXPIRE %s 3600", key);
    }

    for (i = 0; i < 3 * n; i++) {
        r = NULL;

        if (redisGetReply(w->redis, (void **) &r) != REDIS_OK) {
            invsync_redis_close(w);
            return -1;
        }

        freeReplyObject(r);
    }

    if (invsync_call_start(w, &pc->call, INVSYNC_PUSH_RESP_MAX,
                           INVSYNC_PUSH_TIMEOUT_MS, invsync_push_complete, pc)
        != 0)
    {
        invsync_log(INVSYNC_LOG_WARN, "channel push request not sent",
                    json_pack("{s:s, s:i}", "channel", pc->conf->id,
                              "items", (int) pc->nitems));
        invsync_push_release(w, pc);
        return 0;
    }

    pc->sent_ms = invsync_now_ms();

    return 1;
}


/*
 * For each popped SKU: its ledger, bundle definition, this channel's
 * identifiers and what the channel last acknowledged, in one pipeline;
 * only the SKUs whose quantity differs become items.
 */

static int
invsync_push_collect(invsync_worker_t *w, invsync_pushchan_t *pc,
    redisReply *skus)
{
    int                   bad, rc;
    char                  key[INVSYNC_KEY_LEN], shown[INVSYNC_KEY_LEN];
    char                  force[INVSYNC_KEY_LEN];
    size_t                i, k, n;
    int64_t               qty;
    redisReply          **rep, *st, *comp, *ref, *was, *forced;
    invsync_push_item_t  *it;

    invsync_key(shown, sizeof(shown), w->conf, "shown:%s", pc->conf->id);
    invsync_key(force, sizeof(force), w->conf, "force:%s", pc->conf->id);

    n = 5 * skus->elements;
    rep = calloc(n ? n : 1, sizeof(redisReply *));
    if (rep == NULL) {
        return -1;
    }

    for (i = 0; i < skus->elements; i++) {
        const char  *sku = skus->element[i]->str;

        invsync_key(key, sizeof(key), w->conf, "stock:%s", sku);
        redisAppendCommand(w->redis, "HGETALL %s", key);
        invsync_key(key, sizeof(key), w->conf, "sku:%s", sku);
        redisAppendCommand(w->redis, "HGET %s components", key);
        invsync_key(key, sizeof(key), w->conf, "skumap:%s", sku);
        redisAppendCommand(w->redis, "HGET %s %s", key, pc->conf->id);
        redisAppendCommand(w->redis, "HGET %s %s", shown, sku);
        redisAppendCommand(w->redis, "SREM %s %s", force, sku);
    }

    /* every reply read before any is used: a bundle's quantity reads its
     * components with commands of its own, which must not take the
     * pipeline's replies for theirs */
    rc = 0;

    for (k = 0; k < n; k++) {
        rep[k] = invsync_redis_reply(w);

        if (rep[k] == NULL) {
            rc = -1;
            goto done;
        }
    }

    for (i = 0; i < skus->elements; i++) {
        st = rep[5 * i];
        comp = rep[5 * i + 1];
        ref = rep[5 * i + 2];
        was = rep[5 * i + 3];
        forced = rep[5 * i + 4];

        bad = 0;
        qty = invsync_reconcile_should(w, pc->conf, st, comp, &bad);

        if (w->redis == NULL) {
            rc = -1;
            goto done;
        }

        /* unmapped meanwhile, or shown right already: nothing to send;
         * unless the channel was seen showing something else since */
        if (!bad && ref->type == REDIS_REPLY_STRING
            && ((forced->type == REDIS_REPLY_INTEGER && forced->integer == 1)
                || !(was->type == REDIS_REPLY_STRING
                     && strtoll(was->str, NULL, 10) == qty))
            && pc->nitems < INVSYNC_PUSH_MAX_BATCH
            && skus->element[i]->len < sizeof(pc->items[0].sku))
        {
            it = &pc->items[pc->nitems];
            it->ref = json_loads(ref->str, 0, NULL);

            if (it->ref != NULL) {
                memcpy(it->sku, skus->element[i]->str,
                       skus->element[i]->len + 1);
                it->qty = qty;
                it->ok = 0;
                it->err[0] = '\0';
                pc->nitems++;
            }
        }
    }

done:

    for (k = 0; k < n; k++) {
        freeReplyObject(rep[k]);
    }

    free(rep);

    return rc;
}


static int
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
        delay = 250L << (pc->failures < 7 ? pc->failures : 7);
        delay = delay / 2 + random() % (delay / 2 + 1);
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

static int
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

        invsync_key(audit, sizeof(audit), w->conf, "audit");
        invsync_key(prefix, sizeof(prefix), w->conf, "%s", "");
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

    invsync_key(dirty, sizeof(dirty), w->conf, "dirty:%s", pc->conf->id);

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

static int
invsync_push_giveback(invsync_worker_t *w, invsync_pushchan_t *pc,
    size_t from)
{
    char         key[INVSYNC_KEY_LEN];
    size_t       i;
    redisReply  *r;

    invsync_key(key, sizeof(key), w->conf, "dirty:%s", pc->conf->id);

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


static void
invsync_push_release(invsync_worker_t *w, invsync_pushchan_t *pc)
{
    size_t  i;

    invsync_call_release(w, &pc->call);

    for (i = 0; i < pc->nitems; i++) {
        json_decref(pc->items[i].ref);
        pc->items[i].ref = NULL;
    }

    pc->nitems = 0;
}
