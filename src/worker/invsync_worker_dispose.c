
/*
 * The disposition reader: what a channel's disposition of returned units
 * belongs to (its return, its order, each line's order line), read from
 * the channel's API when the disposition's webhook does not say it (a
 * channel with disposition_build; docs/returns.md, "The channel's
 * return").  The return.dispose row adds "<channel>:<event>" to
 * K disposeread:due and the webhook's body to K disposeread:wait; here
 * each due one is claimed for a lease, its channel's disposition_build
 * request sent on the worker's curl multi (one at a time per channel: the
 * loop never waits), and what the answer says added to <prefix>:refunds
 * with the body as an envelope of its own (topic
 * INVSYNC_TOPIC_DISPOSITION_READ, event disposition.read:<event>), where
 * return.dispose receives its units on their RMA, once.  A failed read is
 * due again after a backoff; from the INVSYNC_DISPOSE_ALARM-th in a row a
 * return_unknown exception for a person, which the read that succeeds
 * resolves.  The same shape as the refund reader
 * (invsync_worker_refunds.c), for another read.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_call.h"
#include "invsync_ship.h"


#define INVSYNC_KEY_LEN            512
#define INVSYNC_DISPOSE_ALARM      5
#define INVSYNC_DISPOSE_LEASE_MS   60000
#define INVSYNC_DISPOSE_SCAN_MS    20
#define INVSYNC_DISPOSE_RESP_MAX   (1024 * 1024)
#define INVSYNC_DISPOSE_TIMEOUT_MS 10000
#define INVSYNC_DISPOSE_BACKOFF_MS 600000


typedef struct {
    const invsync_channel_conf_t  *conf;
    const invsync_channel_t       *ch;
    char                          *credentials;
    char                           account[256];
    invsync_call_t                 call;
    int                            busy;
    char                           member[INVSYNC_KEY_LEN];
    const char                    *event;         /* in member */
    json_t                        *wait;          /* {disposition_id, body,
                                                   * fails} */
    int64_t                        not_before_ms;
} invsync_disposechan_t;


struct invsync_dispose_s {
    invsync_disposechan_t          chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
    int64_t                        next_scan_ms;
};

typedef struct invsync_dispose_s  invsync_dispose_t;


static int invsync_dispose_take(invsync_worker_t *w, invsync_dispose_t *t,
    const char *member, int64_t now);
static int invsync_dispose_due(invsync_worker_t *w, const char *member,
    int64_t at);
static int invsync_dispose_send(invsync_worker_t *w,
    invsync_disposechan_t *dc);
static int invsync_dispose_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_dispose_add(invsync_worker_t *w,
    invsync_disposechan_t *dc, json_t *read);
static int invsync_dispose_forget(invsync_worker_t *w,
    invsync_disposechan_t *dc);
static int invsync_dispose_failed(invsync_worker_t *w,
    invsync_disposechan_t *dc, const char *why, int64_t delay);
static int invsync_dispose_alarm(invsync_worker_t *w,
    invsync_disposechan_t *dc, const char *why, int64_t n);


int
invsync_dispose_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_dispose_t             *t;
    invsync_disposechan_t         *dc;
    const invsync_channel_conf_t  *cc;

    t = calloc(1, sizeof(invsync_dispose_t));
    if (t == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];

        if (cc->api_base == NULL
            || !invsync_channel_can(invsync_channel_find(cc->type),
                                    disposition_build))
        {
            continue;
        }

        dc = &t->chans[t->nchans++];
        dc->conf = cc;
        dc->ch = invsync_channel_find(cc->type);
        dc->credentials = invsync_channel_credentials(cc->credentials_file);
        invsync_call_init(&dc->call, dc->ch, cc, dc->credentials);

        if (dc->ch->account != NULL) {
            dc->ch->account(&dc->call.ctx, dc->account, sizeof(dc->account));
        }
    }

    w->dispose = t;

    return 0;
}


void
invsync_dispose_free(invsync_worker_t *w)
{
    size_t                  i;
    invsync_disposechan_t  *dc;

    if (w->dispose == NULL) {
        return;
    }

    for (i = 0; i < w->dispose->nchans; i++) {
        dc = &w->dispose->chans[i];

        /* one cut short is due again when its lease ends */
        invsync_call_release(w, &dc->call);
        json_decref(dc->wait);
        invsync_channel_credentials_free(dc->credentials);
    }

    free(w->dispose);
    w->dispose = NULL;
}


/* one turn: the due dispositions of idle channels claimed, read sent */
int
invsync_dispose_step(invsync_worker_t *w)
{
    int                 running, idle;
    char                key[INVSYNC_KEY_LEN], now_s[32];
    size_t              i;
    int64_t             now;
    redisReply         *r;
    invsync_dispose_t  *t = w->dispose;

    if (t == NULL || t->nchans == 0) {
        return 0;
    }

    now = invsync_now_ms();
    idle = 0;

    for (i = 0; i < t->nchans; i++) {
        idle |= !t->chans[i].busy && now >= t->chans[i].not_before_ms;
    }

    if (idle && now >= t->next_scan_ms) {
        t->next_scan_ms = now + INVSYNC_DISPOSE_SCAN_MS;
        invsync_key_disposeread_due(key, sizeof(key), w->conf);
        snprintf(now_s, sizeof(now_s), "%lld", (long long) now);

        r = invsync_redis_cmdv(w, (const char *[]) { "ZRANGEBYSCORE", key,
                               "-inf", now_s, "LIMIT", "0", "64", NULL });
        if (r == NULL) {
            return -1;
        }

        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
            if (invsync_dispose_take(w, t, r->element[i]->str, now) < 0) {
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


/* a due disposition ("<channel>:<event>"): its read sent if its channel
 * is free and the claim is this worker's.  0, or -1 on Redis */
static int
invsync_dispose_take(invsync_worker_t *w, invsync_dispose_t *t,
    const char *member, int64_t now)
{
    int                     rc;
    char                    key[INVSYNC_KEY_LEN];
    size_t                  j, n;
    redisReply             *r;
    invsync_disposechan_t  *c;

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
        return invsync_dispose_due(w, member, now + 3600000);
    }

    c = &t->chans[j];

    if (c->busy || now < c->not_before_ms
        || strlen(member) >= sizeof(c->member))
    {
        return 0;
    }

    /* taken only while still due, in one step (ship_claim.lua): a score
     * merely moved up ("GT") would let a worker that read the member
     * before another's claim take it too, and read it twice */
    invsync_key_disposeread_due(key, sizeof(key), w->conf);
    r = invsync_ship_claim(w, key, now, INVSYNC_DISPOSE_LEASE_MS, &member,
                           1);
    if (r == NULL) {
        return -1;
    }

    rc = r->type == REDIS_REPLY_ARRAY && r->elements >= 2;
    freeReplyObject(r);

    if (!rc) {
        return 0;       /* another worker claimed it first */
    }

    snprintf(c->member, sizeof(c->member), "%s", member);
    c->event = c->member + strlen(c->conf->id) + 1;

    invsync_key_disposeread_wait(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    /* Redis refused the read, which says nothing of what waits: taken
     * for "nothing", the disposition would be forgotten unseen */
    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_WARN, "disposition not read",
                    json_pack("{s:s, s:s, s:s, s:I}", "channel",
                              c->conf->id, "event", c->event, "err", r->str,
                              "retry_ms",
                              (json_int_t) INVSYNC_DISPOSE_LEASE_MS));
        freeReplyObject(r);
        return 0;       /* due again when its lease ends */
    }

    json_decref(c->wait);
    c->wait = r->type == REDIS_REPLY_STRING
              ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);

    if (c->wait == NULL) {
        /* nothing waits under it (read already): off the due set */
        return invsync_dispose_forget(w, c);
    }

    return invsync_dispose_send(w, c) < 0 ? -1 : 0;
}


/* ZADD XX CH at member (due again at at): 1 changed, 0 not, -1 on
 * Redis */
static int
invsync_dispose_due(invsync_worker_t *w, const char *member, int64_t at)
{
    int          ok;
    char         key[INVSYNC_KEY_LEN], s[32];
    redisReply  *r;

    invsync_key_disposeread_due(key, sizeof(key), w->conf);
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


/* the read: 1 sent, 0 not (a failure, recorded), -1 on Redis */
static int
invsync_dispose_send(invsync_worker_t *w, invsync_disposechan_t *dc)
{
    const char  *id;

    id = json_string_value(json_object_get(dc->wait, "disposition_id"));
    invsync_request_init(&dc->call.rq, "GET");
    dc->call.ctx.now_ms = invsync_now_ms();

    if (id == NULL
        || dc->ch->disposition_build(&dc->call.ctx, id, &dc->call.rq) != 0)
    {
        invsync_call_release(w, &dc->call);

        if (invsync_dispose_alarm(w, dc, "the disposition cannot be asked "
                                  "for", 1) < 0)
        {
            return -1;
        }

        return invsync_dispose_forget(w, dc) < 0 ? -1 : 0;
    }

    if (invsync_call_start(w, &dc->call, INVSYNC_DISPOSE_RESP_MAX,
                           INVSYNC_DISPOSE_TIMEOUT_MS, invsync_dispose_done,
                           dc)
        != 0)
    {
        invsync_call_release(w, &dc->call);
        return invsync_dispose_failed(w, dc, "the request was not sent", 0);
    }

    dc->busy = 1;

    return 1;
}


static int
invsync_dispose_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    int                     rc;
    char                    why[160];
    json_t                 *read;
    int64_t                 wait;
    invsync_answer_t        a;
    invsync_channel_rc_e    vrc;
    invsync_disposechan_t  *dc = c->owner;

    wait = 0;
    why[0] = '\0';
    read = NULL;
    dc->busy = 0;
    vrc = invsync_call_verdict(c, code, &a, &wait, why, sizeof(why));

    if (vrc == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);
        vrc = dc->ch->disposition_parse(&c->ctx, &a, &read, &wait);
    }

    invsync_call_release(w, c);

    if (vrc == INVSYNC_CH_THROTTLED) {
        dc->not_before_ms = invsync_now_ms() + wait;
        return invsync_dispose_failed(w, dc, "throttled", wait);
    }

    if (vrc != INVSYNC_CH_DONE) {
        json_decref(read);
        return invsync_dispose_failed(w, dc, why[0] ? why : "failed", 0);
    }

    /* the channel does not know it: asking again will not help */
    if (read == NULL) {
        if (invsync_dispose_alarm(w, dc, "the channel has no such "
                                  "disposition", 1) < 0)
        {
            return -1;
        }

        return invsync_dispose_forget(w, dc);
    }

    rc = invsync_dispose_add(w, dc, read);
    json_decref(read);

    return rc;
}


/* the disposition with what it belongs to into <prefix>:refunds, then
 * forgotten; 0, or -1 on Redis */
static int
invsync_dispose_add(invsync_worker_t *w, invsync_disposechan_t *dc,
    json_t *read)
{
    int          added;
    char         event[INVSYNC_EVENT_LEN], xid[INVSYNC_KEY_LEN + 32];
    char        *body;
    json_t      *doc;
    redisReply  *x;

    doc = json_pack("{s:O, s:O}", "disposition",
                    json_object_get(dc->wait, "body"), "read", read);
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (body == NULL) {
        return invsync_dispose_failed(w, dc, "out of memory", 0);
    }

    snprintf(event, sizeof(event), "disposition.read:%s", dc->event);
    x = invsync_envelope_add(w, "refunds", dc->conf->id, dc->conf->type,
                             dc->account, INVSYNC_TOPIC_DISPOSITION_READ,
                             event, body);
    free(body);

    if (x == NULL) {
        return -1;
    }

    added = x->type == REDIS_REPLY_STRING;
    freeReplyObject(x);

    if (!added) {
        return invsync_dispose_failed(w, dc, "the disposition read was not "
                                      "added to the stream", 0);
    }

    invsync_log(INVSYNC_LOG_INFO, "disposition read",
                json_pack("{s:s, s:s, s:O}", "channel", dc->conf->id,
                          "event", dc->event, "return",
                          json_object_get(read, "return_id")));

    if (json_integer_value(json_object_get(dc->wait, "fails"))
        >= INVSYNC_DISPOSE_ALARM)
    {
        snprintf(xid, sizeof(xid), "return_unknown:%s", dc->member);

        if (invsync_exception_resolve(w, xid, dc->conf->id, dc->event,
                                      "the disposition was read") < 0)
        {
            return -1;
        }
    }

    return invsync_dispose_forget(w, dc);
}


/* off the due set and the waiting bodies; 0, or -1 on Redis */
static int
invsync_dispose_forget(invsync_worker_t *w, invsync_disposechan_t *dc)
{
    char         key[INVSYNC_KEY_LEN];
    redisReply  *r;

    invsync_key_disposeread_wait(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HDEL", key, dc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    invsync_key_disposeread_due(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", key, dc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);
    json_decref(dc->wait);
    dc->wait = NULL;

    return 0;
}


/* a read that failed: due again after a backoff; return_unknown at the
 * INVSYNC_DISPOSE_ALARM-th failure in a row.  0, or -1 on Redis */
static int
invsync_dispose_failed(invsync_worker_t *w, invsync_disposechan_t *dc,
    const char *why, int64_t delay)
{
    char          key[INVSYNC_KEY_LEN], *text;
    int64_t       n;
    redisReply   *r;

    n = json_integer_value(json_object_get(dc->wait, "fails")) + 1;
    json_object_set_new(dc->wait, "fails", json_integer(n));
    text = json_dumps(dc->wait, JSON_COMPACT);

    if (text != NULL) {
        invsync_key_disposeread_wait(key, sizeof(key), w->conf);
        r = invsync_redis_cmdv(w, (const char *[]) { "HSET", key,
                               dc->member, text, NULL });
        free(text);

        if (r == NULL) {
            return -1;
        }

        freeReplyObject(r);
    }

    if (delay <= 0) {
        delay = invsync_backoff_ms(1000, n - 1, 10,
                                   INVSYNC_DISPOSE_BACKOFF_MS);
    }

    invsync_log(INVSYNC_LOG_WARN, "disposition not read",
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "channel",
                          dc->conf->id, "event", dc->event, "err", why,
                          "failures", (json_int_t) n,
                          "retry_ms", (json_int_t) delay));

    if (invsync_dispose_due(w, dc->member, invsync_now_ms() + delay)
        < 0)
    {
        return -1;
    }

    if (n != INVSYNC_DISPOSE_ALARM) {
        return 0;
    }

    return invsync_dispose_alarm(w, dc, why, n);
}


/* return_unknown for a person, with the disposition; 0, or -1 on Redis */
static int
invsync_dispose_alarm(invsync_worker_t *w, invsync_disposechan_t *dc,
    const char *why, int64_t n)
{
    char                  xid[INVSYNC_KEY_LEN + 32];
    json_t               *data;
    redisReply           *r;
    invsync_exception_t   x;

    snprintf(xid, sizeof(xid), "return_unknown:%s", dc->member);
    data = json_pack("{s:s, s:O, s:s, s:I, s:O}", "channel", dc->conf->id,
                     "disposition_id",
                     json_object_get(dc->wait, "disposition_id"),
                     "error", why, "failures", (json_int_t) n,
                     "disposition", json_object_get(dc->wait, "body"));

    memset(&x, 0, sizeof(invsync_exception_t));
    x.id = xid;
    x.kind = "return_unknown";
    x.summary = "a disposition of returned units whose return could not be "
                "read from its channel: receive its units on their RMA by "
                "hand (its data says why and what)";
    x.channel = dc->conf->id;
    x.event = dc->event;
    x.topic = INVSYNC_TOPIC_DISPOSITION_READ;
    x.stream = "";
    x.entry = "";
    x.order = "";
    x.sku = "";
    x.consumer = w->conf->consumer;
    x.data = data;

    r = invsync_exception_open(w, &x);
    json_decref(data);

    if (r == NULL) {
        return w->redis ? 0 : -1;
    }

    freeReplyObject(r);

    return 0;
}
