
/*
 * The refund reader: an order's refunds read from its channel's API when
 * the order's event names them without their lines (a channel with
 * refunds_build; docs/returns.md, "Refunds read from the channel's
 * API").  The refund.record row of an order event adds the order to
 * K refundread:due; here each due order is claimed for a lease, its
 * channel's refunds_build request sent on the worker's curl multi (one
 * at a time per channel: the loop never waits), and each refund the
 * answer holds added to <prefix>:refunds as an envelope of its own
 * (topic invsync.refund.read, event refund.read:<order>:<refund>), where
 * the refund rows record it with its lines, once.  A failed read is due
 * again after a backoff; from the INVSYNC_REFUNDS_ALARM-th in a row, a
 * refund_read_failed exception, which the read that succeeds resolves.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_call.h"


#define INVSYNC_KEY_LEN            512
#define INVSYNC_REFUNDS_ALARM      5
#define INVSYNC_REFUNDS_LEASE_MS   60000
#define INVSYNC_REFUNDS_SCAN_MS    20
#define INVSYNC_REFUNDS_RESP_MAX   (4 * 1024 * 1024)
#define INVSYNC_REFUNDS_TIMEOUT_MS 10000
#define INVSYNC_REFUNDS_BACKOFF_MS 600000


typedef struct {
    const invsync_channel_conf_t  *conf;
    const invsync_channel_t       *ch;
    char                          *credentials;
    char                           account[256];
    invsync_call_t                 call;
    int                            busy;
    char                           member[INVSYNC_REF_LEN];
    const char                    *order_id;      /* in member */
    int64_t                        not_before_ms;
} invsync_refundchan_t;


struct invsync_refunds_s {
    invsync_refundchan_t           chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
    int64_t                        next_scan_ms;
};

typedef struct invsync_refunds_s  invsync_refunds_t;


static int invsync_refunds_take(invsync_worker_t *w, invsync_refunds_t *t,
    const char *member, int64_t now);
static int invsync_refunds_due(invsync_worker_t *w, const char *member,
    int64_t at, const char *mode);
static int invsync_refunds_send(invsync_worker_t *w,
    invsync_refundchan_t *rc);
static int invsync_refunds_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_refunds_add(invsync_worker_t *w, invsync_refundchan_t *rc,
    json_t *refunds);
static int invsync_refunds_add_one(invsync_worker_t *w,
    invsync_refundchan_t *rc, const char *currency, json_t *r);
static int invsync_refunds_currency(invsync_worker_t *w,
    invsync_refundchan_t *rc, char *cur, size_t cap);
static int invsync_refunds_read(invsync_worker_t *w,
    invsync_refundchan_t *rc);
static int invsync_refunds_failed(invsync_worker_t *w,
    invsync_refundchan_t *rc, const char *why, int64_t delay);


int
invsync_refunds_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_refunds_t             *t;
    invsync_refundchan_t          *rc;
    const invsync_channel_conf_t  *cc;

    t = calloc(1, sizeof(invsync_refunds_t));
    if (t == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];

        if (cc->api_base == NULL
            || !invsync_channel_can(invsync_channel_find(cc->type),
                                    refunds_build))
        {
            continue;
        }

        rc = &t->chans[t->nchans++];
        rc->conf = cc;
        rc->ch = invsync_channel_find(cc->type);
        rc->credentials = invsync_channel_credentials(cc->credentials_file);
        invsync_call_init(&rc->call, rc->ch, cc, rc->credentials);

        if (rc->ch->account != NULL) {
            rc->ch->account(&rc->call.ctx, rc->account, sizeof(rc->account));
        }
    }

    w->refunds = t;

    return 0;
}


void
invsync_refunds_free(invsync_worker_t *w)
{
    size_t                 i;
    invsync_refundchan_t  *rc;

    if (w->refunds == NULL) {
        return;
    }

    for (i = 0; i < w->refunds->nchans; i++) {
        rc = &w->refunds->chans[i];

        /* one cut short is due again when its lease ends */
        invsync_call_release(w, &rc->call);

        invsync_channel_credentials_free(rc->credentials);
    }

    free(w->refunds);
    w->refunds = NULL;
}


/*
 * One turn: the due orders of idle channels claimed and their read sent.
 * -1 when the Redis session was lost.
 */

int
invsync_refunds_step(invsync_worker_t *w)
{
    int                 running, idle;
    char                key[INVSYNC_KEY_LEN], now_s[32];
    size_t              i;
    int64_t             now;
    redisReply         *r;
    invsync_refunds_t  *t = w->refunds;

    if (t == NULL || t->nchans == 0) {
        return 0;
    }

    now = invsync_now_ms();
    idle = 0;

    for (i = 0; i < t->nchans; i++) {
        idle |= !t->chans[i].busy && now >= t->chans[i].not_before_ms;
    }

    if (idle && now >= t->next_scan_ms) {
        t->next_scan_ms = now + INVSYNC_REFUNDS_SCAN_MS;
        invsync_key_refundread_due(key, sizeof(key), w->conf);
        snprintf(now_s, sizeof(now_s), "%lld", (long long) now);

        r = invsync_redis_cmdv(w, (const char *[]) { "ZRANGEBYSCORE", key,
                               "-inf", now_s, "LIMIT", "0", "64", NULL });
        if (r == NULL) {
            return -1;
        }

        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
            if (invsync_refunds_take(w, t, r->element[i]->str, now) < 0) {
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


/* a due order ("<channel>:<order id>"): its read sent if its channel is
 * free and the claim is this worker's.  0, or -1 on Redis */
static int
invsync_refunds_take(invsync_worker_t *w, invsync_refunds_t *t,
    const char *member, int64_t now)
{
    int                    rc;
    size_t                 j, n;
    invsync_refundchan_t  *c;

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
        return invsync_refunds_due(w, member, now + 3600000, "XX");
    }

    c = &t->chans[j];

    if (c->busy || now < c->not_before_ms
        || strlen(member) >= sizeof(c->member))
    {
        return 0;
    }

    rc = invsync_refunds_due(w, member, now + INVSYNC_REFUNDS_LEASE_MS,
                             "GT");
    if (rc <= 0) {
        return rc;      /* another worker claimed it first */
    }

    snprintf(c->member, sizeof(c->member), "%s", member);
    c->order_id = c->member + strlen(c->conf->id) + 1;

    return invsync_refunds_send(w, c) < 0 ? -1 : 0;
}


/* ZADD XX <mode> CH at member: 1 changed, 0 not, -1 on Redis */
static int
invsync_refunds_due(invsync_worker_t *w, const char *member, int64_t at,
    const char *mode)
{
    int          ok;
    char         key[INVSYNC_KEY_LEN], s[32];
    redisReply  *r;

    invsync_key_refundread_due(key, sizeof(key), w->conf);
    snprintf(s, sizeof(s), "%lld", (long long) at);

    r = strcmp(mode, "XX") == 0
        ? invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "XX", "CH",
                             s, member, NULL })
        : invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "XX", mode,
                             "CH", s, member, NULL });
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    return ok;
}


/* the order's read: 1 sent, 0 not (a failure, recorded), -1 on Redis */
static int
invsync_refunds_send(invsync_worker_t *w, invsync_refundchan_t *rc)
{
    invsync_request_init(&rc->call.rq, "GET");
    rc->call.ctx.now_ms = invsync_now_ms();

    if (rc->ch->refunds_build(&rc->call.ctx, rc->order_id, &rc->call.rq)
        != 0)
    {
        invsync_call_release(w, &rc->call);
        invsync_log(INVSYNC_LOG_WARN, "refunds of an order its channel "
                    "cannot be asked for: not read",
                    json_pack("{s:s, s:s}", "channel", rc->conf->id,
                              "order", rc->order_id));
        return invsync_refunds_read(w, rc) < 0 ? -1 : 0;
    }

    if (invsync_call_start(w, &rc->call, INVSYNC_REFUNDS_RESP_MAX,
                           INVSYNC_REFUNDS_TIMEOUT_MS, invsync_refunds_done,
                           rc)
        != 0)
    {
        invsync_call_release(w, &rc->call);
        return invsync_refunds_failed(w, rc, "the request was not sent", 0);
    }

    rc->busy = 1;

    return 1;
}


static int
invsync_refunds_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    int                    rc;
    char                   why[160];
    json_t                *refunds;
    int64_t                wait;
    invsync_answer_t       a;
    invsync_channel_rc_e   vrc;
    invsync_refundchan_t  *rch = c->owner;

    wait = 0;
    why[0] = '\0';
    refunds = NULL;
    rch->busy = 0;
    vrc = invsync_call_verdict(c, code, &a, &wait, why, sizeof(why));

    if (vrc == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);
        vrc = rch->ch->refunds_parse(&c->ctx, &a, &refunds, &wait);
    }

    invsync_call_release(w, c);

    if (vrc == INVSYNC_CH_THROTTLED) {
        rch->not_before_ms = invsync_now_ms() + wait;
        return invsync_refunds_failed(w, rch, "throttled", wait);
    }

    if (vrc != INVSYNC_CH_DONE) {
        json_decref(refunds);
        return invsync_refunds_failed(w, rch, why[0] ? why : "failed", 0);
    }

    rc = invsync_refunds_add(w, rch, refunds);
    json_decref(refunds);

    return rc;
}


/* every refund read into <prefix>:refunds, then the order is read */
static int
invsync_refunds_add(invsync_worker_t *w, invsync_refundchan_t *rc,
    json_t *refunds)
{
    int      n;
    char     cur[16];
    size_t   i;
    json_t  *r;

    n = invsync_refunds_currency(w, rc, cur, sizeof(cur));
    if (n < 0) {
        return -1;
    }

    json_array_foreach(refunds, i, r) {
        n = invsync_refunds_add_one(w, rc, cur, r);

        if (n != 0) {
            return n < 0 ? -1
                         : invsync_refunds_failed(w, rc, "a refund read was "
                                                  "not added to the stream",
                                                  0);
        }
    }

    invsync_log(INVSYNC_LOG_INFO, "refunds read",
                json_pack("{s:s, s:s, s:i}", "channel", rc->conf->id,
                          "order", rc->order_id,
                          "refunds", (int) json_array_size(refunds)));

    return invsync_refunds_read(w, rc);
}


/* one refund as an envelope like the module's: 0, 1 not added, -1 */
static int
invsync_refunds_add_one(invsync_worker_t *w, invsync_refundchan_t *rc,
    const char *currency, json_t *r)
{
    int          added;
    char         event[INVSYNC_EVENT_LEN], *body;
    json_t      *doc;
    redisReply  *x;

    doc = json_pack("{s:s, s:s, s:O}", "order_id", rc->order_id,
                    "currency", currency, "refund",
                    json_object_get(r, "refund"));
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (body == NULL) {
        return 1;
    }

    snprintf(event, sizeof(event), "refund.read:%s:%s", rc->order_id,
             json_string_value(json_object_get(r, "refund_id")) ?: "");

    x = invsync_envelope_add(w, "refunds", rc->conf->id, rc->conf->type,
                             rc->account, INVSYNC_TOPIC_REFUND_READ, event,
                             body);
    free(body);

    if (x == NULL) {
        return -1;
    }

    added = x->type == REDIS_REPLY_STRING;
    freeReplyObject(x);

    return added ? 0 : 1;
}


/* the recorded order's currency (the API's refunds name none), or "" */
static int
invsync_refunds_currency(invsync_worker_t *w, invsync_refundchan_t *rc,
    char *cur, size_t cap)
{
    char          key[INVSYNC_KEY_LEN];
    json_t       *o;
    redisReply   *r;

    invsync_key_order(key, sizeof(key), w->conf, rc->member);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "data",
                           NULL });
    if (r == NULL) {
        return -1;
    }

    o = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL)
                                      : NULL;
    freeReplyObject(r);
    snprintf(cur, cap, "%s",
             json_string_value(json_object_get(o, "currency")) ?: "");
    json_decref(o);

    return 0;
}


/* the order is read: off the due set, its failures and exception gone */
static int
invsync_refunds_read(invsync_worker_t *w, invsync_refundchan_t *rc)
{
    char          key[INVSYNC_KEY_LEN], xid[INVSYNC_KEY_LEN];
    long long     failed;
    redisReply   *r;

    invsync_key_refundread_due(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "ZREM", key, rc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    invsync_key_refundread_fails(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, rc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    failed = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
    freeReplyObject(r);

    if (failed == 0) {
        return 0;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "HDEL", key, rc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);
    snprintf(xid, sizeof(xid), "refund_read_failed:%s", rc->member);
    snprintf(key, sizeof(key), "refund.read:%s", rc->order_id);

    return invsync_exception_resolve(w, xid, rc->conf->id, key,
                                     "its refunds were read");
}


/* a read that failed: due again after a backoff; the exception at the
 * INVSYNC_REFUNDS_ALARM-th failure in a row.  0, or -1 on Redis */
static int
invsync_refunds_failed(invsync_worker_t *w, invsync_refundchan_t *rc,
    const char *why, int64_t delay)
{
    char                  key[INVSYNC_KEY_LEN], xid[INVSYNC_KEY_LEN];
    char                  event[INVSYNC_KEY_LEN];
    json_t               *data;
    redisReply           *r;
    long long             n;
    invsync_exception_t   x;

    invsync_key_refundread_fails(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HINCRBY", key, rc->member,
                           "1", NULL });
    if (r == NULL) {
        return -1;
    }

    n = r->type == REDIS_REPLY_INTEGER ? r->integer : 1;
    freeReplyObject(r);

    if (delay <= 0) {
        delay = n >= 10 ? INVSYNC_REFUNDS_BACKOFF_MS
                        : (int64_t) 1000 << (n - 1);
    }

    if (delay > INVSYNC_REFUNDS_BACKOFF_MS) {
        delay = INVSYNC_REFUNDS_BACKOFF_MS;
    }

    invsync_log(INVSYNC_LOG_WARN, "refunds not read",
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "channel",
                          rc->conf->id, "order", rc->order_id, "err", why,
                          "failures", (json_int_t) n,
                          "retry_ms", (json_int_t) delay));

    if (invsync_refunds_due(w, rc->member, invsync_now_ms() + delay, "XX")
        < 0)
    {
        return -1;
    }

    if (n != INVSYNC_REFUNDS_ALARM) {
        return 0;
    }

    snprintf(xid, sizeof(xid), "refund_read_failed:%s", rc->member);
    snprintf(event, sizeof(event), "refund.read:%s", rc->order_id);
    data = json_pack("{s:s, s:s, s:s, s:I}", "channel", rc->conf->id,
                     "order_id", rc->order_id, "error", why,
                     "failures", (json_int_t) n);

    memset(&x, 0, sizeof(invsync_exception_t));
    x.id = xid;
    x.kind = "refund_read_failed";
    x.summary = "an order's refunds could not be read from its channel";
    x.channel = rc->conf->id;
    x.event = event;
    x.topic = INVSYNC_TOPIC_REFUND_READ;
    x.stream = "";
    x.entry = "";
    x.order = rc->member;
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
