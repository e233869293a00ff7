
/*
 * The order backfill poller: every poll_s seconds per channel, the orders
 * the channel changed since its mark are fetched from its API and added
 * to <prefix>:orders as envelopes like the module's, so that an order
 * whose webhook was lost (some channels never retry a webhook, others
 * may be a day late) is still applied.  Effects are keyed by order and
 * version, so a webhook and a poll of the same version are one effect.
 *
 * A round is a page at a time on the worker's curl multi, beside the
 * pusher's requests: the loop never waits for a channel.  What a page's
 * request and answer look like is the channel's (poll_build, poll_parse,
 * poll_order of its row in the channel table).
 *
 * This file runs the rounds; invsync_worker_poll_order.c writes the
 * orders they find, invsync_worker_poll_held.c hands back the stock
 * notices held until a round had read them.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_poll.h"


static int invsync_poll_begin(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t now, int soon);
static int invsync_poll_soon(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t now);
static int invsync_poll_lock(invsync_worker_t *w, invsync_pollchan_t *pc,
    int soon);
static int invsync_poll_send(invsync_worker_t *w, invsync_pollchan_t *pc);
static int invsync_poll_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_poll_end(invsync_worker_t *w, invsync_pollchan_t *pc,
    int whole);
static void invsync_poll_failed(invsync_pollchan_t *pc, const char *why,
    long status, const char *err);
static int invsync_poll_delay(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t delay_ms);


/* the poller of every channel with poll_s; w->poll NULL when none has */

int
invsync_poll_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_poll_t                *p;
    invsync_pollchan_t            *pc;
    const invsync_channel_conf_t  *cc;

    w->poll = NULL;
    p = NULL;
    memset(w->poll_soon_ms, 0, sizeof(w->poll_soon_ms));

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];

        /* the configuration checked that the type can poll, api_base and
         * credentials */
        if (cc->poll_s == 0) {
            continue;
        }

        if (p == NULL) {
            p = calloc(1, sizeof(invsync_poll_t));
            if (p == NULL) {
                snprintf(err, len, "out of memory");
                return -1;
            }
        }

        pc = &p->chans[p->nchans++];
        pc->conf = cc;
        pc->ch = invsync_channel_find(cc->type);
        pc->credentials = invsync_channel_credentials(cc->credentials_file);
        pc->next_ms = 0;
        invsync_call_init(&pc->call, pc->ch, cc, pc->credentials);

        if (pc->credentials == NULL
            || !invsync_channel_can(pc->ch, poll_build))
        {
            w->poll = p;
            invsync_poll_free(w);
            snprintf(err, len, "channel \"%s\": \"credentials_file\" "
                     "cannot be read", cc->id);
            return -1;
        }

        pc->ch->account(&pc->call.ctx, pc->account, sizeof(pc->account));
    }

    w->poll = p;

    return 0;
}


void
invsync_poll_free(invsync_worker_t *w)
{
    size_t           i;
    invsync_poll_t  *p = w->poll;

    if (p == NULL) {
        return;
    }

    for (i = 0; i < p->nchans; i++) {
        /* a round cut short: the mark stays, the next one reads again */
        invsync_call_release(w, &p->chans[i].call);
        json_decref(p->chans[i].page.orders);

        invsync_channel_credentials_free(p->chans[i].credentials);
    }

    free(p);
    w->poll = NULL;
}


/*
 * One turn of the worker's loop: the channels that are due start a round
 * or send its next page; answers are read by their calls' done.  -1 when
 * the Redis session was lost.
 */

int
invsync_poll_step(invsync_worker_t *w)
{
    size_t               i;
    int64_t              now;
    invsync_poll_t      *p = w->poll;
    invsync_pollchan_t  *pc;

    if (p == NULL || w->redis == NULL) {
        return 0;
    }

    /* (the pusher's step moves the multi: pushes, reads and polls) */

    now = invsync_now_ms();

    for (i = 0; i < p->nchans; i++) {
        pc = &p->chans[i];

        if (pc->call.inflight) {
            continue;
        }

        if (!pc->round && now >= pc->next_ms
            && invsync_poll_begin(w, pc, now, 0) != 0)
        {
            return -1;
        }

        if (!pc->round && invsync_poll_soon(w, pc, now)
            && invsync_poll_begin(w, pc, now, 1) != 0)
        {
            return -1;
        }

        if (pc->round && now >= pc->page_ms
            && invsync_poll_send(w, pc) != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* a page in flight, or due: the loop's reads should wait little */

int
invsync_poll_busy(invsync_worker_t *w)
{
    size_t  i;

    for (i = 0; w->poll != NULL && i < w->poll->nchans; i++) {
        if (w->poll->chans[i].round) {
            return 1;
        }
    }

    return 0;
}


/*
 * A new round for one channel: the orders changed since the mark, page by
 * page, each new version added to the stream; the mark moves only after
 * the last page, so an interrupted round is done again (the polled keys
 * keep it from adding the same versions twice).  Several workers take
 * turns through a lock that lasts most of the interval.  soon: a round
 * before its turn, for a held stock notice (invsync_poll_soon()).
 */

static int
invsync_poll_begin(invsync_worker_t *w, invsync_pollchan_t *pc, int64_t now,
    int soon)
{
    int          ok;
    char         mark[INVSYNC_KEY_LEN];
    redisReply  *r;

    if (!soon) {
        pc->next_ms = now + pc->conf->poll_s * 1000;
    }

    ok = invsync_poll_lock(w, pc, soon);
    if (ok < 0) {
        return -1;
    }

    if (!ok) {
        /* another worker polls this channel this time */
        return 0;
    }

    pc->next_ms = now + pc->conf->poll_s * 1000;

    invsync_key_pollmark(mark, sizeof(mark), w->conf, pc->conf->id);

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", mark, NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_STRING
        && invsync_time_iso_ms(r->str, &pc->mark_ms) == 0)
    {
        pc->page.since_ms = pc->mark_ms - INVSYNC_POLL_OVERLAP_MS;

    } else {
        pc->mark_ms = -1;
        pc->page.since_ms = now - pc->conf->poll_since_s * 1000;
    }

    freeReplyObject(r);

    pc->page.cursor[0] = '\0';
    pc->page.pages = -1;
    pc->rd.newest_ms = -1;
    pc->rd.seen = 0;
    pc->rd.added = 0;
    pc->rd.pages = 0;
    pc->rd.incomplete = 0;
    pc->round = 1;
    pc->page_ms = 0;
    pc->begun_ms = now;

    return 0;
}


/*
 * A round before its turn, asked for by a held stock notice of the
 * channel (invsync_stock_hold.c), once it is due: not while the channel
 * asked to wait or the poller backs off after failures.
 */

static int
invsync_poll_soon(invsync_worker_t *w, invsync_pollchan_t *pc, int64_t now)
{
    size_t   i;
    int64_t  at;

    i = (size_t) (pc->conf - w->conf->channels);

    if (i >= INVSYNC_MAX_CHANNELS) {
        return 0;
    }

    at = w->poll_soon_ms[i];

    if (at == 0 || now < at) {
        return 0;
    }

    w->poll_soon_ms[i] = 0;

    return now < pc->next_ms && now >= pc->wait_ms && pc->failures == 0;
}


/*
 * The channel's polling lock for most of the interval: 1 taken, 0 another
 * worker's, -1 Redis lost.  A round before its turn (soon) also takes the
 * lock this worker left from its own last round.
 */

static int
invsync_poll_lock(invsync_worker_t *w, invsync_pollchan_t *pc, int soon)
{
    int          ok;
    char         lock[INVSYNC_KEY_LEN], ttl[32];
    redisReply  *r;

    invsync_key_polling(lock, sizeof(lock), w->conf, pc->conf->id);
    snprintf(ttl, sizeof(ttl), "%lld",
             (long long) (pc->conf->poll_s * 1000 * 9 / 10));

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", lock,
                                               w->conf->consumer, "NX", "PX",
                                               ttl, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);

    if (ok || !soon) {
        return ok;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", lock, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_STRING
         && strcmp(r->str, w->conf->consumer) == 0;
    freeReplyObject(r);

    if (!ok) {
        return 0;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", lock,
                                               w->conf->consumer, "PX", ttl,
                                               NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 1;
}


/* the round's next page on the multi; 0, or -1 when Redis was lost */

static int
invsync_poll_send(invsync_worker_t *w, invsync_pollchan_t *pc)
{
    if (pc->rd.pages >= INVSYNC_POLL_MAX_PAGES) {
        /* the mark stays: the next round starts over */
        invsync_poll_failed(pc, "too many pages", 0, "");
        return invsync_poll_end(w, pc, 0);
    }

    invsync_request_init(&pc->call.rq, "GET");
    pc->call.ctx.now_ms = invsync_now_ms();

    if (pc->ch->poll_build(&pc->call.ctx, &pc->page, &pc->call.rq) != 0
        || invsync_call_start(w, &pc->call, INVSYNC_POLL_RESP_MAX,
                              INVSYNC_POLL_TIMEOUT_MS, invsync_poll_done, pc)
           != 0)
    {
        invsync_call_release(w, &pc->call);
        invsync_poll_failed(pc, "request failed", 0, "not built");
        return invsync_poll_end(w, pc, 0);
    }

    return 0;
}


/* a page's answer: its orders added, then the next page or the end */

static int
invsync_poll_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    char                   why[160];
    size_t                 i;
    json_t                *order;
    int64_t                delay;
    invsync_answer_t       a;
    invsync_pollchan_t    *pc = c->owner;
    invsync_channel_rc_e   rc;

    delay = 0;
    why[0] = '\0';
    rc = invsync_call_verdict(c, code, &a, &delay, why, sizeof(why));

    if (rc == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);
        pc->page.orders = NULL;
        rc = pc->ch->poll_parse(&c->ctx, &a, &pc->page, &delay);
    }

    invsync_call_release(w, c);

    if (rc == INVSYNC_CH_THROTTLED) {
        invsync_log(INVSYNC_LOG_WARN, "order poll throttled",
                    json_pack("{s:s, s:i, s:I, s:i}",
                              "channel", pc->conf->id,
                              "http_status", (int) a.status,
                              "delay_ms", (json_int_t) delay,
                              "page", (int) pc->rd.pages + 1));

        return invsync_poll_delay(w, pc, delay) != 0
               ? -1 : invsync_poll_end(w, pc, 0);
    }

    if (rc == INVSYNC_CH_RETRY) {
        invsync_poll_failed(pc, code != CURLE_OK ? "request failed"
                                                 : "unexpected answer",
                            a.status, why);
        return invsync_poll_end(w, pc, 0);
    }

    pc->rd.pages++;

    json_array_foreach(pc->page.orders, i, order) {
        if (invsync_poll_order(w, pc, order) != 0) {
            json_decref(pc->page.orders);
            pc->page.orders = NULL;
            return -1;
        }
    }

    json_decref(pc->page.orders);
    pc->page.orders = NULL;

    if (rc == INVSYNC_CH_MORE) {
        /* a thin rate-limit bucket: the next page after a leak */
        pc->page_ms = delay > 0 ? invsync_now_ms() + delay : 0;

        if (delay > 0) {
            invsync_log(INVSYNC_LOG_INFO, "order poll paused: the API call "
                        "bucket is full",
                        json_pack("{s:s, s:i, s:I}", "channel", pc->conf->id,
                                  "page", (int) pc->rd.pages,
                                  "delay_ms", (json_int_t) delay));
        }

        return 0;
    }

    return invsync_poll_end(w, pc, 1);
}


/*
 * The round is over: when the whole window was read (whole) and added the
 * mark may move; either way the next round is at next_ms.  0, or -1 when
 * the Redis session was lost.
 */

static int
invsync_poll_end(invsync_worker_t *w, invsync_pollchan_t *pc, int whole)
{
    char                   mark[INVSYNC_KEY_LEN], since[64];
    redisReply            *r;
    invsync_poll_round_t  *rd = &pc->rd;

    pc->round = 0;

    if (!whole) {
        return w->redis ? 0 : -1;
    }

    if (!rd->incomplete && (rd->newest_ms > pc->mark_ms || pc->mark_ms < 0)) {
        invsync_iso_time(rd->newest_ms > pc->mark_ms ? rd->newest_ms
                                                     : pc->page.since_ms,
                         1, since, sizeof(since));
        invsync_key_pollmark(mark, sizeof(mark), w->conf,
                             pc->conf->id);

        r = invsync_redis_cmdv(w, (const char *[]) { "SET", mark, since,
                                                   NULL });
        if (r == NULL) {
            return -1;
        }

        freeReplyObject(r);
    }

    /* every order changed before the round began is in the stream now:
     * the stock notices held for them follow */
    if (!rd->incomplete && invsync_poll_release(w, pc, pc->begun_ms) != 0) {
        return -1;
    }

    if (pc->failures > 0) {
        invsync_log(INVSYNC_LOG_INFO, "order poll recovered",
                    json_pack("{s:s, s:i}", "channel", pc->conf->id,
                              "failures", pc->failures));
        pc->failures = 0;
    }

    invsync_log(rd->added ? INVSYNC_LOG_INFO : INVSYNC_LOG_DEBUG,
                "orders polled",
                json_pack("{s:s, s:I, s:I, s:I}",
                          "channel", pc->conf->id,
                          "pages", (json_int_t) rd->pages,
                          "seen", (json_int_t) rd->seen,
                          "added", (json_int_t) rd->added));

    return 0;
}


/* one log line per failure; later rounds back off up to 5 minutes */

static void
invsync_poll_failed(invsync_pollchan_t *pc, const char *why, long status,
    const char *err)
{
    int      shift;
    int64_t  delay, cap;

    pc->failures++;

    shift = pc->failures - 1 < 6 ? pc->failures - 1 : 6;
    delay = (pc->conf->poll_s * 1000) << shift;
    cap = pc->conf->poll_s * 1000 > 300000 ? pc->conf->poll_s * 1000
                                           : 300000;
    delay = delay < cap ? delay : cap;
    pc->next_ms = invsync_now_ms() + delay;

    invsync_log(INVSYNC_LOG_WARN, "order poll failed",
                json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:I}",
                          "channel", pc->conf->id, "why", why,
                          "http_status", (int) status, "err", err,
                          "page", (int) pc->rd.pages + 1,
                          "failures", pc->failures,
                          "delay_ms", (json_int_t) delay));
}


/* the channel asked to wait: this worker and, through the lock, others */

static int
invsync_poll_delay(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t delay_ms)
{
    char         lock[INVSYNC_KEY_LEN], ttl[32];
    redisReply  *r;

    if (delay_ms > 3600000) {
        delay_ms = 3600000;
    }

    pc->next_ms = invsync_now_ms() + delay_ms;
    pc->wait_ms = pc->next_ms;

    invsync_key_polling(lock, sizeof(lock), w->conf, pc->conf->id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long) delay_ms);

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", lock,
                                               w->conf->consumer, "PX", ttl,
                                               NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


