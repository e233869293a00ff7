
/*
 * Reconciliation; see invsync_worker_reconcile.h.  Linked into both
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
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_reconcile.h"


#define INVSYNC_KEY_LEN               512
#define INVSYNC_RECONCILE_TIMEOUT_MS  10000
#define INVSYNC_RECONCILE_RESP_MAX    (8 * 1024 * 1024)
#define INVSYNC_RECONCILE_ATTEMPTS    3      /* of one page */
#define INVSYNC_RECONCILE_THROTTLES   20     /* waits for one page */
#define INVSYNC_RECONCILE_SCAN        "100"  /* SSCAN COUNT */

typedef enum {
    INVSYNC_RECONCILE_ANSWERED = 0,  /* items carry what was read */
    INVSYNC_RECONCILE_THROTTLED,     /* ask again after the delay */
    INVSYNC_RECONCILE_FAILED         /* ask again, a few times */
} invsync_reconcile_answer_e;


static int invsync_reconcile_lock(invsync_worker_t *w,
    invsync_reconcile_t *rc, int64_t extra_ms);
static int invsync_reconcile_fill(invsync_worker_t *w,
    invsync_reconcile_t *rc);
static void invsync_reconcile_item(invsync_reconcile_t *rc, const char *sku,
    size_t len, const redisReply *ref);
static int invsync_reconcile_request(invsync_reconcile_t *rc);
static int invsync_reconcile_snapshot(invsync_worker_t *w,
    invsync_reconcile_t *rc);
static int invsync_reconcile_compare(invsync_worker_t *w,
    invsync_reconcile_t *rc);
static int invsync_reconcile_drift(invsync_worker_t *w,
    invsync_reconcile_t *rc, invsync_read_item_t *it, int64_t should,
    const char *shown);
static void invsync_reconcile_missing_id(invsync_reconcile_t *rc,
    const invsync_read_item_t *it, char *id, size_t cap);
static int invsync_reconcile_missing(invsync_worker_t *w,
    invsync_reconcile_t *rc, invsync_read_item_t *it);
static int invsync_reconcile_finish(invsync_worker_t *w,
    invsync_reconcile_t *rc, int complete, const char *why);
static void invsync_reconcile_clear(invsync_reconcile_t *rc);
static void invsync_reconcile_unbatch(invsync_reconcile_t *rc);
static void invsync_reconcile_release(invsync_worker_t *w,
    invsync_reconcile_t *rc);
static int64_t invsync_reconcile_raw(const invsync_channel_conf_t *cc,
    const redisReply *stock, int *err);


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

    invsync_key(rc->lock, sizeof(rc->lock), w->conf, "reconciling:%s",
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

    if (invsync_reconcile_snapshot(w, rc) != 0) {
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
 * What the channel should show of a SKU, by the ledger (its K stock:<sku>
 * hash) and the channel's rules; a bundle (K sku:<sku> components, JSON
 * {sku: qty}) shows its scarcest component.  The pusher and the pass both
 * use this.  Replies borrowed; *err set when the ledger cannot be read.
 * When a component's read loses the session, w->redis is NULL after.
 */

int64_t
invsync_reconcile_should(invsync_worker_t *w,
    const invsync_channel_conf_t *cc, const redisReply *stock,
    const redisReply *components, int *err)
{
    char              key[INVSYNC_KEY_LEN];
    json_t           *c, *q;
    int64_t           a, best;
    const char       *name;
    redisReply       *r;
    invsync_stock_t   st;

    if (components != NULL && components->type == REDIS_REPLY_STRING
        && components->len > 0)
    {
        c = json_loads(components->str, 0, NULL);
        best = -1;

        json_object_foreach(c, name, q) {
            invsync_key(key, sizeof(key), w->conf, "stock:%s", name);
            r = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key,
                                                            NULL });
            if (r == NULL) {
                json_decref(c);
                return 0;
            }

            a = invsync_reconcile_raw(cc, r, err);
            freeReplyObject(r);

            if (json_integer_value(q) > 0) {
                a = a / json_integer_value(q);
                best = best < 0 || a < best ? a : best;
            }
        }

        json_decref(c);

        return invsync_stock_shown(best < 0 ? 0 : best, &cc->rules);
    }

    if (invsync_stock_reply(stock, &st) != 0) {
        *err = 1;
        return 0;
    }

    return invsync_stock_shown(invsync_stock_available(&st, &cc->rules),
                               &cc->rules);
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
 * More mapped SKUs into the queue, enough for a full page of one endpoint
 * (a channel may group items by where they are read, e.g. a product's
 * variations).  0, 1 when the SKU set
 * cannot be read (rc->error), -1 when the Redis session was lost.
 */

static int
invsync_reconcile_fill(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    char         skus[INVSYNC_KEY_LEN], key[INVSYNC_KEY_LEN];
    size_t       i, n;
    redisReply  *r, *list, *ref;

    invsync_key(skus, sizeof(skus), w->conf, "skus");

    while (!rc->scanned && rc->nqueue < 2 * INVSYNC_RECONCILE_PAGE) {
        r = invsync_redis_cmdv(w, (const char *[]) { "SSCAN", skus,
                                      rc->cursor, "COUNT",
                                      INVSYNC_RECONCILE_SCAN, NULL });
        if (r == NULL) {
            return -1;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
            || r->element[0]->type != REDIS_REPLY_STRING
            || r->element[1]->type != REDIS_REPLY_ARRAY)
        {
            snprintf(rc->error, sizeof(rc->error), "the SKU set: %.100s",
                     r->type == REDIS_REPLY_ERROR ? r->str
                                                  : "unexpected reply");
            freeReplyObject(r);
            return 1;
        }

        snprintf(rc->cursor, sizeof(rc->cursor), "%s", r->element[0]->str);
        rc->scanned = strcmp(rc->cursor, "0") == 0;
        list = r->element[1];
        n = 0;

        for (i = 0; i < list->elements; i++) {
            invsync_key(key, sizeof(key), w->conf, "skumap:%s",
                        list->element[i]->str);

            if (invsync_redis_appendv(w, (const char *[]) { "HGET", key,
                                             rc->conf->id, NULL })
                != 0)
            {
                break;
            }

            n++;
        }

        for (i = 0; i < n; i++) {
            ref = invsync_redis_reply(w);
            if (ref == NULL) {
                freeReplyObject(r);
                return -1;
            }

            invsync_reconcile_item(rc, list->element[i]->str,
                                   list->element[i]->len, ref);
            freeReplyObject(ref);
        }

        i = list->elements;
        freeReplyObject(r);

        if (n < i) {
            snprintf(rc->error, sizeof(rc->error), "out of memory");
            return 1;
        }
    }

    return 0;
}


/*
 * One SKU of the scan: queued when it is mapped on this channel with
 * identifiers that can be asked for (the channel's read_item), else
 * unreadable (a SKU not mapped here is not this channel's).
 */

static void
invsync_reconcile_item(invsync_reconcile_t *rc, const char *sku, size_t len,
    const redisReply *ref)
{
    invsync_read_item_t  *it, *q;

    if (ref->type != REDIS_REPLY_STRING) {
        return;
    }

    if (rc->nqueue == rc->cap) {
        q = realloc(rc->queue, (rc->cap ? 2 * rc->cap : 256)
                               * sizeof(invsync_read_item_t));
        if (q == NULL) {
            rc->counts.unreadable++;
            return;
        }

        rc->queue = q;
        rc->cap = rc->cap ? 2 * rc->cap : 256;
    }

    it = &rc->queue[rc->nqueue];
    memset(it, 0, sizeof(invsync_read_item_t));
    it->ref = json_loadb(ref->str, ref->len, 0, NULL);

    if (it->ref == NULL || len >= sizeof(it->sku)
        || rc->ch->read_item(it) != 0)
    {
        rc->counts.unreadable++;
        invsync_log(INVSYNC_LOG_DEBUG, "reconcile: unusable mapping",
                    json_pack("{s:s, s:s%}", "channel", rc->conf->id,
                              "sku", sku, len < sizeof(it->sku) ? len : 0));
        json_decref(it->ref);
        it->ref = NULL;
        return;
    }

    memcpy(it->sku, sku, len);
    it->sku[len] = '\0';
    rc->nqueue++;
}


/*
 * The page's request in rc->call.rq: a new page, the first items of the
 * queue the channel takes into one request (read_build groups them: e.g.
 * the variations of one product); or the page in hand, asked again.  The
 * others stay queued in their order.  0, or -1 when none can be built.
 */

static int
invsync_reconcile_request(invsync_reconcile_t *rc)
{
    size_t  n, max;

    invsync_request_init(&rc->call.rq, "GET");
    rc->call.ctx.now_ms = invsync_now_ms();

    if (rc->nbatch > 0) {
        n = rc->ch->read_build(&rc->call.ctx, rc->batch, rc->nbatch,
                               &rc->call.rq);

        return n == rc->nbatch ? 0 : -1;
    }

    max = rc->ch->read_max < INVSYNC_RECONCILE_PAGE ? rc->ch->read_max
                                                    : INVSYNC_RECONCILE_PAGE;

    n = rc->ch->read_build(&rc->call.ctx, rc->queue, rc->nqueue,
                           &rc->call.rq);

    if (n == 0 || n > max) {
        return -1;
    }

    memcpy(rc->batch, rc->queue, n * sizeof(invsync_read_item_t));
    memmove(rc->queue, rc->queue + n,
            (rc->nqueue - n) * sizeof(invsync_read_item_t));
    rc->nqueue -= n;
    rc->nbatch = n;

    return 0;
}


/* what the pusher thinks the channel shows, before asking the channel */

static int
invsync_reconcile_snapshot(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    char         shown[INVSYNC_KEY_LEN];
    size_t       i, n;
    redisReply  *r;

    invsync_key(shown, sizeof(shown), w->conf, "shown:%s", rc->conf->id);
    n = 0;

    for (i = 0; i < rc->nbatch; i++) {
        if (invsync_redis_appendv(w, (const char *[]) { "HGET", shown,
                                         rc->batch[i].sku, NULL })
            != 0)
        {
            break;
        }

        n++;
    }

    for (i = 0; i < n; i++) {
        r = invsync_redis_reply(w);
        if (r == NULL) {
            return -1;
        }

        snprintf(rc->batch[i].was, sizeof(rc->batch[i].was), "%s",
                 r->type == REDIS_REPLY_STRING ? r->str : "");
        rc->batch[i].read = INVSYNC_READ_UNREAD;
        rc->batch[i].why = NULL;
        freeReplyObject(r);
    }

    return n == rc->nbatch ? 0 : -1;
}


/*
 * Each read SKU against the ledger, which is read after the channel
 * answered: an order reserved meanwhile is in it.  A SKU whose push is
 * pending (dirty) or was acknowledged while we asked (shown moved) is
 * skipped: the channel may not show that push yet, and the pusher sends
 * the ledger's value anyway; the next pass checks it.
 */

static int
invsync_reconcile_compare(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    int                        bad;
    char                       key[INVSYNC_KEY_LEN], shown[INVSYNC_KEY_LEN];
    char                       dirty[INVSYNC_KEY_LEN];
    size_t                     i, n, k;
    int64_t                    should;
    char                       id[INVSYNC_KEY_LEN];
    redisReply                *rep[5 * INVSYNC_RECONCILE_PAGE];
    invsync_read_item_t  *it;

    invsync_key(shown, sizeof(shown), w->conf, "shown:%s", rc->conf->id);
    invsync_key(dirty, sizeof(dirty), w->conf, "dirty:%s", rc->conf->id);
    n = 0;

    for (i = 0; i < rc->nbatch; i++) {
        const char  *sku = rc->batch[i].sku;

        invsync_key(key, sizeof(key), w->conf, "stock:%s", sku);

        if (invsync_redis_appendv(w, (const char *[]) { "HGETALL", key,
                                         NULL })
            != 0)
        {
            break;
        }

        n++;
        invsync_key(key, sizeof(key), w->conf, "sku:%s", sku);

        if (invsync_redis_appendv(w, (const char *[]) { "HGET", key,
                                         "components", NULL })
            != 0)
        {
            break;
        }

        n++;

        if (invsync_redis_appendv(w, (const char *[]) { "HGET", shown,
                                         sku, NULL })
            != 0)
        {
            break;
        }

        n++;

        if (invsync_redis_appendv(w, (const char *[]) { "SISMEMBER",
                                         dirty, sku, NULL })
            != 0)
        {
            break;
        }

        n++;

        /* an item_missing exception of this mapping, still waiting */
        invsync_reconcile_missing_id(rc, &rc->batch[i], id, sizeof(id));
        invsync_key(key, sizeof(key), w->conf, "exception:%s", id);

        if (invsync_redis_appendv(w, (const char *[]) { "HGET", key,
                                         "state", NULL })
            != 0)
        {
            break;
        }

        n++;
    }

    for (k = 0; k < n; k++) {
        rep[k] = invsync_redis_reply(w);

        if (rep[k] == NULL) {
            while (k--) {
                freeReplyObject(rep[k]);
            }

            return -1;
        }
    }

    if (n < 5 * rc->nbatch) {
        for (k = 0; k < n; k++) {
            freeReplyObject(rep[k]);
        }

        return -1;
    }

    for (i = 0; i < rc->nbatch; i++) {
        it = &rc->batch[i];
        k = 5 * i;

        if (it->read == INVSYNC_READ_UNREAD) {
            rc->counts.unreadable++;
            continue;
        }

        if (it->read == INVSYNC_READ_MISSING) {
            rc->counts.missing++;

            if (invsync_reconcile_missing(w, rc, it) != 0) {
                break;
            }

            continue;
        }

        /* known to the channel again (the mapping was put right, the
         * item restored): its exception goes away with its cause */
        if (rep[k + 4]->type == REDIS_REPLY_STRING
            && (strcmp(rep[k + 4]->str, "open") == 0
                || strcmp(rep[k + 4]->str, "retried") == 0))
        {
            invsync_reconcile_missing_id(rc, it, id, sizeof(id));

            if (invsync_exception_resolve(w, id, rc->conf->id, rc->event,
                                          "the channel knows the item "
                                          "again")
                != 0)
            {
                break;
            }
        }

        if ((rep[k + 3]->type == REDIS_REPLY_INTEGER
             && rep[k + 3]->integer == 1)
            || strcmp(rep[k + 2]->type == REDIS_REPLY_STRING
                      ? rep[k + 2]->str : "", it->was) != 0)
        {
            rc->counts.skipped++;
            continue;
        }

        bad = 0;
        should = invsync_reconcile_should(w, rc->conf, rep[k], rep[k + 1],
                                          &bad);

        if (w->redis == NULL) {
            break;
        }

        if (bad) {
            rc->counts.unreadable++;
            continue;
        }

        rc->counts.checked++;

        if (it->read == INVSYNC_READ_SHOWS && it->shows == should) {
            continue;
        }

        rc->counts.drifted++;

        if (invsync_reconcile_drift(w, rc, it, should, it->was) != 0) {
            break;
        }
    }

    for (k = 0; k < n; k++) {
        freeReplyObject(rep[k]);
    }

    return w->redis != NULL ? 0 : -1;
}


/*
 * One drift: its audit entry (stock.drift), and the SKU handed to the
 * pusher, in one MULTI.  By default the pusher is told what the channel
 * really shows (K shown), so that it differs from the ledger and is sent.
 * A channel whose admin changes are corrections keeps its K shown: the
 * change's webhook may still come, and its correction is measured from
 * K shown; the push is forced instead (K force).  0, -1 Redis lost.
 */

static int
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

    invsync_key(audit, sizeof(audit), w->conf, "audit");
    invsync_key(skey, sizeof(skey), w->conf, "shown:%s", rc->conf->id);
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
        invsync_key(key, sizeof(key), w->conf, "force:%s", rc->conf->id);
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

    invsync_key(key, sizeof(key), w->conf, "dirty:%s", rc->conf->id);
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
    invsync_key(key, sizeof(key), w->conf, "audit:sku:%s", it->sku);
    x = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, now,
                                                    r->element[0]->str,
                                                    NULL });
    freeReplyObject(x);
    invsync_key(key, sizeof(key), w->conf, "audit:event:%s:%s",
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

static int
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

static void
invsync_reconcile_missing_id(invsync_reconcile_t *rc,
    const invsync_read_item_t *it, char *id, size_t cap)
{
    /* the item as its channel names it (read_item): "id@location",
     * "product/variation" */
    snprintf(id, cap, "item_missing:%s:%s:%s", rc->conf->id, it->sku,
             it->name);
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

    invsync_key(key, sizeof(key), w->conf, "reconcile:%s", rc->conf->id);
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
}


/* the request and its answer go, off the multi if in flight */

static void
invsync_reconcile_release(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    invsync_call_release(w, &rc->call);
}


/* a component's availability at the channel's locations, at least 0 */

static int64_t
invsync_reconcile_raw(const invsync_channel_conf_t *cc,
    const redisReply *stock, int *err)
{
    int64_t          a;
    invsync_stock_t  st;

    if (invsync_stock_reply(stock, &st) != 0) {
        *err = 1;
        return 0;
    }

    a = invsync_stock_available(&st, &cc->rules);

    /* the bundle applies the rules once, to its own quantity */
    return a < 0 ? 0 : a;
}


/* a stock:<sku> hash (HGETALL) as the ledger's fields; -1 malformed */

int
invsync_stock_reply(const redisReply *r, invsync_stock_t *st)
{
    size_t       i, n;
    const char  *f[2 * INVSYNC_STOCK_MAX_LOCATIONS + 1];
    const char  *v[2 * INVSYNC_STOCK_MAX_LOCATIONS + 1];

    n = 0;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements
                && n < 2 * INVSYNC_STOCK_MAX_LOCATIONS + 1; i += 2)
    {
        f[n] = r->element[i]->str;
        v[n++] = r->element[i + 1]->str;
    }

    return invsync_stock_parse(st, f, v, n);
}
