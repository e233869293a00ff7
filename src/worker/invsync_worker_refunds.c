
/*
 * The refund reader: an order's refunds read from its channel's API when
 * the order's event names them without their lines (a channel with
 * refunds_build; docs/returns.md, "Refunds read from the channel's
 * API").  The refund.record row of an order event adds the order to
 * K refundread:due; the reader engine (invsync_worker_reader.c) claims
 * each due order for a lease and sends its channel's refunds_build
 * request; here each refund the answer holds is added to <prefix>:refunds
 * as an envelope of its own (topic invsync.refund.read, event
 * refund.read:<order>:<refund>), where the refund rows record it with
 * its lines, once.  Failures are counted in K refundread:fails; from the
 * INVSYNC_READER_ALARM-th in a row, a refund_read_failed exception, which
 * the read that succeeds resolves.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_reader.h"


#define INVSYNC_REFUNDS_RESP_MAX   (4 * 1024 * 1024)


struct invsync_refunds_s {
    invsync_reader_t               r;
};


static int invsync_refunds_can(const invsync_channel_t *ch);
static int invsync_refunds_build(invsync_readchan_t *rc,
    invsync_request_t *rq);
static int invsync_refunds_unasked(invsync_worker_t *w,
    invsync_readchan_t *rc);
static invsync_channel_rc_e invsync_refunds_parse(invsync_readchan_t *rc,
    const invsync_answer_t *a, json_t **out, int64_t *delay_ms);
static int invsync_refunds_add(invsync_worker_t *w, invsync_readchan_t *rc,
    json_t *refunds);
static int invsync_refunds_add_one(invsync_worker_t *w,
    invsync_readchan_t *rc, const char *currency, json_t *r);
static int invsync_refunds_currency(invsync_worker_t *w,
    invsync_readchan_t *rc, char *cur, size_t cap);
static int64_t invsync_refunds_count(invsync_worker_t *w,
    invsync_readchan_t *rc);
static int invsync_refunds_forget(invsync_worker_t *w,
    invsync_readchan_t *rc);
static int invsync_refunds_alarm(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *why, int64_t n);


static const invsync_reader_ops_t  invsync_refunds_ops = {
    .what = "refunds",
    .id_field = "order",
    .member_max = INVSYNC_REF_LEN,
    .resp_max = INVSYNC_REFUNDS_RESP_MAX,
    .jitter = 0,
    .due_key = invsync_key_refundread_due,
    .can = invsync_refunds_can,
    .claimed = NULL,
    .build = invsync_refunds_build,
    .unasked = invsync_refunds_unasked,
    .parse = invsync_refunds_parse,
    .answer = invsync_refunds_add,
    .count = invsync_refunds_count,
    .forget = invsync_refunds_forget,
    .alarm = invsync_refunds_alarm,
};


int
invsync_refunds_init(invsync_worker_t *w, char *err, size_t len)
{
    w->refunds = calloc(1, sizeof(struct invsync_refunds_s));
    if (w->refunds == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    return invsync_reader_init(w, &w->refunds->r, &invsync_refunds_ops);
}


void
invsync_refunds_free(invsync_worker_t *w)
{
    if (w->refunds == NULL) {
        return;
    }

    invsync_reader_free(w, &w->refunds->r);
    free(w->refunds);
    w->refunds = NULL;
}


int
invsync_refunds_step(invsync_worker_t *w)
{
    return w->refunds ? invsync_reader_step(w, &w->refunds->r) : 0;
}


static int
invsync_refunds_can(const invsync_channel_t *ch)
{
    return invsync_channel_can(ch, refunds_build);
}


static int
invsync_refunds_build(invsync_readchan_t *rc, invsync_request_t *rq)
{
    return rc->ch->refunds_build(&rc->call.ctx, rc->id, rq);
}


/* an order id its channel cannot ask for: taken as read, not retried */
static int
invsync_refunds_unasked(invsync_worker_t *w, invsync_readchan_t *rc)
{
    invsync_log(INVSYNC_LOG_WARN, "refunds of an order its channel "
                "cannot be asked for: not read",
                json_pack("{s:s, s:s}", "channel", rc->conf->id,
                          "order", rc->id));

    return invsync_reader_read(w, rc);
}


static invsync_channel_rc_e
invsync_refunds_parse(invsync_readchan_t *rc, const invsync_answer_t *a,
    json_t **out, int64_t *delay_ms)
{
    return rc->ch->refunds_parse(&rc->call.ctx, a, out, delay_ms);
}


/* every refund read into <prefix>:refunds, then the order is read */
static int
invsync_refunds_add(invsync_worker_t *w, invsync_readchan_t *rc,
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
                         : invsync_reader_failed(w, rc, "a refund read was "
                                                 "not added to the stream",
                                                 0);
        }
    }

    invsync_log(INVSYNC_LOG_INFO, "refunds read",
                json_pack("{s:s, s:s, s:i}", "channel", rc->conf->id,
                          "order", rc->id,
                          "refunds", (int) json_array_size(refunds)));

    return invsync_reader_read(w, rc);
}


/* one refund as an envelope like the module's: 0, 1 not added, -1 */
static int
invsync_refunds_add_one(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *currency, json_t *r)
{
    int          added;
    char         event[INVSYNC_EVENT_LEN], *body;
    json_t      *doc;
    redisReply  *x;

    doc = json_pack("{s:s, s:s, s:O}", "order_id", rc->id,
                    "currency", currency, "refund",
                    json_object_get(r, "refund"));
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (body == NULL) {
        return 1;
    }

    snprintf(event, sizeof(event), "refund.read:%s:%s", rc->id,
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
invsync_refunds_currency(invsync_worker_t *w, invsync_readchan_t *rc,
    char *cur, size_t cap)
{
    char          key[INVSYNC_READER_KEY_LEN];
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


/* one more failure in K refundread:fails: the count, -1 on Redis */
static int64_t
invsync_refunds_count(invsync_worker_t *w, invsync_readchan_t *rc)
{
    char          key[INVSYNC_READER_KEY_LEN];
    int64_t       n;
    redisReply   *r;

    invsync_key_refundread_fails(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HINCRBY", key, rc->member,
                           "1", NULL });
    if (r == NULL) {
        return -1;
    }

    n = r->type == REDIS_REPLY_INTEGER ? r->integer : 1;
    freeReplyObject(r);

    return n;
}


/* the order is read: its failures and exception gone */
static int
invsync_refunds_forget(invsync_worker_t *w, invsync_readchan_t *rc)
{
    char          key[INVSYNC_READER_KEY_LEN + 32];
    char          xid[INVSYNC_READER_KEY_LEN + 32];
    long long     failed;
    redisReply   *r;

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
    snprintf(key, sizeof(key), "refund.read:%s", rc->id);

    return invsync_exception_resolve(w, xid, rc->conf->id, key,
                                     "its refunds were read");
}


/* refund_read_failed, at the alarm-th failure in a row */
static int
invsync_refunds_alarm(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *why, int64_t n)
{
    int                   ok;
    char                  xid[INVSYNC_READER_KEY_LEN + 32];
    char                  event[INVSYNC_READER_KEY_LEN + 32];
    json_t               *data;
    invsync_exception_t   x;

    snprintf(xid, sizeof(xid), "refund_read_failed:%s", rc->member);
    snprintf(event, sizeof(event), "refund.read:%s", rc->id);
    data = json_pack("{s:s, s:s, s:s, s:I}", "channel", rc->conf->id,
                     "order_id", rc->id, "error", why,
                     "failures", (json_int_t) n);

    memset(&x, 0, sizeof(invsync_exception_t));
    x.id = xid;
    x.kind = "refund_read_failed";
    x.summary = "an order's refunds could not be read from its channel";
    x.event = event;
    x.topic = INVSYNC_TOPIC_REFUND_READ;
    x.order = rc->member;
    x.data = data;

    ok = invsync_reader_open(w, rc, &x);
    json_decref(data);

    return ok;
}
