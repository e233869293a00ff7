
/*
 * The fulfilment engine's answers (invsync_worker_fulfil.c sends): 429,
 * 5xx and transport errors come back with backoff; a refusal opens a
 * label_failed exception with the provider's message.  A carrier
 * shipment created or found unbought is recorded (provider_ref, state
 * requested) only while the shipment is still where the step found it: a
 * cancellation, or the channel shipping it, meanwhile wins and nothing is
 * bought.  A label bought for a shipment cancelled or shipped by its
 * channel meanwhile is voided.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_fulfil.h"
#include "invsync_worker_track.h"


static int invsync_fulfil_answer(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_rc_e rc, invsync_label_t *l, const char *why);
static int invsync_fulfil_voided(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_rc_e rc, const char *why);
static int invsync_fulfil_requested(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l);
static int invsync_fulfil_bought(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l);
static int invsync_fulfil_later(invsync_worker_t *w, invsync_fulfil_t *f,
    int64_t delay_ms, const char *why);
static int invsync_fulfil_by_channel(invsync_worker_t *w,
    invsync_fulfil_t *f);


int
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
    if (rc == INVSYNC_LABEL_RETRY) {
        return invsync_fulfil_later(w, f, 0, why);
    }

    if (f->step == INVSYNC_FULFIL_VOID) {
        return invsync_fulfil_voided(w, f, rc, why);
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

    return invsync_fulfil_requested(w, f, l);
}


/* a voided label: the shipment voided, or cancelled when the carrier
 * says nothing was bought; one the channel shipped keeps its state and
 * says what became of the label in label_void */

static int
invsync_fulfil_voided(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_rc_e rc, const char *why)
{
    char  key[INVSYNC_SHIP_ID_LEN];
    int   ok = rc == INVSYNC_LABEL_OK;

    invsync_key_shipment(key, sizeof(key), w->conf, f->id);

    if (invsync_fulfil_cmd(w, "HSET", key,
                           f->by_channel ? "label_void" : "state",
                           f->by_channel ? (ok ? "voided" : "none")
                                         : (ok ? "voided" : "cancelled"),
                           "last_error", ok ? "" : why) != 0)
    {
        return -1;
    }

    invsync_key_fulfil_due(key, sizeof(key), w->conf);

    return invsync_fulfil_cmd(w, "ZREM", key, f->id, NULL, NULL, NULL);
}


/* created, or found unbought: its id kept, the state requested if it is
 * still where the step found it (ship_3pl.lua), then the rule's rate */

static int
invsync_fulfil_requested(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l)
{
    char                   err[512], key[INVSYNC_SHIP_ID_LEN];
    char                   due[INVSYNC_SHIP_ID_LEN], until[32];
    size_t                 i, lens[9];
    redisReply            *r;
    const char            *argv[9];
    const invsync_rate_t  *rate;

    invsync_key_shipment(key, sizeof(key), w->conf, f->id);
    invsync_key_fulfil_due(due, sizeof(due), w->conf);
    snprintf(until, sizeof(until), "%lld",
             (long long) (invsync_now_ms() + INVSYNC_FULFIL_LEASE_MS));
    json_object_set_new(f->ship, "provider_ref", json_string(l->id));

    argv[0] = key;
    argv[1] = due;
    argv[2] = f->id;
    argv[3] = invsync_fulfil_field(f, "state");
    argv[4] = until;
    argv[5] = "provider_ref";
    argv[6] = l->id;
    argv[7] = "state";
    argv[8] = "requested";

    for (i = 0; i < 9; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->ship_3pl_sha, invsync_script_ship_3pl,
                           invsync_script_ship_3pl_len, 2, 9, argv, lens);
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
        /* cancelled or shipped by its channel meanwhile: nothing bought;
         * what it needs now (a void) is due already */
        freeReplyObject(r);
        invsync_log(INVSYNC_LOG_INFO, "label not bought: the shipment "
                    "moved on", json_pack("{s:s}", "shipment", f->id));
        return 0;
    }

    freeReplyObject(r);
    json_object_set_new(f->ship, "state", json_string("requested"));
    rate = invsync_fulfil_rate(w, f, l, err, sizeof(err));

    return rate ? invsync_fulfil_send(w, f, INVSYNC_FULFIL_BUY, rate->id)
                : invsync_fulfil_failed(w, f, err);
}


static int
invsync_fulfil_bought(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l)
{
    char                   err[INVSYNC_ERR_LEN], cost[32];
    char                   why[INVSYNC_ERR_LEN + 192];
    char                   key[INVSYNC_SHIP_ID_LEN];
    invsync_act_rc_e       rc;
    invsync_ship_record_t  rec;

    snprintf(cost, sizeof(cost), "%lld", (long long) l->bought.cost_minor);
    memset(&rec, 0, sizeof(invsync_ship_record_t));
    rec.carrier = l->bought.carrier;
    rec.service = l->bought.service;
    rec.tracking = l->tracking;
    rec.tracking_url = l->tracking_url;
    rec.label_url = l->label_url;
    /* a bought rate whose amount was refused (invsync_rate_minor) has
     * no cost to record, rather than -1 */
    rec.cost_minor = l->bought.cost_minor >= 0 ? cost : NULL;
    rec.currency = l->bought.currency;
    rec.provider_ref = l->id;
    rec.by = w->conf->consumer;

    rc = invsync_shipment_confirm_rec(w, f->id, &rec, err, sizeof(err));

    if (rc == INVSYNC_ACT_RETRY) {
        return -1;
    }

    /* the carrier's answer is refused (a tracking number with a control
     * byte, docs/fulfilment.md "Bad provider input"): the label is bought,
     * a person confirms it with the right number or voids it */
    if (rc == INVSYNC_ACT_POISON) {
        snprintf(why, sizeof(why), "label %.128s bought, its confirmation "
                 "refused: %.400s", l->id, err);
        return invsync_fulfil_failed(w, f, why);
    }

    /* cancelled while the label was being bought: it goes back */
    if (rc == INVSYNC_ACT_DUPLICATE && strstr(err, "cancelled") != NULL) {
        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_VOID, l->id);
    }

    /* the channel shipped it meanwhile (a merchant in the channel's
     * admin): the label is not needed, the state stays */
    if (rc == INVSYNC_ACT_DUPLICATE && invsync_fulfil_by_channel(w, f)) {
        f->by_channel = 1;
        invsync_key_shipment(key, sizeof(key), w->conf, f->id);

        /* due until the carrier answers, should this void fail */
        if (invsync_fulfil_cmd(w, "HSET", key, "label_void", "due",
                               "provider_ref", l->id) != 0)
        {
            return -1;
        }

        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_VOID, l->id);
    }

    /* on track:due now (ship_confirm.lua): told without a scan's wait */
    if (rc == INVSYNC_ACT_APPLIED) {
        invsync_track_wake(w);
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

int
invsync_fulfil_failed(invsync_worker_t *w, invsync_fulfil_t *f,
    const char *why)
{
    char                 xid[INVSYNC_SHIP_ID_LEN + 16];
    char                 key[INVSYNC_SHIP_ID_LEN];
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


/* 1 when the shipment was shipped by its channel (shipped_by channel) */

static int
invsync_fulfil_by_channel(invsync_worker_t *w, invsync_fulfil_t *f)
{
    int          yes;
    char         key[INVSYNC_SHIP_ID_LEN];
    redisReply  *r;

    invsync_key_shipment(key, sizeof(key), w->conf, f->id);
    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "shipped_by",
                           NULL });
    yes = r != NULL && r->type == REDIS_REPLY_STRING
          && strcmp(r->str, "channel") == 0;
    freeReplyObject(r);

    return yes;
}
