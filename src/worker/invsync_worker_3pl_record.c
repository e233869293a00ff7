
/*
 * What became of a 3PL step, written through ship_3pl.lua so that a
 * webhook's confirm or a cancellation that came meanwhile wins: the 3PL
 * order recorded (provider_ref, state requested, the next question at
 * ask_after_s), a shipment confirmed (invsync_shipment_confirm(), the one
 * way a shipment ships), a failure retried with backoff, a shipment
 * given up on (fulfilment_stalled), a 3PL order cancelled or, shipped
 * already, a cancel_after_shipment exception.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_3pl.h"
#include "fulfil/invsync_fulfil.h"


#define INVSYNC_3PL_PAIRS  8


static int invsync_3pl_exception(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *kind, const char *summary, json_t *data);
static int invsync_3pl_moved(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o);


/*
 * Sets the NULL-ended field, value pairs and the next time (0: off
 * fulfil:due) if the shipment is still in j->state: 1 written, 0 it had
 * moved on, -1 Redis lost.
 */
int
invsync_3pl_record(invsync_worker_t *w, invsync_3pl_job_t *j, int64_t next_ms,
    ...)
{
    int          argc, ok;
    char         key[INVSYNC_KEY_LEN], due[INVSYNC_KEY_LEN], next[32];
    size_t       lens[5 + 2 * INVSYNC_3PL_PAIRS];
    va_list      ap;
    redisReply  *r;
    const char  *argv[5 + 2 * INVSYNC_3PL_PAIRS], *f;

    invsync_key_shipment(key, sizeof(key), w->conf, j->id);
    invsync_key_fulfil_due(due, sizeof(due), w->conf);
    next[0] = '\0';

    if (next_ms > 0) {
        snprintf(next, sizeof(next), "%lld", (long long) next_ms);
    }

    argv[0] = key;
    argv[1] = due;
    argv[2] = j->id;
    argv[3] = j->state;
    argv[4] = next;
    argc = 5;

    va_start(ap, next_ms);

    while (argc + 2 <= (int) (sizeof(argv) / sizeof(argv[0]))
           && (f = va_arg(ap, const char *)) != NULL)
    {
        argv[argc++] = f;
        argv[argc++] = va_arg(ap, const char *);
    }

    va_end(ap);

    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->ship_3pl_sha, invsync_script_ship_3pl,
                           invsync_script_ship_3pl_len, 2, argc, argv, lens);
    if (r == NULL) {
        return -1;
    }

    ok = r->type == REDIS_REPLY_INTEGER && r->integer == 1;

    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_ERROR, "3pl: step not recorded",
                    json_pack("{s:s, s:s}", "shipment", j->id, "err", r->str));
    }

    freeReplyObject(r);

    return ok;
}


/* the 3PL has the order: ask about it at ask_after_s, not after the
 * deadline */
int
invsync_3pl_requested(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o)
{
    int          rc;
    char         at[32];
    int64_t      now, next;
    const char  *was;

    now = invsync_now_ms();
    was = invsync_3pl_field(j, "requested_at");
    snprintf(at, sizeof(at), "%s", was);

    if (at[0] == '\0') {
        snprintf(at, sizeof(at), "%lld", (long long) now);
        j->deadline_ms = now + j->deadline_after_ms;
    }

    next = now + j->ask_after_ms;
    next = next < j->deadline_ms ? next : j->deadline_ms;

    rc = invsync_3pl_record(w, j, next, "state", "requested",
                            "provider_ref", o->ref, "requested_at", at,
                            "attempts", "0", "last_error", "", NULL);

    if (rc == 0) {
        return invsync_3pl_moved(w, j, o);
    }

    if (rc == 1 && strcmp(j->state, "open") == 0) {
        invsync_log(INVSYNC_LOG_INFO, "3pl: order sent",
                    json_pack("{s:s, s:s, s:s}", "shipment", j->id,
                              "provider_ref", o->ref, "location",
                              j->loc->id));

        /* one stalled before (it could not be sent, a person mended it
         * and put it back): the 3PL has it now */
        if (invsync_3pl_field(j, "last_error")[0] != '\0'
            && invsync_3pl_unstall(w, j, "the 3PL accepted the order") < 0)
        {
            return -1;
        }
    }

    snprintf(j->state, sizeof(j->state), "requested");

    return rc;
}


/*
 * The 3PL took the order while the shipment moved on (the order was
 * cancelled, or its channel shipped it): the 3PL's order is recorded all
 * the same, due now, so that it is cancelled there.  1, 0, -1 lost.
 */
static int
invsync_3pl_moved(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o)
{
    char         key[INVSYNC_KEY_LEN], now[32];
    redisReply  *r;

    invsync_key_shipment(key, sizeof(key), w->conf, j->id);
    r = invsync_redis_cmdv(w, (const char *[]) { "HMGET", key, "state",
                           "shipped_by", "provider_ref", NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
        || r->element[0]->type != REDIS_REPLY_STRING
        || r->element[2]->type == REDIS_REPLY_STRING
        || (strcmp(r->element[0]->str, "cancelled") != 0
            && (r->element[1]->type != REDIS_REPLY_STRING
                || strcmp(r->element[1]->str, "channel") != 0)))
    {
        freeReplyObject(r);
        return 0;
    }

    snprintf(j->state, sizeof(j->state), "%s", r->element[0]->str);
    freeReplyObject(r);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    invsync_log(INVSYNC_LOG_INFO, "3pl: order sent as the shipment moved "
                "on: to be cancelled", json_pack("{s:s, s:s}", "shipment",
                                                 j->id, "provider_ref",
                                                 o->ref));

    return invsync_3pl_record(w, j, invsync_now_ms(), "provider_ref",
                              o->ref, NULL);
}


/* its fulfilment_stalled exception resolved, the cause gone: 0, -1 */
int
invsync_3pl_unstall(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *why)
{
    char  id[INVSYNC_KEY_LEN];

    snprintf(id, sizeof(id), "fulfilment_stalled:%s:%s",
             invsync_3pl_field(j, "channel"), j->id);

    return invsync_exception_resolve(w, id, invsync_3pl_field(j, "channel"),
                                     j->id, why);
}


/* the GET found it shipped (no webhook, or not yet): confirm it as the
 * webhook would; ship_confirm.lua does it once */
int
invsync_3pl_shipped(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o)
{
    char              err[INVSYNC_ERR_LEN];
    invsync_act_rc_e  rc;

    if (strcmp(j->state, "open") == 0
        && invsync_3pl_requested(w, j, o) < 0)
    {
        return -1;
    }

    rc = invsync_shipment_confirm(w, j->id, o->carrier, o->service,
                                  o->tracking, o->url, err, sizeof(err));

    if (rc == INVSYNC_ACT_APPLIED || rc == INVSYNC_ACT_DUPLICATE) {
        invsync_log(INVSYNC_LOG_INFO, "3pl: shipment confirmed by asking",
                    json_pack("{s:s, s:s, s:s}", "shipment", j->id,
                              "tracking", o->tracking, "carrier",
                              o->carrier));
        return 1;
    }

    if (w->redis == NULL) {
        return -1;
    }

    return invsync_3pl_failed(w, j, err, 0);
}


/* tried again after a backoff (or the 3PL's Retry-After), never later
 * than the next question would be */
int
invsync_3pl_failed(invsync_worker_t *w, invsync_3pl_job_t *j, const char *why,
    int64_t delay_ms)
{
    int      n;
    char     attempts[16];
    int64_t  wait;

    n = atoi(invsync_3pl_field(j, "attempts")) + 1;
    snprintf(attempts, sizeof(attempts), "%d", n);

    wait = INVSYNC_3PL_BACKOFF_MS << (n < 12 ? n - 1 : 11);
    wait = wait < j->ask_after_ms ? wait : j->ask_after_ms;
    wait = delay_ms > wait ? delay_ms : wait;

    invsync_log(INVSYNC_LOG_WARN, "3pl: step failed, tried again later",
                json_pack("{s:s, s:s, s:i, s:I}", "shipment", j->id,
                          "err", why, "attempts", n, "wait_ms",
                          (json_int_t) wait));

    if (j->deadline_ms > 0 && invsync_now_ms() >= j->deadline_ms) {
        return invsync_3pl_stalled(w, j, why);
    }

    return invsync_3pl_record(w, j, invsync_now_ms() + wait, "attempts",
                              attempts, "last_error", why, NULL);
}


/* no shipment by the deadline: a person looks (the order may still ship:
 * a late webhook confirms it) */
int
invsync_3pl_stalled(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *why)
{
    int      rc;
    json_t  *d;

    rc = invsync_3pl_record(w, j, 0, "state", "stalled", "last_error", why,
                            NULL);
    if (rc != 1) {
        return rc;
    }

    d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}",
                  "shipment", j->id, "location", j->loc->id,
                  "provider", j->p->type,
                  "provider_ref", invsync_3pl_field(j, "provider_ref"),
                  "requested_at", invsync_3pl_field(j, "requested_at"),
                  "deadline_s", (json_int_t) (j->deadline_after_ms / 1000),
                  "attempts", invsync_3pl_field(j, "attempts"),
                  "why", why);

    return invsync_3pl_exception(w, j, "fulfilment_stalled",
                                 "the 3PL has not shipped it (data.why): "
                                 "ask the 3PL, then ship it (invsyncctl "
                                 "ship) or cancel it, and resolve", d);
}


/* the 3PL order of a cancelled shipment: cancelled, unknown, or shipped
 * (cancel_after_shipment) */
int
invsync_3pl_cancelled(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o)
{
    int          rc;
    json_t      *d;
    const char  *name;

    name = invsync_3pl_state_name(o->state);
    rc = invsync_3pl_record(w, j, 0, "provider_state", name, NULL);

    if (rc != 1 || (o->state != INVSYNC_3PL_REFUSED
                    && o->state != INVSYNC_3PL_SHIPPED))
    {
        return rc;
    }

    d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
                  "shipment", j->id, "location", j->loc->id,
                  "provider_ref", invsync_3pl_field(j, "provider_ref"),
                  "carrier", o->carrier, "tracking", o->tracking,
                  "tracking_url", o->url);

    /* the channel shipped it, and the 3PL too: two parcels went out */
    if (strcmp(invsync_3pl_field(j, "shipped_by"), "channel") == 0) {
        return invsync_3pl_exception(w, j, "shipped_twice",
                                     "the channel shipped the order and "
                                     "the 3PL shipped it too: get one "
                                     "parcel back", d);
    }

    return invsync_3pl_exception(w, j, "cancel_after_shipment",
                                 "the order was cancelled after the 3PL "
                                 "shipped it: handle it as a return",
                                 d);
}


static int
invsync_3pl_exception(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *kind, const char *summary, json_t *data)
{
    char                 id[INVSYNC_KEY_LEN];
    redisReply          *r;
    invsync_exception_t  x;

    if (data == NULL) {
        return 1;
    }

    snprintf(id, sizeof(id), "%s:%s:%s", kind,
             invsync_3pl_field(j, "channel"), j->id);

    x.id = id;
    x.kind = kind;
    x.summary = summary;
    x.channel = invsync_3pl_field(j, "channel");
    x.event = j->id;
    x.topic = "fulfilment.3pl";
    x.stream = "";
    x.entry = "";
    x.order = invsync_3pl_field(j, "order");
    x.sku = "";
    x.consumer = w->conf->consumer;
    x.data = data;

    r = invsync_exception_open(w, &x);
    json_decref(data);

    if (r == NULL) {
        return w->redis ? 1 : -1;
    }

    invsync_log(INVSYNC_LOG_WARN, summary,
                json_pack("{s:s, s:s}", "exception", kind, "shipment",
                          j->id));
    freeReplyObject(r);

    return 1;
}
