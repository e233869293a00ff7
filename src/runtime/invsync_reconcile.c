
/*
 * Reconciliation, the pass itself; see invsync_reconcile.h.  Linked into both
 * invsync-worker (the pass every limits.reconcile_s, its requests in the
 * pusher's curl multi) and invsyncctl (reconcile: one pass now, blocking).
 *
 * A pass goes through the mapped SKUs (SSCAN of K skus, the channel's
 * identifiers from K skumap:<sku>) a page at a time: one request reads
 * what the channel shows of up to a page of SKUs (the channel's read_build
 * and read_parse), then each is compared with what the ledger says it
 * should show.  A difference is audited (stock.drift) and given to the pusher,
 * which sends the ledger's quantity as any push: coalesced, rate-limited,
 * retried.  An item the channel does not know opens an exception once
 * (item_missing): a push would only be refused.  Throttled pages wait and
 * are asked again; a page failing three times ends the pass, incomplete.
 * Each finished pass leaves its counts in K reconcile:<channel> and a log
 * line.  Several workers take turns through K reconciling:<channel>.
 *
 * This file drives a pass (begin, next, done, stop, its lock and its end);
 * the queue of SKUs, the comparison, the drifts and what a channel should
 * show are each a file beside it (invsync_reconcile_pass.h).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_reconcile_pass.h"


static int invsync_reconcile_lock(invsync_worker_t *w,
    invsync_reconcile_t *rc, int64_t extra_ms);
static int invsync_reconcile_finish(invsync_worker_t *w,
    invsync_reconcile_t *rc, int complete, const char *why);
static void invsync_reconcile_clear(invsync_reconcile_t *rc);
static void invsync_reconcile_unbatch(invsync_reconcile_t *rc);
static int invsync_reconcile_more(invsync_reconcile_t *rc, int64_t delay);
static void invsync_reconcile_release(invsync_worker_t *w,
    invsync_reconcile_t *rc);


/* credentials borrowed: they must outlive the pass (NULL: none) */

invsync_reconcile_t *
invsync_reconcile_new(const invsync_channel_conf_t *cc,
    const char *credentials, const char *owner)
{
    invsync_reconcile_t  *rc;

    rc = calloc(1, sizeof(invsync_reconcile_t));
    if (rc == NULL) {
        return NULL;
    }

    rc->conf = cc;
    rc->ch = invsync_channel_find(cc->type);
    rc->credentials = credentials;
    invsync_call_init(&rc->call, rc->ch, cc, credentials);
    rc->state = INVSYNC_RECONCILE_OVER;
    snprintf(rc->owner, sizeof(rc->owner), "%s", owner);

    return rc;
}


void
invsync_reconcile_free(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    if (rc == NULL) {
        return;
    }

    invsync_reconcile_release(w, rc);
    invsync_reconcile_clear(rc);
    free(rc->queue);
    json_decref(rc->drifts);
    free(rc);
}


/* a channel whose quantities can be read: an API, and a type that can */

int
invsync_reconcile_supported(const invsync_channel_conf_t *cc)
{
    const invsync_channel_t  *ch;

    ch = invsync_channel_find(cc->type);

    return cc->api_base != NULL && invsync_channel_can(ch, read_build)
           && invsync_channel_can(ch, read_parse)
           && invsync_channel_can(ch, read_item);
}


/*
 * A new pass, if this caller gets the lock K reconciling:<channel> (take:
 * whoever holds it; invsyncctl's pass now wins over a worker's, which
 * gives up at its next page).  The lock lives lock_ms from each page on,
 * so that the other workers skip their turn.  1 started, 0 another holds
 * the lock, -1 the Redis session was lost.
 */

int
invsync_reconcile_begin(invsync_worker_t *w, invsync_reconcile_t *rc,
    int64_t lock_ms, int take)
{
    int          ok;
    char         ttl[32];
    redisReply  *r;

    invsync_reconcile_release(w, rc);
    invsync_reconcile_clear(rc);

    memset(&rc->counts, 0, sizeof(invsync_reconcile_counts_t));
    rc->lock_ms = lock_ms > 0 ? lock_ms : 60000;
    rc->failures = 0;
    rc->throttled = 0;
    rc->throttles = 0;
    rc->not_before_ms = 0;
    rc->finished_ms = 0;
    rc->complete = 0;
    rc->abandoned = 0;
    rc->error[0] = '\0';
    rc->scanned = 0;
    snprintf(rc->cursor, sizeof(rc->cursor), "0");

    invsync_key_reconciling(rc->lock, sizeof(rc->lock), w->conf,
                            rc->conf->id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long) rc->lock_ms);

    if (take) {
        r = invsync_redis_cmdv(w, (const char *[]) { "SET", rc->lock,
                                                        rc->owner, "PX", ttl,
                                                        NULL });
        if (r == NULL) {
            return -1;
        }

        ok = r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);

    } else {
        /* free, or still ours (a pass cut short by a reload) */
        ok = invsync_reconcile_lock(w, rc, 0);

        if (ok < 0) {
            return -1;
        }
    }

    if (!ok) {
        return 0;
    }

    rc->started_ms = invsync_now_ms();
    snprintf(rc->event, sizeof(rc->event), "reconcile:%lld",
             (long long) rc->started_ms);
    rc->state = INVSYNC_RECONCILE_READY;

    return 1;
}


/*
 * The next page's request sent on the worker's multi (state FLIGHT), done
 * called with owner when it ends: 1.  0 when there is none now: the pass
 * is over (state OVER) or waits for not_before_ms.  -1 when the Redis
 * session was lost (the page is asked for again later).
 */

int
invsync_reconcile_next(invsync_worker_t *w, invsync_reconcile_t *rc,
    invsync_call_done_pt done, void *owner)
{
    int  rv;

    if (rc->state != INVSYNC_RECONCILE_READY
        || invsync_now_ms() < rc->not_before_ms)
    {
        return 0;
    }

    rv = invsync_reconcile_lock(w, rc, 0);
    if (rv < 0) {
        return -1;
    }

    if (rv == 0) {
        /* a newer pass, invsyncctl's or after our lock expired, runs */
        rc->abandoned = 1;
        rc->state = INVSYNC_RECONCILE_OVER;
        invsync_reconcile_clear(rc);
        invsync_log(INVSYNC_LOG_INFO, "reconcile pass abandoned",
                    json_pack("{s:s, s:s}", "channel", rc->conf->id,
                              "why", "another pass holds the lock"));
        return 0;
    }

    if (rc->nbatch == 0) {
        rv = invsync_reconcile_fill(w, rc);
        if (rv < 0) {
            return -1;
        }

        if (rv > 0) {
            return invsync_reconcile_finish(w, rc, 0, rc->error);
        }

        if (rc->nqueue == 0) {
            return invsync_reconcile_finish(w, rc, 1, "");
        }
    }

    if (invsync_reconcile_request(rc) != 0) {
        invsync_reconcile_release(w, rc);
        rc->counts.unreadable += rc->nbatch + rc->nqueue;
        return invsync_reconcile_finish(w, rc, 0, "a page's request could "
                                        "not be built");
    }

    /* the page's first request: what the pusher believes, before it */
    if (rc->more == 0 && invsync_reconcile_snapshot(w, rc) != 0) {
        invsync_reconcile_release(w, rc);
        return -1;
    }

    if (invsync_call_start(w, &rc->call, INVSYNC_RECONCILE_RESP_MAX,
                           INVSYNC_RECONCILE_TIMEOUT_MS, done, owner)
        != 0)
    {
        invsync_reconcile_release(w, rc);
        return invsync_reconcile_finish(w, rc, 0, "out of memory");
    }

    rc->state = INVSYNC_RECONCILE_FLIGHT;

    return 1;
}


/*
 * The page's request ended with code: the answer is compared and written,
 * or the page waits and is asked again.  0, or -1 when the Redis session
 * was lost.
 */

int
invsync_reconcile_done(invsync_worker_t *w, invsync_reconcile_t *rc,
    CURLcode code)
{
    char                        why[160];
    long                        status;
    int64_t                     delay, backoff;
    invsync_answer_t            ans;
    invsync_channel_rc_e        v;
    invsync_reconcile_answer_e  a;

    delay = 0;
    why[0] = '\0';

    rc->state = INVSYNC_RECONCILE_READY;
    rc->throttled = 0;

    v = invsync_call_verdict(&rc->call, code, &ans, &delay, why,
                             sizeof(why));
    status = ans.status;

    if (v == INVSYNC_CH_DONE) {
        ans.why = why;
        ans.why_len = sizeof(why);
        v = rc->ch->read_parse(&rc->call.ctx, &ans, rc->batch, rc->nbatch,
                               &delay);
    }

    a = v == INVSYNC_CH_THROTTLED ? INVSYNC_RECONCILE_THROTTLED
        : v == INVSYNC_CH_RETRY ? INVSYNC_RECONCILE_FAILED
        : INVSYNC_RECONCILE_ANSWERED;

    invsync_reconcile_release(w, rc);

    if (delay > 3600000) {
        delay = 3600000;
    }

    if (v == INVSYNC_CH_MORE) {
        return invsync_reconcile_more(rc, delay);
    }

    if (a == INVSYNC_RECONCILE_THROTTLED
        && ++rc->throttles > INVSYNC_RECONCILE_THROTTLES)
    {
        /* a channel that never lets us read: not a pass that never ends */
        snprintf(why, sizeof(why), "throttled %d times in a row",
                 INVSYNC_RECONCILE_THROTTLES);
        rc->counts.unreadable += rc->nbatch;
        return invsync_reconcile_finish(w, rc, 0, why) < 0 ? -1 : 0;
    }

    if (a == INVSYNC_RECONCILE_THROTTLED) {
        /* the same page again after the channel's delay: nothing lost */
        rc->throttled = 1;
        rc->not_before_ms = invsync_now_ms() + delay;

        invsync_log(INVSYNC_LOG_WARN, "reconcile page throttled",
                    json_pack("{s:s, s:i, s:I, s:I}",
                              "channel", rc->conf->id,
                              "http_status", (int) status,
                              "delay_ms", (json_int_t) delay,
                              "page", (json_int_t) rc->counts.pages + 1));

        return invsync_reconcile_lock(w, rc, delay) < 0 ? -1 : 0;
    }

    if (a == INVSYNC_RECONCILE_FAILED) {
        rc->failures++;

        invsync_log(INVSYNC_LOG_WARN, "reconcile page failed",
                    json_pack("{s:s, s:i, s:s, s:i, s:I}",
                              "channel", rc->conf->id,
                              "http_status", (int) status, "err", why,
                              "failures", rc->failures,
                              "page", (json_int_t) rc->counts.pages + 1));

        if (rc->failures >= INVSYNC_RECONCILE_ATTEMPTS) {
            /* the channel cannot be read now: the next pass tries again */
            rc->counts.unreadable += rc->nbatch;
            return invsync_reconcile_finish(w, rc, 0, why) < 0 ? -1 : 0;
        }

        backoff = 1000L << rc->failures;
        rc->not_before_ms = invsync_now_ms() + backoff;

        return invsync_reconcile_lock(w, rc, backoff) < 0 ? -1 : 0;
    }

    if (invsync_reconcile_compare(w, rc) != 0) {
        return -1;
    }

    rc->failures = 0;
    rc->throttles = 0;
    rc->counts.pages++;
    invsync_reconcile_unbatch(rc);

    /* the channel's cost bucket is low: the next page when it refilled */
    rc->not_before_ms = delay > 0 ? invsync_now_ms() + delay : 0;

    return 0;
}


/* the caller ends the pass, incomplete (invsyncctl: waited too long) */

int
invsync_reconcile_stop(invsync_worker_t *w, invsync_reconcile_t *rc,
    const char *why)
{
    if (rc->state == INVSYNC_RECONCILE_OVER) {
        return 0;
    }

    invsync_reconcile_release(w, rc);
    rc->counts.unreadable += rc->nbatch;

    return invsync_reconcile_finish(w, rc, 0, why);
}


/*
 * The lock is still ours (taken again if it expired and nobody took it),
 * now for lock_ms + extra_ms: 1; 0 another holds it; -1 Redis lost.  GET
 * and PEXPIRE are two commands: a pass starting between them runs beside
 * this one for a page, which only audits a drift twice.
 */

static int
invsync_reconcile_lock(invsync_worker_t *w, invsync_reconcile_t *rc,
    int64_t extra_ms)
{
    int          ok;
    char         ttl[32];
    redisReply  *r;

    snprintf(ttl, sizeof(ttl), "%lld", (long long) (rc->lock_ms + extra_ms));

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", rc->lock,
                                                    rc->owner, "NX", "PX",
                                                    ttl, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);

    if (ok) {
        return 1;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", rc->lock, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_STRING && strcmp(r->str, rc->owner) == 0;
    freeReplyObject(r);

    if (!ok) {
        return 0;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "PEXPIRE", rc->lock, ttl,
                                                    NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 1;
}


/*
 * The pass is over: its counts into K reconcile:<channel> for operators
 * (invsyncctl reconcile --last), and one log line.  0, -1 Redis lost.
 */

static int
invsync_reconcile_finish(invsync_worker_t *w, invsync_reconcile_t *rc,
    int complete, const char *why)
{
    char                         key[INVSYNC_KEY_LEN], v[9][32];
    char                         err[sizeof(rc->error)];
    redisReply                  *r;
    invsync_reconcile_counts_t  *c;

    c = &rc->counts;
    snprintf(err, sizeof(err), "%s", why);
    snprintf(rc->error, sizeof(rc->error), "%s", err);

    rc->state = INVSYNC_RECONCILE_OVER;
    rc->finished_ms = invsync_now_ms();
    rc->complete = complete;
    invsync_reconcile_clear(rc);

    invsync_key_reconcile(key, sizeof(key), w->conf, rc->conf->id);
    snprintf(v[0], 32, "%lld", (long long) rc->started_ms);
    snprintf(v[1], 32, "%lld", (long long) rc->finished_ms);
    snprintf(v[2], 32, "%d", complete);
    snprintf(v[3], 32, "%llu", (unsigned long long) c->pages);
    snprintf(v[4], 32, "%llu", (unsigned long long) c->checked);
    snprintf(v[5], 32, "%llu", (unsigned long long) c->drifted);
    snprintf(v[6], 32, "%llu", (unsigned long long) c->missing);
    snprintf(v[7], 32, "%llu", (unsigned long long) c->unreadable);
    snprintf(v[8], 32, "%llu", (unsigned long long) c->skipped);

    r = invsync_redis_cmdv(w, (const char *[]) {
            "HSET", key, "by", rc->owner, "event", rc->event,
            "started", v[0], "finished", v[1], "complete", v[2],
            "error", rc->error, "pages", v[3], "checked", v[4],
            "drifted", v[5], "missing", v[6], "unreadable", v[7],
            "skipped", v[8], NULL });

    invsync_log(complete ? INVSYNC_LOG_INFO : INVSYNC_LOG_WARN,
                "reconcile pass finished",
                json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                          "s:s}",
                          "channel", rc->conf->id, "complete", complete,
                          "pages", (json_int_t) c->pages,
                          "checked", (json_int_t) c->checked,
                          "drifted", (json_int_t) c->drifted,
                          "missing", (json_int_t) c->missing,
                          "unreadable", (json_int_t) c->unreadable,
                          "skipped", (json_int_t) c->skipped,
                          "duration_ms",
                          (json_int_t) (rc->finished_ms - rc->started_ms),
                          "err", rc->error));

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* the queue and the page in hand go (their identifiers are owned) */

static void
invsync_reconcile_clear(invsync_reconcile_t *rc)
{
    size_t  i;

    invsync_reconcile_unbatch(rc);

    for (i = 0; i < rc->nqueue; i++) {
        json_decref(rc->queue[i].ref);
        rc->queue[i].ref = NULL;
    }

    rc->nqueue = 0;
}


/* the page in hand goes: it was answered */

static void
invsync_reconcile_unbatch(invsync_reconcile_t *rc)
{
    size_t  i;

    for (i = 0; i < rc->nbatch; i++) {
        json_decref(rc->batch[i].ref);
        rc->batch[i].ref = NULL;
    }

    rc->nbatch = 0;
    rc->more = 0;
}


/*
 * The channel needs another request for the page in hand (read_parse said
 * MORE): it is built at the next turn with the same items, which keep
 * what was read and the snapshot.  A channel that keeps asking for more
 * leaves the page unread.  Returns 0.
 */

static int
invsync_reconcile_more(invsync_reconcile_t *rc, int64_t delay)
{
    rc->failures = 0;
    rc->throttles = 0;

    if (++rc->more > INVSYNC_RECONCILE_STEPS) {
        rc->counts.unreadable += rc->nbatch;
        invsync_reconcile_unbatch(rc);
        return 0;
    }

    rc->not_before_ms = delay > 0 ? invsync_now_ms() + delay : 0;

    return 0;
}


/* the request and its answer go, off the multi if in flight */

static void
invsync_reconcile_release(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    invsync_call_release(w, &rc->call);
}


