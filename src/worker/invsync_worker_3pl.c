
/*
 * The 3PL path's steps (invsync_worker_3pl.h): which request a due
 * shipment needs, sending it, and reading its answer.  Open: look for an
 * order with our reference (the shipment id) before creating one, since
 * a create whose answer was lost may have been made; a 422 "duplicate"
 * looks again.  Requested: ask again (GET) at ask_after_s unless the
 * shipment webhook came first; at deadline_s with no shipment, stalled.
 * Cancelled with a 3PL order: cancel it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_3pl.h"
#include "invsync_worker_fulfil.h"
#include "fulfil/invsync_fulfil.h"


static int invsync_3pl_load(invsync_worker_t *w, invsync_3pl_job_t *j);
static json_t *invsync_3pl_hash(redisReply *r);
static int invsync_3pl_aside(invsync_worker_t *w, invsync_3pl_job_t *j,
    int gone);
static int invsync_3pl_send(invsync_worker_t *w, invsync_3pl_job_t *j,
    invsync_3pl_op_e op);
static int invsync_3pl_build(invsync_3pl_job_t *j, invsync_request_t *rq);
static int invsync_3pl_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
static int invsync_3pl_items(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o);
static int invsync_3pl_answer(invsync_worker_t *w, invsync_3pl_job_t *j,
    invsync_3pl_order_t *o);
static void invsync_3pl_free(invsync_3pl_job_t *j);


int
invsync_3pl_busy(invsync_worker_t *w)
{
    return w->fulfil != NULL ? w->fulfil->threepl_inflight : 0;
}


/* on the engine's list while its request is out, and counted */

static void
invsync_3pl_link(invsync_worker_t *w, invsync_3pl_job_t *j)
{
    j->prev = NULL;
    j->next = w->fulfil->jobs;

    if (j->next != NULL) {
        j->next->prev = j;
    }

    w->fulfil->jobs = j;
    w->fulfil->threepl_inflight++;
}


static void
invsync_3pl_unlink(invsync_worker_t *w, invsync_3pl_job_t *j)
{
    if (j->prev != NULL) {
        j->prev->next = j->next;
    } else {
        w->fulfil->jobs = j->next;
    }

    if (j->next != NULL) {
        j->next->prev = j->prev;
    }

    j->next = j->prev = NULL;
    w->fulfil->threepl_inflight--;
}


void
invsync_3pl_drop(invsync_worker_t *w)
{
    invsync_3pl_job_t  *j;

    while (w->fulfil != NULL && (j = w->fulfil->jobs) != NULL) {
        invsync_3pl_unlink(w, j);
        invsync_call_release(w, &j->call);
        invsync_3pl_free(j);
    }
}


int
invsync_3pl_due(invsync_worker_t *w, const char *id)
{
    int                  rc;
    int64_t              at;
    const char          *state, *ref, *kind;
    invsync_3pl_job_t   *j;

    j = calloc(1, sizeof(invsync_3pl_job_t));
    if (j == NULL) {
        return 0;
    }

    snprintf(j->id, sizeof(j->id), "%s", id);
    rc = invsync_3pl_load(w, j);

    if (rc <= 0) {
        invsync_3pl_free(j);
        return rc;
    }

    state = invsync_3pl_field(j, "state");
    ref = invsync_3pl_field(j, "provider_ref");
    snprintf(j->state, sizeof(j->state), "%s", state);

    at = strtoll(invsync_3pl_field(j, "requested_at"), NULL, 10);
    j->deadline_ms = at > 0 ? at + j->deadline_after_ms : 0;

    /* one the buyer gets at the location (an order edited from shipped
     * to pickup, say) is never sent: it is done here */
    kind = invsync_3pl_field(j, "kind");

    if (strcmp(state, "open") == 0 && strcmp(kind, "pickup") != 0
        && strcmp(kind, "counter") != 0 && strcmp(kind, "digital") != 0)
    {
        rc = invsync_3pl_send(w, j, INVSYNC_3PL_FIND);

    } else if (strcmp(state, "requested") == 0 && ref[0] != '\0') {
        rc = invsync_3pl_send(w, j, INVSYNC_3PL_GET);

    } else if ((strcmp(state, "cancelled") == 0
                || strcmp(invsync_3pl_field(j, "shipped_by"), "channel") == 0)
               && ref[0] != '\0'
               && invsync_3pl_field(j, "provider_state")[0] == '\0')
    {
        /* cancelled, or shipped by its channel: the 3PL's order too */
        rc = invsync_3pl_send(w, j, INVSYNC_3PL_CANCEL);

    } else {
        /* shipped, stalled, cancelled with nothing at the 3PL: done */
        rc = invsync_3pl_record(w, j, 0, NULL) < 0 ? -1 : 0;
    }

    if (rc != 1) {
        invsync_3pl_free(j);
    }

    return rc;
}


/*
 * The shipment, its location's fulfilment and account, its order: 1,
 * 0 when it cannot be worked on (logged; it stays due), -1 Redis lost.
 */
static int
invsync_3pl_load(invsync_worker_t *w, invsync_3pl_job_t *j)
{
    int          lost;
    char         key[INVSYNC_KEY_LEN];
    json_t      *f;
    redisReply  *r;
    const char  *argv[4], *why, *acct;

    invsync_key_shipment(key, sizeof(key), w->conf, j->id);
    argv[0] = "HGETALL";
    argv[1] = key;
    argv[2] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    j->sh = invsync_3pl_hash(r);
    freeReplyObject(r);

    why = NULL;
    j->loc = w->conf->routing
             ? invsync_routing_location(w->conf->routing,
                                        invsync_3pl_field(j, "location"))
             : NULL;
    f = j->loc ? j->loc->fulfilment : NULL;
    acct = json_string_value(json_object_get(f, "channel"));
    j->cc = acct ? invsync_conf_channel(w->conf, acct) : NULL;
    j->p = j->cc ? invsync_3pl_find(j->cc->type) : NULL;

    if (j->sh == NULL || invsync_3pl_field(j, "state")[0] == '\0') {
        why = "no such shipment";
    } else if (j->loc == NULL || j->loc->kind != INVSYNC_LOC_3PL) {
        why = "its location is not a 3pl location of worker.json";
    } else if (j->p == NULL) {
        why = "its location has no 3PL account (fulfilment.channel)";
    }

    if (why != NULL) {
        invsync_log(INVSYNC_LOG_WARN, "3pl: shipment not sent",
                    json_pack("{s:s, s:s}", "shipment", j->id, "why", why));
        return invsync_3pl_aside(w, j, j->sh == NULL);
    }

    /* the reader refused anything but positive integers; absent: an hour
     * and a day */
    j->ask_after_ms = 1000 * json_integer_value(json_object_get(f,
                                                "ask_after_s"));
    j->deadline_after_ms = 1000 * json_integer_value(json_object_get(f,
                                                     "deadline_s"));
    j->ask_after_ms = j->ask_after_ms > 0 ? j->ask_after_ms : 3600000;
    j->deadline_after_ms = j->deadline_after_ms > 0 ? j->deadline_after_ms
                                                    : 86400000;
    j->credentials = invsync_fulfil_cred(w, j->loc);

    j->order = invsync_order_data(w, invsync_3pl_field(j, "order"), &lost);
    if (lost) {
        return -1;
    }

    return 1;
}


/* a shipment that cannot be worked on leaves the head of fulfil:due:
 * gone, or until a reload may have mended its configuration (a minute);
 * 0, or -1 when the Redis session was lost */
static int
invsync_3pl_aside(invsync_worker_t *w, invsync_3pl_job_t *j, int gone)
{
    char         due[INVSYNC_KEY_LEN], at[32];
    redisReply  *r;
    const char  *argv[5];

    invsync_key_fulfil_due(due, sizeof(due), w->conf);
    snprintf(at, sizeof(at), "%lld", (long long) invsync_now_ms() + 60000);
    argv[0] = gone ? "ZREM" : "ZADD";
    argv[1] = due;
    argv[2] = gone ? j->id : at;
    argv[3] = gone ? NULL : j->id;
    argv[4] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* HGETALL's reply as an object of strings */
static json_t *
invsync_3pl_hash(redisReply *r)
{
    size_t   i;
    json_t  *o;

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        return NULL;
    }

    o = json_object();

    for (i = 0; o != NULL && i + 1 < r->elements; i += 2) {
        json_object_set_new(o, r->element[i]->str,
                            json_stringn(r->element[i + 1]->str,
                                         r->element[i + 1]->len));
    }

    return o;
}


const char *
invsync_3pl_field(const invsync_3pl_job_t *j, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(j->sh, key));

    return s != NULL ? s : "";
}


/* one request; a shipment being worked on is leased on fulfil:due so
 * that the driver does not start it twice.  1 sent (the job is the
 * call's until it ends), 0 not sent (the outcome recorded), -1 Redis
 * lost; the caller frees the job unless 1 */
static int
invsync_3pl_send(invsync_worker_t *w, invsync_3pl_job_t *j,
    invsync_3pl_op_e op)
{
    int64_t  lease;

    j->op = op;
    invsync_call_init(&j->call, invsync_channel_find(j->cc->type), j->cc,
                      j->credentials);

    if (invsync_3pl_build(j, &j->call.rq) != 0
        || invsync_call_start(w, &j->call, INVSYNC_3PL_RESP_MAX,
                              INVSYNC_CALL_TIMEOUT_MS, invsync_3pl_done, j)
           != 0)
    {
        invsync_call_release(w, &j->call);

        /* an order without a shipping address, a shipment without lines:
         * no retry mends that, a person must */
        lease = op == INVSYNC_3PL_CREATE
                ? invsync_3pl_stalled(w, j, "the order cannot be sent: no "
                                      "shipping address or no lines")
                : invsync_3pl_failed(w, j, "the 3PL request could not be "
                                     "built (its account or reference)", 0);
        return lease < 0 ? -1 : 0;
    }

    invsync_3pl_link(w, j);

    /* Redis lost before the lease is written: the request is taken back
     * (out of curl's hands and off the list) before the caller frees the
     * job; freed in flight, curl wrote its answer into freed memory (a
     * chaos run's worker died of it).  The next attempt looks the order
     * up by reference first, so one that reached the 3PL is not sent
     * twice. */
    if (invsync_3pl_record(w, j, invsync_now_ms() + INVSYNC_3PL_LEASE_MS,
                           NULL) < 0)
    {
        invsync_3pl_unlink(w, j);
        invsync_call_release(w, &j->call);
        return -1;
    }

    return 1;
}


static int
invsync_3pl_build(invsync_3pl_job_t *j, invsync_request_t *rq)
{
    json_t                  *lines;
    invsync_3pl_shipment_t   s;
    int                      rc;

    switch (j->op) {

    case INVSYNC_3PL_FIND:
        return j->p->find_build(&j->call.ctx, j->id, rq);

    case INVSYNC_3PL_GET:
        return j->p->get_build(&j->call.ctx,
                               invsync_3pl_field(j, "provider_ref"), rq);

    case INVSYNC_3PL_CANCEL:
        return j->p->cancel_build(&j->call.ctx,
                                  invsync_3pl_field(j, "provider_ref"), rq);

    default:
        break;
    }

    lines = invsync_ship_parcel_lines(
                json_loads(invsync_3pl_field(j, "lines"), 0, NULL));

    s.id = j->id;
    s.order_number = json_string_value(json_object_get(j->order,
                                                       "order_number"));
    s.order_number = s.order_number ? s.order_number
                                    : invsync_3pl_field(j, "order_id");
    s.shipping_method = json_string_value(json_object_get(j->order,
                                          "shipping_method"));
    s.address = json_object_get(j->order, "shipping_address");
    s.customer = json_object_get(j->order, "customer");
    s.lines = lines;

    rc = json_is_array(lines) && json_is_object(s.address)
         ? j->p->create_build(&j->call.ctx, &s, rq) : -1;
    json_decref(lines);

    return rc;
}


static int
invsync_3pl_done(invsync_worker_t *w, invsync_call_t *c, CURLcode code)
{
    int                   rc;
    char                  why[200];
    int64_t               delay;
    invsync_answer_t      a;
    invsync_3pl_job_t    *j = c->owner;
    invsync_3pl_order_t   o;
    invsync_channel_rc_e  v;

    invsync_3pl_unlink(w, j);
    delay = 0;
    why[0] = '\0';
    memset(&o, 0, sizeof(o));
    v = invsync_call_verdict(c, code, &a, &delay, why, sizeof(why));

    if (v == INVSYNC_CH_DONE) {
        a.why = why;
        a.why_len = sizeof(why);

        switch (j->op) {
        case INVSYNC_3PL_FIND:
            v = j->p->find_parse(&c->ctx, &a, j->id, &o);
            break;
        case INVSYNC_3PL_CREATE:
            v = j->p->create_parse(&c->ctx, &a, &o);
            break;
        case INVSYNC_3PL_GET:
            v = j->p->get_parse(&c->ctx, &a, &o);
            break;
        default:
            v = j->p->cancel_parse(&c->ctx, &a, &o);
            break;
        }
    }

    invsync_call_release(w, c);

    if (v != INVSYNC_CH_DONE) {
        json_decref(o.items);
        rc = invsync_3pl_failed(w, j, why[0] ? why : "the 3PL is busy",
                                v == INVSYNC_CH_THROTTLED ? delay : 0);
        invsync_3pl_free(j);
        return rc < 0 ? -1 : 0;
    }

    rc = invsync_3pl_items(w, j, &o);
    json_decref(o.items);
    o.items = NULL;

    if (rc == 0) {
        rc = invsync_3pl_answer(w, j, &o);
    }

    if (rc != 1) {
        invsync_3pl_free(j);
    }

    return rc < 0 ? -1 : 0;
}


/* what the 3PL names our products by (o->items): skuref:<channel>:<ref>
 * -> the ledger SKU, for its return notices; 0, -1 Redis lost */
static int
invsync_3pl_items(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o)
{
    char         key[INVSYNC_KEY_LEN];
    json_t      *sku;
    const char  *ref;
    redisReply  *r;

    json_object_foreach(o->items, ref, sku) {
        if (!json_is_string(sku)
            || invsync_key_skuref(key, sizeof(key), w->conf, j->cc->id, ref)
               >= sizeof(key))
        {
            continue;
        }

        r = invsync_redis_cmdv(w, (const char *[]) { "SET", key,
                               json_string_value(sku), NULL });
        if (r == NULL) {
            return -1;
        }

        freeReplyObject(r);
    }

    return 0;
}


/* what the parsed answer leads to: 1 another request of the job went
 * out, 0 the job ended, -1 Redis lost */
static int
invsync_3pl_answer(invsync_worker_t *w, invsync_3pl_job_t *j,
    invsync_3pl_order_t *o)
{
    int  rc;

    switch (o->state) {

    case INVSYNC_3PL_NONE:
        if (j->op == INVSYNC_3PL_FIND) {
            return invsync_3pl_send(w, j, INVSYNC_3PL_CREATE);
        }

        if (j->op == INVSYNC_3PL_CANCEL) {
            return invsync_3pl_cancelled(w, j, o) < 0 ? -1 : 0;
        }

        rc = invsync_3pl_failed(w, j, "the 3PL does not know its order", 0);
        return rc < 0 ? -1 : 0;

    case INVSYNC_3PL_DUPLICATE:
        if (++j->finds > INVSYNC_3PL_FINDS) {
            rc = invsync_3pl_failed(w, j, "the 3PL has an order with this "
                                    "reference it does not list", 0);
            return rc < 0 ? -1 : 0;
        }

        return invsync_3pl_send(w, j, INVSYNC_3PL_FIND);

    case INVSYNC_3PL_OPEN:
        if (j->op == INVSYNC_3PL_GET && j->deadline_ms > 0
            && invsync_now_ms() >= j->deadline_ms)
        {
            return invsync_3pl_stalled(w, j, "no shipment by the deadline")
                   < 0 ? -1 : 0;
        }

        return invsync_3pl_requested(w, j, o) < 0 ? -1 : 0;

    case INVSYNC_3PL_SHIPPED:
        if (j->op == INVSYNC_3PL_CANCEL) {
            return invsync_3pl_cancelled(w, j, o) < 0 ? -1 : 0;
        }

        return invsync_3pl_shipped(w, j, o) < 0 ? -1 : 0;

    case INVSYNC_3PL_CANCELLED:
    case INVSYNC_3PL_REFUSED:
        if (j->op == INVSYNC_3PL_CANCEL) {
            return invsync_3pl_cancelled(w, j, o) < 0 ? -1 : 0;
        }

        return invsync_3pl_stalled(w, j, "the 3PL cancelled the order")
               < 0 ? -1 : 0;
    }

    return 0;
}


static void
invsync_3pl_free(invsync_3pl_job_t *j)
{
    json_decref(j->sh);
    json_decref(j->order);
    free(j);
}
