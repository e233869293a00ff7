
/*
 * Refunds made on the channels (docs/refunds.md): the requests K
 * refundout:due says are due (invsync_refund_out_open() adds one when it
 * opens) are made on their channel by the channel's refund_build /
 * refund_parse, a step machine that looks at the order's refunds first.
 * One request at a time per channel, one HTTP request at a time, on the
 * worker's curl multi: the loop never waits.  The verdict of
 * invsync_call.c (429 and Retry-After, 5xx) and the channel's own
 * throttling delay the channel, its stock pushes too (they share its rate
 * limit).  A failed attempt is retried with backoff, from the look again;
 * after INVSYNC_REFUND_ALARM failures, or at once when the channel
 * refuses, the refund_refused exception with the channel's message.
 * Made: state created, refund_ref, audit entry refund.push.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "invsync_worker_refund_out.h"


static int invsync_refund_drv_claim(invsync_worker_t *w, const char *cause,
    int64_t now);
static int invsync_refund_drv_load(invsync_worker_t *w,
    invsync_refundchan_t *rc, const char *cause);
static void invsync_refund_drv_fill(invsync_refundchan_t *rc,
    const char *f, const char *v);
static int invsync_refund_drv_send(invsync_worker_t *w,
    invsync_refundchan_t *rc);
static int invsync_refund_drv_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static invsync_refundchan_t *invsync_refund_drv_chan(invsync_worker_t *w,
    const char *cause, int *rc);
static int64_t invsync_refund_drv_shared(invsync_worker_t *w,
    const invsync_refundchan_t *rc, int64_t until);


int
invsync_refund_out_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_refund_drv_t          *d;
    invsync_refundchan_t          *rc;
    const invsync_channel_conf_t  *cc;

    d = calloc(1, sizeof(invsync_refund_drv_t));
    if (d == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];
        rc = &d->chans[d->nchans++];
        rc->conf = cc;
        rc->ch = invsync_channel_find(cc->type);

        if (cc->api_base != NULL && invsync_channel_can(rc->ch,
                                                        refund_build))
        {
            rc->credentials = invsync_channel_credentials(
                                  cc->credentials_file);
            invsync_call_init(&rc->call, rc->ch, cc, rc->credentials);
        }
    }

    w->refund_out = d;

    return 0;
}


void
invsync_refund_out_free(invsync_worker_t *w)
{
    size_t                 i;
    invsync_refundchan_t  *rc;

    if (w->refund_out == NULL) {
        return;
    }

    for (i = 0; i < w->refund_out->nchans; i++) {
        rc = &w->refund_out->chans[i];

        /* one cut short is due again when its lease ends: looked anew */
        invsync_call_release(w, &rc->call);
        json_decref(rc->r.found);

        invsync_channel_credentials_free(rc->credentials);
    }

    free(w->refund_out);
    w->refund_out = NULL;
}


/*
 * One turn: the due requests of idle channels are claimed and their first
 * request sent.  -1 when the Redis session was lost.
 */

int
invsync_refund_out_step(invsync_worker_t *w)
{
    int                    busy, running, rc;
    char                   key[INVSYNC_REFUND_KEY_LEN], now_s[32];
    size_t                 i, j;
    int64_t                now;
    redisReply            *r;
    const char            *cause;
    invsync_refund_drv_t  *d = w->refund_out;
    invsync_refundchan_t  *ch;

    if (d == NULL || d->nchans == 0) {
        return 0;
    }

    now = invsync_now_ms();

    for (j = 0; j < d->nchans && (d->chans[j].busy || now < d->next_scan_ms);
         j++)
    {
        /* void */
    }

    if (j == d->nchans) {
        goto perform;
    }

    d->next_scan_ms = now + INVSYNC_REFUND_SCAN_MS;
    invsync_key_refundout_due(key, sizeof(key), w->conf);
    snprintf(now_s, sizeof(now_s), "%lld", (long long) now);

    r = invsync_redis_cmdv(w, (const char *[]) { "ZRANGEBYSCORE", key,
                           "-inf", now_s, "LIMIT", "0", "64", NULL });
    if (r == NULL) {
        return -1;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        cause = r->element[i]->str;
        ch = invsync_refund_drv_chan(w, cause, &rc);

        if (rc < 0) {
            freeReplyObject(r);
            return -1;
        }

        if (ch == NULL) {
            /* a channel no longer configured: out of the way for an hour */
            rc = invsync_refund_drv_claim(w, cause, now + 3600000
                                                    - INVSYNC_REFUND_LEASE_MS);

        } else if (ch->busy || now < ch->not_before_ms
                   || now < invsync_refund_drv_shared(w, ch, 0))
        {
            continue;

        } else {
            rc = invsync_refund_drv_claim(w, cause, now);

            if (rc > 0) {
                rc = invsync_refund_drv_load(w, ch, cause);
            }

            if (rc > 0) {
                rc = invsync_refund_drv_send(w, ch);
            }
        }

        if (rc < 0) {
            freeReplyObject(r);
            return -1;
        }
    }

    freeReplyObject(r);

perform:

    for (busy = 0, j = 0; j < d->nchans; j++) {
        busy |= d->chans[j].busy;
    }

    if (busy) {
        curl_multi_perform(w->multi, &running);

        if (w->busy_ms == 0 || w->busy_ms > 2) {
            w->busy_ms = 2;
        }
    }

    return 0;
}


/* the channel of a due request (NULL: not configured, or no such request:
 * *rc 0), *rc -1 when Redis was lost */

static invsync_refundchan_t *
invsync_refund_drv_chan(invsync_worker_t *w, const char *cause, int *rc)
{
    char           key[INVSYNC_REFUND_KEY_LEN];
    size_t         j;
    redisReply    *r;
    invsync_refundchan_t  *ch;

    invsync_key_refundout(key, sizeof(key), w->conf, cause);
    *rc = 0;

    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "channel",
                           NULL });
    if (r == NULL) {
        *rc = -1;
        return NULL;
    }

    ch = NULL;

    for (j = 0; r->type == REDIS_REPLY_STRING && j < w->refund_out->nchans;
         j++)
    {
        if (strcmp(w->refund_out->chans[j].conf->id, r->str) == 0) {
            ch = &w->refund_out->chans[j];
        }
    }

    freeReplyObject(r);

    return ch;
}


/* the request held for this worker for a lease: 1, 0 another has it */

static int
invsync_refund_drv_claim(invsync_worker_t *w, const char *cause,
    int64_t now)
{
    int          ok;
    char         key[INVSYNC_REFUND_KEY_LEN], until[32];
    redisReply  *r;

    invsync_key_refundout_due(key, sizeof(key), w->conf);
    snprintf(until, sizeof(until), "%lld",
             (long long) (now + INVSYNC_REFUND_LEASE_MS));

    r = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "XX", "GT",
                           "CH", until, cause, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    return ok;
}


/*
 * The request's hash into rc->r: 1 to make, 0 nothing to do (not open,
 * or a channel that cannot: off the due set), -1 Redis.
 */

static int
invsync_refund_drv_load(invsync_worker_t *w, invsync_refundchan_t *rc,
    const char *cause)
{
    int                     make;
    char                    key[INVSYNC_REFUND_KEY_LEN];
    size_t                  i;
    unsigned char           md[SHA256_DIGEST_LENGTH];
    redisReply             *r;
    const char             *state;
    invsync_refund_push_t  *p = &rc->r;

    json_decref(p->found);
    memset(p, 0, sizeof(*p));
    snprintf(p->cause, sizeof(p->cause), "%s", cause);
    invsync_key_refundout(key, sizeof(key), w->conf, cause);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key, NULL });
    if (r == NULL) {
        return -1;
    }

    state = "";

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        if (strcmp(r->element[i]->str, "state") == 0) {
            state = r->element[i + 1]->str;
        }

        invsync_refund_drv_fill(rc, r->element[i]->str,
                                r->element[i + 1]->str);
    }

    make = strcmp(state, "open") == 0
           && invsync_channel_can(rc->ch, refund_build)
           && rc->conf->api_base != NULL;
    freeReplyObject(r);

    if (!make) {
        invsync_key_refundout_due(key, sizeof(key), w->conf);
        r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", key, cause,
                               NULL });
        freeReplyObject(r);
        return r != NULL ? 0 : -1;
    }

    /* the same key for every attempt of this refund, a new one for
     * another: what the channel's idempotency wants */
    SHA256((const unsigned char *) cause, strlen(cause), md);

    for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        snprintf(p->idempotency + 2 * i, 3, "%02x", md[i]);
    }

    snprintf(rc->order, sizeof(rc->order), "%s:%s", rc->conf->id,
             p->order_id);
    p->step = INVSYNC_REFUND_LOOK;
    rc->steps = 0;

    return 1;
}


/* one field of the request's hash (refund_out.lua's "open") */

static void
invsync_refund_drv_fill(invsync_refundchan_t *rc, const char *f,
    const char *v)
{
    size_t                  i;
    json_t                 *lines, *ln;
    invsync_refund_push_t  *p = &rc->r;

#define invsync_refund_drv_field(name, dst)                                  \
    if (strcmp(f, name) == 0) snprintf(dst, sizeof(dst), "%s", v)

    invsync_refund_drv_field("order_id", p->order_id);
    invsync_refund_drv_field("currency", p->currency);
    invsync_refund_drv_field("reason", p->reason);
    invsync_refund_drv_field("note", p->note);
    invsync_refund_drv_field("ref", p->ref);
#undef invsync_refund_drv_field

    if (strcmp(f, "shipping_minor") == 0) {
        p->shipping_minor = strtoll(v, NULL, 10);
        return;
    }

    if (strcmp(f, "lines") != 0) {
        return;
    }

    lines = json_loads(v, 0, NULL);

    json_array_foreach(lines, i, ln) {
        if (i < INVSYNC_REFUND_PUSH_LINES) {
            snprintf(p->lines[i].line_id, sizeof(p->lines[i].line_id), "%s",
                     json_string_value(json_object_get(ln, "line_ref"))
                     ?: "");
            snprintf(p->lines[i].sku, sizeof(p->lines[i].sku), "%s",
                     json_string_value(json_object_get(ln, "sku")) ?: "");
            p->lines[i].qty = json_integer_value(json_object_get(ln, "qty"));
            p->nlines = i + 1;
        }
    }

    json_decref(lines);
}


/* the request of the refund's step: 1 sent, 0 not (a failure), -1 */

static int
invsync_refund_drv_send(invsync_worker_t *w, invsync_refundchan_t *rc)
{
    invsync_request_init(&rc->call.rq, "GET");
    rc->call.ctx.now_ms = invsync_now_ms();

    if (++rc->steps > INVSYNC_REFUND_STEPS) {
        return invsync_refund_drv_failed(w, rc, "the channel's steps did "
                                         "not end", 0, 0);
    }

    if (rc->ch->refund_build(&rc->call.ctx, &rc->r, &rc->call.rq) != 0) {
        invsync_call_release(w, &rc->call);
        return invsync_refund_drv_failed(w, rc, rc->r.err, 1, 0);
    }

    if (invsync_call_start(w, &rc->call, INVSYNC_REFUND_RESP_MAX,
                           INVSYNC_PUSH_TIMEOUT_MS, invsync_refund_drv_done,
                           rc)
        != 0)
    {
        invsync_call_release(w, &rc->call);
        return invsync_refund_drv_failed(w, rc, "the request was not sent",
                                         0, 0);
    }

    rc->busy = 1;

    return 1;
}


static int
invsync_refund_drv_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code)
{
    int                    paced;
    char                   why[160];
    int64_t                wait, held;
    invsync_answer_t       a;
    invsync_refundchan_t  *rc = c->owner;
    invsync_channel_rc_e   v;

    wait = 0;
    why[0] = '\0';
    rc->busy = 0;
    v = invsync_call_verdict(c, code, &a, &wait, why, sizeof(why));

    /* a 5xx the engine would retry is the channel's to read too, with a
     * Retry-After (which the engine calls throttling) or without: some
     * channels refuse a refund with a 500, and only the channel can tell
     * that answer from an outage; its parse retries every other 5xx, and
     * a retried one with Retry-After still waits as it says (docs/refunds
     * .md, "Refused, and what is retried") */
    if (v == INVSYNC_CH_DONE
        || ((v == INVSYNC_CH_RETRY || v == INVSYNC_CH_THROTTLED)
            && a.status >= 500))
    {
        paced = (v == INVSYNC_CH_THROTTLED);
        held = wait;
        a.why = why;
        a.why_len = sizeof(why);
        v = rc->ch->refund_parse(&c->ctx, &a, &rc->r, &wait);

        if (paced && v == INVSYNC_CH_RETRY) {
            v = INVSYNC_CH_THROTTLED;
            wait = held;
        }
    }

    invsync_call_release(w, c);

    if (v == INVSYNC_CH_THROTTLED) {
        rc->not_before_ms = invsync_now_ms() + wait;
        (void) invsync_refund_drv_shared(w, rc, rc->not_before_ms);
        return invsync_refund_drv_failed(w, rc, "throttled", -1, wait);
    }

    if (v != INVSYNC_CH_DONE) {
        return invsync_refund_drv_failed(w, rc, why[0] ? why : "failed", 0,
                                         0);
    }

    /* a thin bucket: the next request waits for it */
    rc->not_before_ms = wait > 0 ? invsync_now_ms() + wait : 0;

    if (rc->r.step == INVSYNC_REFUND_DONE
        || rc->r.step == INVSYNC_REFUND_COVERED)
    {
        return invsync_refund_drv_told(w, rc);
    }

    if (rc->r.step == INVSYNC_REFUND_REFUSED) {
        return invsync_refund_drv_failed(w, rc, rc->r.err, 1, 0);
    }

    return invsync_refund_drv_send(w, rc) < 0 ? -1 : 0;
}


/*
 * The channel's rate limit is shared with its stock pushes: until > 0
 * makes them wait that long too; returns how long they make us wait.
 */

static int64_t
invsync_refund_drv_shared(invsync_worker_t *w,
    const invsync_refundchan_t *rc, int64_t until)
{
    size_t   i;
    int64_t  theirs;

    theirs = 0;

    for (i = 0; w->push != NULL && i < w->push->nchans; i++) {
        if (w->push->chans[i].conf != rc->conf) {
            continue;
        }

        if (w->push->chans[i].not_before_ms < until) {
            w->push->chans[i].not_before_ms = until;
        }

        theirs = w->push->chans[i].not_before_ms;
    }

    return theirs;
}
