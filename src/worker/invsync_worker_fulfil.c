
/*
 * The fulfilment engine's turn: the first shipment due in K fulfil:due,
 * one request at a time on the worker's multi.  A warehouse's label:
 * look the shipment up at the provider by its reference (our shipment
 * id) first, so that a label bought before a crash is found and never
 * bought twice; create it when there is none; buy the rate the rule asks
 * for; record (ship_confirm.lua).  A cancelled shipment's bought label is
 * voided.  429, 5xx and transport errors come back with backoff; a
 * refusal opens a label_failed exception with the provider's message.
 * 3PL shipments are not this file's (docs/fulfilment.md).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_fulfil.h"


static int invsync_fulfil_pick(invsync_worker_t *w, invsync_fulfil_t *f);
static int invsync_fulfil_begin(invsync_worker_t *w, invsync_fulfil_t *f);
static int invsync_fulfil_send(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_fulfil_step_e step, const char *arg);
static int invsync_fulfil_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_fulfil_answer(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_rc_e rc, invsync_label_t *l, const char *why);
static int invsync_fulfil_bought(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l);
static int invsync_fulfil_later(invsync_worker_t *w, invsync_fulfil_t *f,
    int64_t delay_ms, const char *why);
static int invsync_fulfil_failed(invsync_worker_t *w, invsync_fulfil_t *f,
    const char *why);
static int invsync_fulfil_cmd(invsync_worker_t *w, const char *cmd,
    const char *key, const char *a, const char *b, const char *c,
    const char *d);


int
invsync_fulfil_init(invsync_worker_t *w, char *err, size_t len)
{
    (void) err;
    (void) len;

    if (w->conf->routing == NULL) {
        return 0;
    }

    w->fulfil = calloc(1, sizeof(invsync_fulfil_t));

    return w->fulfil != NULL ? 0 : -1;
}


void
invsync_fulfil_free(invsync_worker_t *w)
{
    invsync_fulfil_t  *f = w->fulfil;

    if (f != NULL) {
        invsync_call_release(w, &f->call);
        json_decref(f->ship);
        free(f->cred);
        free(f);
        w->fulfil = NULL;
    }
}


int
invsync_fulfil_busy(invsync_worker_t *w)
{
    return w->fulfil != NULL && w->fulfil->call.inflight;
}


/* the worker's turn: 0, or -1 when the Redis session was lost */

int
invsync_fulfil_step(invsync_worker_t *w)
{
    int64_t            now;
    invsync_fulfil_t  *f = w->fulfil;

    now = invsync_now_ms();

    if (f == NULL || f->call.inflight || now < f->next_ms) {
        return 0;
    }

    f->next_ms = now + INVSYNC_FULFIL_CHECK_MS;

    switch (invsync_fulfil_pick(w, f)) {
    case -1:
        return -1;
    case 0:
        return 0;
    default:
        return invsync_fulfil_begin(w, f);
    }
}


/* 1 with f->id and f->ship of the first due, 0 none, -1 lost */

static int
invsync_fulfil_pick(invsync_worker_t *w, invsync_fulfil_t *f)
{
    char         key[INVSYNC_SHIP_ID_LEN], now[32];
    size_t       i;
    redisReply  *r;

    invsync_key_fulfil_due(key, sizeof(key), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    r = redisCommand(w->redis, "ZRANGEBYSCORE %s -inf %s LIMIT 0 1", key,
                     now);
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        freeReplyObject(r);
        return 0;
    }

    snprintf(f->id, sizeof(f->id), "%s", r->element[0]->str);
    freeReplyObject(r);

    invsync_key_shipment(key, sizeof(key), w->conf, f->id);
    r = redisCommand(w->redis, "HGETALL %s", key);
    if (r == NULL) {
        return -1;
    }

    json_decref(f->ship);
    f->ship = json_object();

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        json_object_set_new(f->ship, r->element[i]->str,
                            json_string(r->element[i + 1]->str));
    }

    freeReplyObject(r);

    return 1;
}


/* what the shipment needs now */

static int
invsync_fulfil_begin(invsync_worker_t *w, invsync_fulfil_t *f)
{
    char         dkey[INVSYNC_SHIP_ID_LEN];
    const char  *state, *kind, *file;

    state = invsync_fulfil_field(f, "state");
    kind = invsync_fulfil_field(f, "kind");
    invsync_key_fulfil_due(dkey, sizeof(dkey), w->conf);

    /* a 3PL's shipment is sent by the 3PL path; not this turn's */
    if (strcmp(kind, "3pl") == 0) {
        return invsync_fulfil_later(w, f, INVSYNC_FULFIL_MAX_MS, NULL);
    }

    f->loc = invsync_routing_location(w->conf->routing,
                                      invsync_fulfil_field(f, "location"));

    if (state[0] == '\0' || strcmp(kind, "warehouse") != 0 || f->loc == NULL
        || (strcmp(state, "cancelled") == 0
            && invsync_fulfil_field(f, "provider_ref")[0] == '\0')
        || strcmp(state, "failed") == 0
        || strcmp(state, "shipped") == 0 || strcmp(state, "tracked") == 0
        || strcmp(state, "voided") == 0)
    {
        return invsync_fulfil_cmd(w, "ZREM", dkey, f->id, NULL, NULL, NULL);
    }

    f->pv = invsync_provider_find(json_string_value(
                json_object_get(f->loc->fulfilment, "provider")));
    f->cc.id = f->loc->id;
    f->cc.type = (char *) "label";
    f->cc.api_base = (char *) json_string_value(
                         json_object_get(f->loc->fulfilment, "api_base"));
    file = json_string_value(json_object_get(f->loc->fulfilment,
                                             "credentials_file"));
    free(f->cred);
    f->cred = file ? invsync_channel_credentials(file) : NULL;

    if (f->pv == NULL || f->cc.api_base == NULL || f->cred == NULL) {
        return invsync_fulfil_failed(w, f, "the location's fulfilment has "
                                     "no usable api_base, provider or "
                                     "credentials_file");
    }

    if (strcmp(state, "cancelled") == 0) {
        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_VOID,
                                   invsync_fulfil_field(f, "provider_ref"));
    }

    return invsync_fulfil_send(w, f, INVSYNC_FULFIL_LOOKUP, f->id);
}


/* one request of the provider's; arg: reference, id or rate id */

static int
invsync_fulfil_send(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_fulfil_step_e step, const char *arg)
{
    int                  rc;
    char                 err[INVSYNC_ERR_LEN];
    invsync_label_req_t  req;

    invsync_call_release(w, &f->call);
    invsync_call_init(&f->call, f->pv->call, &f->cc, f->cred);
    f->call.ctx.now_ms = invsync_now_ms();
    f->step = step;

    switch (step) {
    case INVSYNC_FULFIL_LOOKUP:
        rc = f->pv->lookup_build(&f->call.ctx, arg, &f->call.rq);
        break;
    case INVSYNC_FULFIL_CREATE:
        if (invsync_fulfil_label_req(w, f, &req, err, sizeof(err)) != 0) {
            return -1;
        }
        rc = f->pv->create_build(&f->call.ctx, &req, &f->call.rq);
        json_decref(req.to);
        break;
    case INVSYNC_FULFIL_BUY:
        rc = f->pv->buy_build(&f->call.ctx,
                              invsync_fulfil_field(f, "provider_ref"), arg,
                              &f->call.rq);
        break;
    default:
        rc = f->pv->void_build(&f->call.ctx, arg, &f->call.rq);
        break;
    }

    if (rc != 0
        || invsync_call_start(w, &f->call, INVSYNC_FULFIL_ANSWER,
                              INVSYNC_CALL_TIMEOUT_MS, invsync_fulfil_done,
                              f) != 0)
    {
        return invsync_fulfil_failed(w, f, "the provider's request could "
                                     "not be built (credentials, URL)");
    }

    return 0;
}


static int
invsync_fulfil_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    char                  why[512];
    int64_t               delay;
    invsync_label_t      *l;
    invsync_answer_t      a;
    invsync_fulfil_t     *f = c->owner;
    invsync_label_rc_e    lrc;
    invsync_channel_rc_e  rc;

    why[0] = '\0';
    delay = 0;
    rc = invsync_call_verdict(c, code, &a, &delay, why, sizeof(why));

    if (rc != INVSYNC_CH_DONE) {
        return invsync_fulfil_later(w, f, delay, why);
    }

    l = malloc(sizeof(invsync_label_t));
    if (l == NULL) {
        return invsync_fulfil_later(w, f, 0, "out of memory");
    }

    a.why = why;
    a.why_len = sizeof(why);
    lrc = f->pv->parse(&c->ctx, &a, l);
    rc = invsync_fulfil_answer(w, f, lrc, l, why);
    free(l);

    return rc;
}


static int
invsync_fulfil_answer(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_rc_e rc, invsync_label_t *l, const char *why)
{
    char                   err[512], key[INVSYNC_SHIP_ID_LEN];
    const invsync_rate_t  *rate;

    if (rc == INVSYNC_LABEL_RETRY) {
        return invsync_fulfil_later(w, f, 0, why);
    }

    if (f->step == INVSYNC_FULFIL_VOID) {
        invsync_key_shipment(key, sizeof(key), w->conf, f->id);
        /* refused: nothing was bought to void (it stays cancelled) */
        if (invsync_fulfil_cmd(w, "HSET", key, "state",
                               rc == INVSYNC_LABEL_OK ? "voided"
                               : "cancelled", "last_error",
                               rc == INVSYNC_LABEL_OK ? "" : why) != 0)
        {
            return -1;
        }
        invsync_key_fulfil_due(key, sizeof(key), w->conf);
        return invsync_fulfil_cmd(w, "ZREM", key, f->id, NULL, NULL, NULL);
    }

    if (rc == INVSYNC_LABEL_NOTFOUND && f->step == INVSYNC_FULFIL_LOOKUP) {
        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_CREATE, NULL);
    }

    if (rc != INVSYNC_LABEL_OK) {
        return invsync_fulfil_failed(w, f, why);
    }

    if (l->purchased) {
        return invsync_fulfil_bought(w, f, l);
    }

    /* created, or found unbought: its id first, then the rule's rate */
    invsync_key_shipment(key, sizeof(key), w->conf, f->id);
    json_object_set_new(f->ship, "provider_ref", json_string(l->id));

    if (invsync_fulfil_cmd(w, "HSET", key, "provider_ref", l->id, "state",
                           "requested") != 0)
    {
        return -1;
    }

    rate = invsync_fulfil_rate(w, f, l, err, sizeof(err));

    return rate ? invsync_fulfil_send(w, f, INVSYNC_FULFIL_BUY, rate->id)
                : invsync_fulfil_failed(w, f, err);
}


static int
invsync_fulfil_bought(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l)
{
    char                   err[INVSYNC_ERR_LEN], cost[32];
    invsync_act_rc_e       rc;
    invsync_ship_record_t  rec;

    snprintf(cost, sizeof(cost), "%lld", (long long) l->bought.cost_minor);
    memset(&rec, 0, sizeof(invsync_ship_record_t));
    rec.carrier = l->bought.carrier;
    rec.service = l->bought.service;
    rec.tracking = l->tracking;
    rec.tracking_url = l->tracking_url;
    rec.label_url = l->label_url;
    rec.cost_minor = cost;
    rec.currency = l->bought.currency;
    rec.provider_ref = l->id;
    rec.by = w->conf->consumer;

    rc = invsync_shipment_confirm_rec(w, f->id, &rec, err, sizeof(err));

    if (rc == INVSYNC_ACT_RETRY) {
        return -1;
    }

    /* cancelled while the label was being bought: it goes back */
    if (rc == INVSYNC_ACT_DUPLICATE && strstr(err, "cancelled") != NULL) {
        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_VOID, l->id);
    }

    invsync_log(INVSYNC_LOG_INFO, "label bought", json_pack(
        "{s:s, s:s, s:s, s:s}", "shipment", f->id, "tracking", l->tracking,
        "carrier", l->bought.carrier, "result",
        rc == INVSYNC_ACT_APPLIED ? "shipped" : err));

    return 0;
}


/* again after delay_ms (0: the backoff of its attempts) */

static int
invsync_fulfil_later(invsync_worker_t *w, invsync_fulfil_t *f,
    int64_t delay_ms, const char *why)
{
    char         key[INVSYNC_SHIP_ID_LEN], at[32], n[32];
    long         attempts;

    attempts = atol(invsync_fulfil_field(f, "attempts")) + 1;

    if (delay_ms <= 0) {
        delay_ms = INVSYNC_FULFIL_BACKOFF_MS << (attempts < 6 ? attempts : 6);
        delay_ms = delay_ms < INVSYNC_FULFIL_MAX_MS ? delay_ms
                                                    : INVSYNC_FULFIL_MAX_MS;
    }

    snprintf(at, sizeof(at), "%lld",
             (long long) (invsync_now_ms() + delay_ms));
    invsync_key_fulfil_due(key, sizeof(key), w->conf);

    if (invsync_fulfil_cmd(w, "ZADD", key, at, f->id, NULL, NULL) != 0) {
        return -1;
    }

    if (why == NULL) {
        return 0;
    }

    snprintf(n, sizeof(n), "%ld", attempts);
    invsync_key_shipment(key, sizeof(key), w->conf, f->id);
    invsync_log(INVSYNC_LOG_WARN, "fulfilment retried", json_pack(
        "{s:s, s:s, s:I}", "shipment", f->id, "err", why,
        "in_ms", (json_int_t) delay_ms));

    return invsync_fulfil_cmd(w, "HSET", key, "attempts", n, "last_error",
                              why);
}


/* a person must look: label_failed, the shipment failed, not due */

static int
invsync_fulfil_failed(invsync_worker_t *w, invsync_fulfil_t *f,
    const char *why)
{
    char                 xid[INVSYNC_SHIP_ID_LEN + 16], key[INVSYNC_SHIP_ID_LEN];
    char                 event[INVSYNC_SHIP_ID_LEN + 16];
    json_t              *data;
    redisReply          *r;
    invsync_exception_t  x;

    snprintf(xid, sizeof(xid), "label_failed:%s", f->id);
    snprintf(event, sizeof(event), "fulfil:%s", f->id);
    data = json_pack("{s:s, s:s, s:s}", "shipment", f->id, "location",
                     invsync_fulfil_field(f, "location"), "error", why);

    memset(&x, 0, sizeof(invsync_exception_t));
    x.id = xid;
    x.kind = "label_failed";
    x.summary = "the carrier refused the label";
    x.channel = invsync_fulfil_field(f, "channel");
    x.event = event;
    x.topic = "";
    x.stream = "";
    x.entry = "";
    x.order = invsync_fulfil_field(f, "order");
    x.sku = "";
    x.consumer = w->conf->consumer;
    x.data = data;

    r = invsync_exception_open(w, &x);
    json_decref(data);

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);
    invsync_key_shipment(key, sizeof(key), w->conf, f->id);

    if (invsync_fulfil_cmd(w, "HSET", key, "state", "failed", "last_error",
                           why) != 0)
    {
        return -1;
    }

    invsync_key_fulfil_due(key, sizeof(key), w->conf);

    return invsync_fulfil_cmd(w, "ZREM", key, f->id, NULL, NULL, NULL);
}


/* one command of up to four arguments after the key; -1 lost */

static int
invsync_fulfil_cmd(invsync_worker_t *w, const char *cmd, const char *key,
    const char *a, const char *b, const char *c, const char *d)
{
    const char  *argv[7] = { cmd, key, a, b, c, d, NULL };
    redisReply  *r;

    r = invsync_redis_cmdv(w, argv);

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
