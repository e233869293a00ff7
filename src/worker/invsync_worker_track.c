
/*
 * Tracking back to the channels: the shipments K track:due says are due
 * (ship_confirm.lua adds one when it ships) are told to their channel by
 * the channel's track_build / track_parse, a step machine (look, move,
 * create, complete; invsync_channel.h).  Up to "fulfilment.track_slots"
 * shipments at a time per channel (never two of one order: they would move
 * the same fulfillment orders), each claimed for its slot by
 * ship_claim.lua, one request at a time per slot, on the worker's curl
 * multi: the loop never waits.  The verdict of invsync_call.c (429 and
 * Retry-After, 5xx) and the channel's own throttling delay the channel, its
 * pushes too (they share its rate limit).  A failed attempt is retried with
 * backoff, from the look again; after INVSYNC_TRACK_ALARM failures, or at
 * once when the channel refuses, a tracking_push_failed exception with the
 * channel's message, and the shipment stays shipped.  Told: state tracked,
 * tracked_ref, audit entry shipment.track.  A channel without tracking
 * leaves its shipments shipped, nothing sent.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_track.h"
#include "invsync_ship.h"


static int invsync_track_load(invsync_worker_t *w, invsync_trackslot_t *ts,
    const char *id);
static int invsync_track_send(invsync_worker_t *w, invsync_trackslot_t *ts);
static int invsync_track_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static void invsync_track_shared_delay(invsync_worker_t *w,
    const invsync_trackchan_t *tc, int64_t until);


int
invsync_track_init(invsync_worker_t *w, char *err, size_t len)
{
    int                            k;
    size_t                         i;
    invsync_track_t               *t;
    invsync_trackchan_t           *tc;
    const invsync_channel_conf_t  *cc;

    t = calloc(1, sizeof(invsync_track_t));
    if (t == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    w->track = t;

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];
        tc = &t->chans[t->nchans++];
        tc->conf = cc;
        tc->ch = invsync_channel_find(cc->type);

        if (cc->api_base == NULL || !invsync_channel_can(tc->ch, track_build))
        {
            continue;
        }

        tc->credentials = invsync_channel_credentials(cc->credentials_file);
        tc->nslots = w->conf->track_slots > 0 ? w->conf->track_slots : 1;
        tc->slots = calloc(tc->nslots, sizeof(invsync_trackslot_t));

        if (tc->slots == NULL) {
            snprintf(err, len, "out of memory");
            return -1;
        }

        for (k = 0; k < tc->nslots; k++) {
            tc->slots[k].tc = tc;
            invsync_call_init(&tc->slots[k].call, tc->ch, cc,
                              tc->credentials);
        }
    }

    return 0;
}


void
invsync_track_free(invsync_worker_t *w)
{
    int                   k;
    size_t                i;
    invsync_trackchan_t  *tc;

    if (w->track == NULL) {
        return;
    }

    for (i = 0; i < w->track->nchans; i++) {
        tc = &w->track->chans[i];

        /* one cut short is due again when its lease ends: looked anew */
        for (k = 0; k < tc->nslots; k++) {
            invsync_call_release(w, &tc->slots[k].call);
            json_decref(tc->slots[k].s.found);
        }

        free(tc->slots);

        invsync_channel_credentials_free(tc->credentials);
    }

    free(w->track);
    w->track = NULL;
}


/* a channel that can take a shipment now */

static int
invsync_track_ready(invsync_worker_t *w, invsync_trackchan_t *tc,
    int64_t now)
{
    int  k;

    /* nothing to send, but its shipments must still leave the due set
     * (invsync_track_pick() sets them aside): without this they stayed
     * there for good when no channel of the worker could track */
    if (tc->nslots == 0) {
        return now >= w->track->next_sweep_ms;
    }

    if (now < tc->not_before_ms || now < invsync_track_push_delay(w, tc)) {
        return 0;
    }

    for (k = 0; k < tc->nslots; k++) {
        if (!tc->slots[k].busy) {
            return 1;
        }
    }

    return 0;
}


/*
 * One turn: the due shipments of channels with a free slot are claimed
 * and their first request sent.  -1 when the Redis session was lost.
 * Lowers w->busy_ms while a request is in flight.
 */

int
invsync_track_step(invsync_worker_t *w)
{
    int                   busy, running, rc, k;
    char                  key[INVSYNC_KEY_LEN], now_s[32];
    size_t                i, j, n;
    int64_t               now;
    redisReply           *r, *c;
    const char           *ids[INVSYNC_TRACK_WINDOW];
    invsync_trackslot_t  *picks[INVSYNC_TRACK_WINDOW], *ts;
    invsync_track_t      *t = w->track;

    if (t == NULL || t->nchans == 0) {
        return 0;
    }

    now = invsync_now_ms();
    busy = 0;

    /* the due set is read when a channel could take one, every
     * INVSYNC_TRACK_SCAN_MS at most */
    for (j = 0; j < t->nchans && !(now >= t->next_scan_ms
                                   && invsync_track_ready(w, &t->chans[j],
                                                          now)); j++)
    {
        /* void */
    }

    if (j == t->nchans) {
        goto perform;
    }

    t->next_scan_ms = now + INVSYNC_TRACK_SCAN_MS;
    t->next_sweep_ms = now + INVSYNC_TRACK_SWEEP_MS;
    invsync_key_track_due(key, sizeof(key), w->conf);
    snprintf(now_s, sizeof(now_s), "%lld", (long long) now);

    r = invsync_redis_cmdv(w, (const char *[]) { "ZRANGEBYSCORE", key,
                           "-inf", now_s, "LIMIT", "0", "256", NULL });
    if (r == NULL) {
        return -1;
    }

    rc = invsync_track_pick(w, t, r, now, picks, ids);
    n = rc > 0 ? (size_t) rc : 0;
    c = NULL;

    if (rc < 0 || (n > 0 && invsync_track_claim(w, ids, n, now, &c) != 0)) {
        freeReplyObject(r);
        return -1;
    }

    for (i = 0; i < n; i++) {
        ts = picks[i];
        ts->picked = 0;

        for (k = 0; c != NULL && k + 1 < (int) c->elements; k += 2) {
            if (strcmp(c->element[k]->str, ids[i]) == 0) {
                break;
            }
        }

        /* another worker took it meanwhile */
        if (c == NULL || k + 1 >= (int) c->elements) {
            continue;
        }

        rc = invsync_track_load(w, ts, ids[i]);

        if (rc > 0) {
            rc = invsync_track_send(w, ts);
        }

        if (rc < 0) {
            freeReplyObject(c);
            freeReplyObject(r);
            return -1;
        }
    }

    freeReplyObject(c);
    freeReplyObject(r);

perform:

    for (j = 0; j < t->nchans; j++) {
        for (k = 0; k < t->chans[j].nslots; k++) {
            busy |= t->chans[j].slots[k].busy;
        }
    }

    if (busy) {
        curl_multi_perform(w->multi, &running);

        if (w->busy_ms == 0 || w->busy_ms > 2) {
            w->busy_ms = 2;
        }
    }

    return 0;
}


/*
 * The shipment's hash into ts->s: 1 to tell, 0 nothing to do (not
 * shipped, or a channel without tracking: off the due set), -1 Redis.
 */

static int
invsync_track_load(invsync_worker_t *w, invsync_trackslot_t *ts,
    const char *id)
{
    int                  tell;
    char                 key[INVSYNC_KEY_LEN], order[200];
    size_t               i;
    json_t              *lines, *ln;
    redisReply          *r;
    const char          *f, *v, *state;
    invsync_shipment_t  *s = &ts->s;
    invsync_trackchan_t *tc = ts->tc;

    json_decref(s->found);
    memset(s, 0, sizeof(*s));
    ts->attempts = 0;
    snprintf(s->id, sizeof(s->id), "%s", id);
    invsync_key_shipment(key, sizeof(key), w->conf, id);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key, NULL });
    if (r == NULL) {
        return -1;
    }

    state = "";
    lines = NULL;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        f = r->element[i]->str;
        v = r->element[i + 1]->str;

#define invsync_track_field(name, dst)                                       \
        if (strcmp(f, name) == 0) snprintf(dst, sizeof(dst), "%s", v)

        invsync_track_field("order_id", s->order_id);
        invsync_track_field("location", s->location);
        invsync_track_field("carrier", s->carrier);
        invsync_track_field("service", s->service);
        invsync_track_field("tracking", s->tracking);
        invsync_track_field("tracking_url", s->tracking_url);
#undef invsync_track_field

        if (strcmp(f, "state") == 0) {
            state = v;
        } else if (strcmp(f, "attempts") == 0) {
            ts->attempts = strtol(v, NULL, 10);
        } else if (strcmp(f, "shipped_at") == 0) {
            s->shipped_at_ms = strtoll(v, NULL, 10);
        } else if (strcmp(f, "lines") == 0) {
            lines = invsync_ship_parcel_lines(json_loads(v, 0, NULL));
        }
    }

    json_array_foreach(lines, i, ln) {
        if (i < INVSYNC_SHIPMENT_LINES) {
            snprintf(s->lines[i].line_id, sizeof(s->lines[i].line_id), "%s",
                     json_string_value(json_object_get(ln, "line_id"))
                     ?: "");
            snprintf(s->lines[i].sku, sizeof(s->lines[i].sku), "%s",
                     json_string_value(json_object_get(ln, "sku")) ?: "");
            s->lines[i].qty = json_integer_value(json_object_get(ln, "qty"));
            s->nlines = i + 1;
        }
    }

    json_decref(lines);
    tell = strcmp(state, "shipped") == 0
           && invsync_channel_can(tc->ch, track_build)
           && tc->conf->api_base != NULL;
    freeReplyObject(r);

    if (!tell) {
        invsync_key_track_due(key, sizeof(key), w->conf);
        r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", key, id, NULL });
        freeReplyObject(r);
        return r != NULL ? 0 : -1;
    }

    /* the last of the order's shipments to go: none still to ship */
    s->last = 1;
    snprintf(order, sizeof(order), "%s:%s", tc->conf->id, s->order_id);
    invsync_key_shipments(key, sizeof(key), w->conf, order);
    r = invsync_redis_cmdv(w, (const char *[]) { "SMEMBERS", key, NULL });
    if (r == NULL) {
        return -1;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply  *st;

        invsync_key_shipment(key, sizeof(key), w->conf, r->element[i]->str);
        st = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "state",
                                NULL });
        if (st == NULL) {
            freeReplyObject(r);
            return -1;
        }

        if (st->type == REDIS_REPLY_STRING
            && (strcmp(st->str, "open") == 0
                || strcmp(st->str, "requested") == 0
                || strcmp(st->str, "stalled") == 0
                || strcmp(st->str, "failed") == 0))
        {
            s->last = 0;
        }

        freeReplyObject(st);
    }

    freeReplyObject(r);
    s->step = INVSYNC_TRACK_LOOK;
    ts->steps = 0;

    return 1;
}


/* the request of the shipment's step: 1 sent, 0 not (a failure), -1 */

static int
invsync_track_send(invsync_worker_t *w, invsync_trackslot_t *ts)
{
    invsync_request_init(&ts->call.rq, "GET");
    ts->call.ctx.now_ms = invsync_now_ms();

    if (++ts->steps > INVSYNC_TRACK_STEPS) {
        return invsync_track_failed(w, ts, "the channel's steps did not end",
                                    0, 0);
    }

    if (ts->tc->ch->track_build(&ts->call.ctx, &ts->s, &ts->call.rq) != 0) {
        invsync_call_release(w, &ts->call);
        return invsync_track_failed(w, ts, ts->s.err, 1, 0);
    }

    if (invsync_call_start(w, &ts->call, INVSYNC_TRACK_RESP_MAX,
                           INVSYNC_PUSH_TIMEOUT_MS, invsync_track_done, ts)
        != 0)
    {
        invsync_call_release(w, &ts->call);
        return invsync_track_failed(w, ts, "the request was not sent", 0, 0);
    }

    ts->busy = 1;

    return 1;
}


static int
invsync_track_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    char                  why[160];
    int64_t               wait;
    invsync_answer_t      a;
    invsync_trackslot_t  *ts = c->owner;
    invsync_trackchan_t  *tc = ts->tc;
    invsync_channel_rc_e  rc;

    wait = 0;
    why[0] = '\0';
    ts->busy = 0;
    rc = invsync_call_verdict(c, code, &a, &wait, why, sizeof(why));

    if (rc == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);
        rc = tc->ch->track_parse(&c->ctx, &a, &ts->s, &wait);
    }

    invsync_call_release(w, c);

    if (rc == INVSYNC_CH_THROTTLED) {
        tc->not_before_ms = invsync_now_ms() + wait;
        invsync_track_shared_delay(w, tc, tc->not_before_ms);
        return invsync_track_failed(w, ts, "throttled", -1, wait);
    }

    if (rc != INVSYNC_CH_DONE) {
        return invsync_track_failed(w, ts, why[0] ? why : "failed", 0, 0);
    }

    /* a thin bucket: the next request waits for it */
    tc->not_before_ms = wait > 0 ? invsync_now_ms() + wait : 0;

    if (ts->s.step == INVSYNC_TRACK_DONE) {
        return invsync_track_told(w, ts);
    }

    if (ts->s.step == INVSYNC_TRACK_REFUSED) {
        return invsync_track_failed(w, ts, ts->s.err, 1, 0);
    }

    return invsync_track_send(w, ts) < 0 ? -1 : 0;
}


/* the channel's pushes wait as long as its tracking was told to */

static void
invsync_track_shared_delay(invsync_worker_t *w,
    const invsync_trackchan_t *tc, int64_t until)
{
    size_t  i;

    for (i = 0; w->push != NULL && i < w->push->nchans; i++) {
        if (w->push->chans[i].conf == tc->conf
            && w->push->chans[i].not_before_ms < until)
        {
            w->push->chans[i].not_before_ms = until;
        }
    }
}


/* a shipment just put on track:due: the next turn reads the set, not
 * INVSYNC_TRACK_SCAN_MS later */

void
invsync_track_wake(invsync_worker_t *w)
{
    if (w->track != NULL) {
        w->track->next_scan_ms = 0;
    }
}


/* and its tracking as long as its pushes */

int64_t
invsync_track_push_delay(invsync_worker_t *w, const invsync_trackchan_t *tc)
{
    size_t  i;

    for (i = 0; w->push != NULL && i < w->push->nchans; i++) {
        if (w->push->chans[i].conf == tc->conf) {
            return w->push->chans[i].not_before_ms;
        }
    }

    return 0;
}
