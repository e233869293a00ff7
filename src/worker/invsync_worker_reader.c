
/*
 * The channel reader engine (invsync_worker_reader.h): a due set read,
 * each due member ("<channel>:<id>") claimed for a lease, its channel's
 * request sent on the worker's curl multi, the answer handed to its
 * reader, a failure due again after a backoff and, at the
 * INVSYNC_READER_ALARM-th in a row, the reader's exception.  The refund
 * reader and the disposition reader are this with their specifics.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_reader.h"
#include "invsync_ship.h"


static int invsync_reader_take(invsync_worker_t *w, invsync_reader_t *t,
    const char *member, int64_t now);
static int invsync_reader_send(invsync_worker_t *w, invsync_readchan_t *rc);
static int invsync_reader_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);


int
invsync_reader_init(invsync_worker_t *w, invsync_reader_t *t,
    const invsync_reader_ops_t *ops)
{
    size_t                         i;
    invsync_readchan_t            *rc;
    const invsync_channel_t       *ch;
    const invsync_channel_conf_t  *cc;

    t->ops = ops;

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];
        ch = invsync_channel_find(cc->type);

        if (cc->api_base == NULL || ch == NULL || !ops->can(ch)) {
            continue;
        }

        rc = &t->chans[t->nchans++];
        rc->ops = ops;
        rc->conf = cc;
        rc->ch = ch;
        rc->credentials = invsync_channel_credentials(cc->credentials_file);
        invsync_call_init(&rc->call, rc->ch, cc, rc->credentials);

        if (rc->ch->account != NULL) {
            rc->ch->account(&rc->call.ctx, rc->account, sizeof(rc->account));
        }
    }

    return 0;
}


void
invsync_reader_free(invsync_worker_t *w, invsync_reader_t *t)
{
    size_t               i;
    invsync_readchan_t  *rc;

    for (i = 0; i < t->nchans; i++) {
        rc = &t->chans[i];

        /* one cut short is due again when its lease ends */
        invsync_call_release(w, &rc->call);
        json_decref(rc->held);
        rc->held = NULL;
        invsync_channel_credentials_free(rc->credentials);
    }

    t->nchans = 0;
}


/*
 * One turn: the due members of idle channels claimed and their read sent.
 * -1 when the Redis session was lost.
 */

int
invsync_reader_step(invsync_worker_t *w, invsync_reader_t *t)
{
    int          running, idle;
    char         key[INVSYNC_READER_KEY_LEN], now_s[32];
    size_t       i;
    int64_t      now;
    redisReply  *r;

    if (t->nchans == 0) {
        return 0;
    }

    now = invsync_now_ms();
    idle = 0;

    for (i = 0; i < t->nchans; i++) {
        idle |= !t->chans[i].busy && now >= t->chans[i].not_before_ms;
    }

    if (idle && now >= t->next_scan_ms) {
        t->next_scan_ms = now + INVSYNC_READER_SCAN_MS;
        t->ops->due_key(key, sizeof(key), w->conf);
        snprintf(now_s, sizeof(now_s), "%lld", (long long) now);

        r = invsync_redis_cmdv(w, (const char *[]) { "ZRANGEBYSCORE", key,
                               "-inf", now_s, "LIMIT", "0", "64", NULL });
        if (r == NULL) {
            return -1;
        }

        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
            if (invsync_reader_take(w, t, r->element[i]->str, now) < 0) {
                freeReplyObject(r);
                return -1;
            }
        }

        freeReplyObject(r);
    }

    for (i = 0; i < t->nchans; i++) {
        if (t->chans[i].busy) {
            curl_multi_perform(w->multi, &running);

            if (w->busy_ms == 0 || w->busy_ms > 2) {
                w->busy_ms = 2;
            }

            break;
        }
    }

    return 0;
}


/* a due member: its read sent if its channel is free and the claim is
 * this worker's.  0, or -1 on Redis */
static int
invsync_reader_take(invsync_worker_t *w, invsync_reader_t *t,
    const char *member, int64_t now)
{
    int                  ok;
    char                 key[INVSYNC_READER_KEY_LEN];
    size_t               j, n;
    redisReply          *r;
    invsync_readchan_t  *c;

    for (j = 0; j < t->nchans; j++) {
        n = strlen(t->chans[j].conf->id);

        if (strncmp(member, t->chans[j].conf->id, n) == 0
            && member[n] == ':')
        {
            break;
        }
    }

    if (j == t->nchans) {
        /* a channel no longer configured (or that cannot read): out of
         * the way for an hour, a reload may bring it back */
        return invsync_reader_due(w, t->ops, member, now + 3600000) < 0
               ? -1 : 0;
    }

    c = &t->chans[j];

    if (c->busy || now < c->not_before_ms
        || strlen(member) >= t->ops->member_max
        || strlen(member) >= sizeof(c->member))
    {
        return 0;
    }

    /* taken only while still due, in one step (ship_claim.lua): a score
     * merely moved up ("ZADD GT") would let a worker that read the
     * member before another's claim take it too, and read it twice */
    t->ops->due_key(key, sizeof(key), w->conf);
    r = invsync_ship_claim(w, key, now, INVSYNC_READER_LEASE_MS, &member, 1);
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_ARRAY && r->elements >= 2;
    freeReplyObject(r);

    if (!ok) {
        return 0;       /* another worker claimed it first */
    }

    snprintf(c->member, sizeof(c->member), "%s", member);
    c->id = c->member + strlen(c->conf->id) + 1;
    json_decref(c->held);
    c->held = NULL;

    if (t->ops->claimed != NULL) {
        ok = t->ops->claimed(w, c);

        if (ok <= 0) {
            return ok;
        }
    }

    return invsync_reader_send(w, c) < 0 ? -1 : 0;
}


/* the read: 1 sent, 0 not (a failure, recorded), -1 on Redis */
static int
invsync_reader_send(invsync_worker_t *w, invsync_readchan_t *rc)
{
    invsync_request_init(&rc->call.rq, "GET");
    rc->call.ctx.now_ms = invsync_now_ms();

    if (rc->ops->build(rc, &rc->call.rq) != 0) {
        invsync_call_release(w, &rc->call);
        return rc->ops->unasked(w, rc) < 0 ? -1 : 0;
    }

    if (invsync_call_start(w, &rc->call, rc->ops->resp_max,
                           INVSYNC_READER_TIMEOUT_MS, invsync_reader_done,
                           rc)
        != 0)
    {
        invsync_call_release(w, &rc->call);
        return invsync_reader_failed(w, rc, "the request was not sent", 0);
    }

    rc->busy = 1;

    return 1;
}


static int
invsync_reader_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    int                   rc;
    char                  why[160];
    json_t               *out;
    int64_t               wait;
    invsync_answer_t      a;
    invsync_channel_rc_e  vrc;
    invsync_readchan_t   *rch = c->owner;

    wait = 0;
    why[0] = '\0';
    out = NULL;
    rch->busy = 0;
    vrc = invsync_call_verdict(c, code, &a, &wait, why, sizeof(why));

    if (vrc == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);
        vrc = rch->ops->parse(rch, &a, &out, &wait);
    }

    invsync_call_release(w, c);

    if (vrc == INVSYNC_CH_THROTTLED) {
        json_decref(out);
        rch->not_before_ms = invsync_now_ms() + wait;
        return invsync_reader_failed(w, rch, "throttled", wait);
    }

    if (vrc != INVSYNC_CH_DONE) {
        json_decref(out);
        return invsync_reader_failed(w, rch, why[0] ? why : "failed", 0);
    }

    rc = rch->ops->answer(w, rch, out);
    json_decref(out);

    return rc;
}


int
invsync_reader_due(invsync_worker_t *w, const invsync_reader_ops_t *ops,
    const char *member, int64_t at)
{
    int          ok;
    char         key[INVSYNC_READER_KEY_LEN], s[32];
    redisReply  *r;

    ops->due_key(key, sizeof(key), w->conf);
    snprintf(s, sizeof(s), "%lld", (long long) at);

    r = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "XX", "CH",
                           s, member, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    return ok;
}


int
invsync_reader_read(invsync_worker_t *w, invsync_readchan_t *rc)
{
    char         key[INVSYNC_READER_KEY_LEN];
    redisReply  *r;

    /* the reader's state first: a member left due with it gone is read
     * again, one gone from the due set with its state left is never */
    if (rc->ops->forget(w, rc) < 0) {
        return -1;
    }

    rc->ops->due_key(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", key, rc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);
    json_decref(rc->held);
    rc->held = NULL;

    return 0;
}


int
invsync_reader_failed(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *why, int64_t delay)
{
    char     what[64];
    int64_t  n;

    n = rc->ops->count(w, rc);
    if (n < 0) {
        return -1;
    }

    if (delay <= 0) {
        delay = rc->ops->jitter
                ? invsync_backoff_ms(1000, n - 1, 10,
                                     INVSYNC_READER_BACKOFF_MS)
                : n >= 10 ? INVSYNC_READER_BACKOFF_MS
                          : (int64_t) 1000 << (n - 1);
    }

    if (delay > INVSYNC_READER_BACKOFF_MS) {
        delay = INVSYNC_READER_BACKOFF_MS;
    }

    snprintf(what, sizeof(what), "%s not read", rc->ops->what);
    invsync_log(INVSYNC_LOG_WARN, what,
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "channel",
                          rc->conf->id, rc->ops->id_field, rc->id,
                          "err", why, "failures", (json_int_t) n,
                          "retry_ms", (json_int_t) delay));

    if (invsync_reader_due(w, rc->ops, rc->member, invsync_now_ms() + delay)
        < 0)
    {
        return -1;
    }

    if (n != INVSYNC_READER_ALARM) {
        return 0;
    }

    return rc->ops->alarm(w, rc, why, n);
}


int
invsync_reader_open(invsync_worker_t *w, invsync_readchan_t *rc,
    invsync_exception_t *x)
{
    redisReply  *r;

    x->channel = rc->conf->id;
    x->stream = "";
    x->entry = "";
    x->sku = "";
    x->consumer = w->conf->consumer;

    r = invsync_exception_open(w, x);

    if (r == NULL) {
        return w->redis ? 0 : -1;
    }

    freeReplyObject(r);

    return 0;
}
