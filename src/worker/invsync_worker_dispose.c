
/*
 * The disposition reader: what a channel's disposition of returned units
 * belongs to (its return, its order, each line's order line), read from
 * the channel's API when the disposition's webhook does not say it (a
 * channel with disposition_build; docs/returns.md, "The channel's
 * return").  The return.dispose row adds "<channel>:<event>" to
 * K disposeread:due and the webhook's body to K disposeread:wait; the
 * reader engine (invsync_worker_reader.c) claims each due one for a lease
 * and sends its channel's disposition_build request; here what the
 * answer says is added to <prefix>:refunds with the body as an envelope
 * of its own (topic INVSYNC_TOPIC_DISPOSITION_READ, event
 * disposition.read:<event>), where return.dispose receives its units on
 * their RMA, once.  Failures are counted in the waiting body ("fails");
 * from the INVSYNC_READER_ALARM-th in a row a return_unknown exception
 * for a person, which the read that succeeds resolves.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_reader.h"


#define INVSYNC_DISPOSE_RESP_MAX   (1024 * 1024)


struct invsync_dispose_s {
    invsync_reader_t               r;
};


static int invsync_dispose_can(const invsync_channel_t *ch);
static int invsync_dispose_claimed(invsync_worker_t *w,
    invsync_readchan_t *rc);
static int invsync_dispose_build(invsync_readchan_t *rc,
    invsync_request_t *rq);
static int invsync_dispose_unasked(invsync_worker_t *w,
    invsync_readchan_t *rc);
static invsync_channel_rc_e invsync_dispose_parse(invsync_readchan_t *rc,
    const invsync_answer_t *a, json_t **out, int64_t *delay_ms);
static int invsync_dispose_add(invsync_worker_t *w, invsync_readchan_t *rc,
    json_t *read);
static int64_t invsync_dispose_count(invsync_worker_t *w,
    invsync_readchan_t *rc);
static int invsync_dispose_forget(invsync_worker_t *w,
    invsync_readchan_t *rc);
static int invsync_dispose_alarm(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *why, int64_t n);


static const invsync_reader_ops_t  invsync_dispose_ops = {
    .what = "disposition",
    .id_field = "event",
    .member_max = INVSYNC_READER_KEY_LEN,
    .resp_max = INVSYNC_DISPOSE_RESP_MAX,
    .jitter = 1,
    .due_key = invsync_key_disposeread_due,
    .can = invsync_dispose_can,
    .claimed = invsync_dispose_claimed,
    .build = invsync_dispose_build,
    .unasked = invsync_dispose_unasked,
    .parse = invsync_dispose_parse,
    .answer = invsync_dispose_add,
    .count = invsync_dispose_count,
    .forget = invsync_dispose_forget,
    .alarm = invsync_dispose_alarm,
};


int
invsync_dispose_init(invsync_worker_t *w, char *err, size_t len)
{
    w->dispose = calloc(1, sizeof(struct invsync_dispose_s));
    if (w->dispose == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    return invsync_reader_init(w, &w->dispose->r, &invsync_dispose_ops);
}


void
invsync_dispose_free(invsync_worker_t *w)
{
    if (w->dispose == NULL) {
        return;
    }

    invsync_reader_free(w, &w->dispose->r);
    free(w->dispose);
    w->dispose = NULL;
}


int
invsync_dispose_step(invsync_worker_t *w)
{
    return w->dispose ? invsync_reader_step(w, &w->dispose->r) : 0;
}


static int
invsync_dispose_can(const invsync_channel_t *ch)
{
    return invsync_channel_can(ch, disposition_build);
}


/* the claimed disposition's waiting body ({disposition_id, body, fails})
 * into rc->held: 1 to read, 0 not, -1 on Redis */
static int
invsync_dispose_claimed(invsync_worker_t *w, invsync_readchan_t *rc)
{
    char         key[INVSYNC_READER_KEY_LEN];
    redisReply  *r;

    invsync_key_disposeread_wait(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, rc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    /* Redis refused the read, which says nothing of what waits: taken
     * for "nothing", the disposition would be forgotten unseen */
    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_WARN, "disposition not read",
                    json_pack("{s:s, s:s, s:s, s:I}", "channel",
                              rc->conf->id, "event", rc->id, "err", r->str,
                              "retry_ms",
                              (json_int_t) INVSYNC_READER_LEASE_MS));
        freeReplyObject(r);
        return 0;       /* due again when its lease ends */
    }

    rc->held = r->type == REDIS_REPLY_STRING
               ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);

    if (rc->held == NULL) {
        /* nothing waits under it (read already): off the due set */
        return invsync_reader_read(w, rc);
    }

    return 1;
}


static int
invsync_dispose_build(invsync_readchan_t *rc, invsync_request_t *rq)
{
    const char  *id;

    id = json_string_value(json_object_get(rc->held, "disposition_id"));

    return id == NULL ? -1
                      : rc->ch->disposition_build(&rc->call.ctx, id, rq);
}


/* a disposition its channel cannot be asked for: for a person, and
 * forgotten (asking again will not help) */
static int
invsync_dispose_unasked(invsync_worker_t *w, invsync_readchan_t *rc)
{
    if (invsync_dispose_alarm(w, rc, "the disposition cannot be asked for",
                              1)
        < 0)
    {
        return -1;
    }

    return invsync_reader_read(w, rc);
}


static invsync_channel_rc_e
invsync_dispose_parse(invsync_readchan_t *rc, const invsync_answer_t *a,
    json_t **out, int64_t *delay_ms)
{
    return rc->ch->disposition_parse(&rc->call.ctx, a, out, delay_ms);
}


/* the disposition with what it belongs to into <prefix>:refunds, then
 * forgotten; 0, or -1 on Redis */
static int
invsync_dispose_add(invsync_worker_t *w, invsync_readchan_t *rc,
    json_t *read)
{
    int          added;
    char         event[INVSYNC_EVENT_LEN], xid[INVSYNC_READER_KEY_LEN + 32];
    char        *body;
    json_t      *doc;
    redisReply  *x;

    /* the channel does not know it: asking again will not help */
    if (read == NULL) {
        if (invsync_dispose_alarm(w, rc, "the channel has no such "
                                  "disposition", 1) < 0)
        {
            return -1;
        }

        return invsync_reader_read(w, rc);
    }

    doc = json_pack("{s:O, s:O}", "disposition",
                    json_object_get(rc->held, "body"), "read", read);
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (body == NULL) {
        return invsync_reader_failed(w, rc, "out of memory", 0);
    }

    snprintf(event, sizeof(event), "disposition.read:%s", rc->id);
    x = invsync_envelope_add(w, "refunds", rc->conf->id, rc->conf->type,
                             rc->account, INVSYNC_TOPIC_DISPOSITION_READ,
                             event, body);
    free(body);

    if (x == NULL) {
        return -1;
    }

    added = x->type == REDIS_REPLY_STRING;
    freeReplyObject(x);

    if (!added) {
        return invsync_reader_failed(w, rc, "the disposition read was not "
                                     "added to the stream", 0);
    }

    invsync_log(INVSYNC_LOG_INFO, "disposition read",
                json_pack("{s:s, s:s, s:O}", "channel", rc->conf->id,
                          "event", rc->id, "return",
                          json_object_get(read, "return_id")));

    if (json_integer_value(json_object_get(rc->held, "fails"))
        >= INVSYNC_READER_ALARM)
    {
        snprintf(xid, sizeof(xid), "return_unknown:%s", rc->member);

        if (invsync_exception_resolve(w, xid, rc->conf->id, rc->id,
                                      "the disposition was read") < 0)
        {
            return -1;
        }
    }

    return invsync_reader_read(w, rc);
}


/* one more failure, kept in the waiting body: the count, -1 on Redis */
static int64_t
invsync_dispose_count(invsync_worker_t *w, invsync_readchan_t *rc)
{
    char          key[INVSYNC_READER_KEY_LEN], *text;
    int64_t       n;
    redisReply   *r;

    n = json_integer_value(json_object_get(rc->held, "fails")) + 1;
    json_object_set_new(rc->held, "fails", json_integer(n));
    text = json_dumps(rc->held, JSON_COMPACT);

    if (text != NULL) {
        invsync_key_disposeread_wait(key, sizeof(key), w->conf);
        r = invsync_redis_cmdv(w, (const char *[]) { "HSET", key,
                               rc->member, text, NULL });
        free(text);

        if (r == NULL) {
            return -1;
        }

        freeReplyObject(r);
    }

    return n;
}


/* the waiting body gone (the engine then takes it off the due set) */
static int
invsync_dispose_forget(invsync_worker_t *w, invsync_readchan_t *rc)
{
    char         key[INVSYNC_READER_KEY_LEN];
    redisReply  *r;

    invsync_key_disposeread_wait(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HDEL", key, rc->member,
                           NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* return_unknown for a person, with the disposition; 0, or -1 on Redis */
static int
invsync_dispose_alarm(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *why, int64_t n)
{
    int                   ok;
    char                  xid[INVSYNC_READER_KEY_LEN + 32];
    json_t               *data;
    invsync_exception_t   x;

    snprintf(xid, sizeof(xid), "return_unknown:%s", rc->member);
    data = json_pack("{s:s, s:O, s:s, s:I, s:O}", "channel", rc->conf->id,
                     "disposition_id",
                     json_object_get(rc->held, "disposition_id"),
                     "error", why, "failures", (json_int_t) n,
                     "disposition", json_object_get(rc->held, "body"));

    memset(&x, 0, sizeof(invsync_exception_t));
    x.id = xid;
    x.kind = "return_unknown";
    x.summary = "a disposition of returned units whose return could not be "
                "read from its channel: receive its units on their RMA by "
                "hand (its data says why and what)";
    x.event = rc->id;
    x.topic = INVSYNC_TOPIC_DISPOSITION_READ;
    x.order = "";
    x.data = data;

    ok = invsync_reader_open(w, rc, &x);
    json_decref(data);

    return ok;
}
