
/*
 * The order.route row: after stock.reserve, an order's reservation goes
 * from unrouted to the locations the decision chose (invsync_route_decide,
 * the same code as the CLI's dry-run), applied by route.lua in one step
 * keyed by order and version.  The decision reads the ledger first; when
 * the stock changed before route.lua could apply it ("stale"), it reads
 * and decides again, INVSYNC_ROUTE_TRIES times, then the event is retried
 * later.  An order no rule can fill opens an "unroutable" exception with
 * the reason per line and waits in route:waiting (invsync_route_retry.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"
#include "fulfil/invsync_fulfil.h"


static invsync_act_rc_e invsync_route_once(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in, int again,
    char *err, size_t len);
static invsync_act_rc_e invsync_route_unroutable(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, char *err, size_t len);


/* the row: only with "routing" in worker.json (the table's flag) */

invsync_act_rc_e
invsync_route_order(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char         id[INVSYNC_ACTION_KEY_LEN];
    const char  *status;

    status = invsync_action_str(canon, "status");

    /* stock.release gave back what a cancelled order held, routed or not;
     * an unroutable one no longer waits for anyone */
    if (status != NULL && strcmp(status, "cancelled") == 0) {
        snprintf(id, sizeof(id), "unroutable:%s:%s", ev->channel,
                 invsync_action_str(canon, "order_id"));

        if (invsync_exception_resolve(w, id, ev->channel, ev->event,
                                      "the order was cancelled")
            != 0)
        {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        return INVSYNC_ACT_APPLIED;
    }

    /* an operator's exceptions retry of an unroutable order decides
     * again; a replay or a duplicate does not */
    return invsync_route_run(w, ev, canon,
                             strncmp(ev->redelivery, "unroutable:", 11) == 0,
                             err, len);
}


invsync_act_rc_e
invsync_route_run(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, int again, char *err, size_t len)
{
    int                     i;
    invsync_act_rc_e        rc, r;
    invsync_route_input_t  *in;

    in = calloc(1, sizeof(invsync_route_input_t));

    if (in == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_route_input(ev->channel, canon, in, err, len);

    if (rc == INVSYNC_ACT_APPLIED && in->nraw == 0) {
        invsync_route_input_free(in);
        return INVSYNC_ACT_APPLIED;     /* nothing reserved, nothing to place */
    }

    for (i = 0; rc == INVSYNC_ACT_APPLIED && i < INVSYNC_ROUTE_TRIES; i++) {
        rc = invsync_route_once(w, ev, in, again, err, len);

        if (rc != INVSYNC_ACT_STALE) {
            break;
        }

        rc = INVSYNC_ACT_APPLIED;
    }

    if (i == INVSYNC_ROUTE_TRIES) {
        snprintf(err, len, "route: the stock of order %s changed under %d "
                 "decisions in a row", in->order_key, INVSYNC_ROUTE_TRIES);
        rc = INVSYNC_ACT_RETRY;
    }

    /* the allocation made (or made before a crash): its shipments, once
     * per version (docs/fulfilment.md), unless route.lua opened them */
    if (rc == INVSYNC_ACT_APPLIED || rc == INVSYNC_ACT_DUPLICATE) {
        r = in->shipped ? INVSYNC_ACT_APPLIED
                        : invsync_shipment_open(w, ev->channel, in->order_key,
                                                err, len);
        r = r == INVSYNC_ACT_APPLIED ? invsync_route_handover(w, in, err, len)
                                     : r;
        rc = r == INVSYNC_ACT_APPLIED ? rc : r;
    }

    invsync_route_input_free(in);

    return rc;
}


/* read, decide, apply; INVSYNC_ACT_STALE: decide again */

static invsync_act_rc_e
invsync_route_once(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, int again, char *err, size_t len)
{
    invsync_act_rc_e        rc;
    invsync_route_result_t  res;

    rc = invsync_route_read(w, in, err, len);

    if (rc != INVSYNC_ACT_APPLIED || in->order.nlines == 0) {
        return rc;      /* no line mapped: nothing reserved to place */
    }

    memset(&res, 0, sizeof(invsync_route_result_t));
    rc = invsync_route_decided(w, ev, in, &res, err, len);

    if (rc == INVSYNC_ACT_APPLIED) {
        rc = invsync_route_applied(&res, in,
                 invsync_route_ledger(w, ev, in, &res, again, err, len),
                 err, len);
    }

    invsync_route_result_free(&res);

    return rc;
}


/*
 * The decision on what was read, an unroutable order's exception opened
 * (before route.lua records it: a crash between re-opens).  APPLIED: res
 * is for route.lua; else the rc to stop with.  res is the caller's to
 * free either way.
 */

invsync_act_rc_e
invsync_route_decided(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, invsync_route_result_t *res, char *err,
    size_t len)
{
    if (invsync_route_decide(w->conf->routing, &in->order,
                             invsync_route_free_at, in, res, err, len)
        != 0)
    {
        return INVSYNC_ACT_RETRY;
    }

    if (res->rc == INVSYNC_ROUTE_UNROUTABLE
        && invsync_route_unroutable(w, ev, in, res, err, len)
           == INVSYNC_ACT_RETRY)
    {
        return INVSYNC_ACT_RETRY;
    }

    return INVSYNC_ACT_APPLIED;
}


/* route.lua's rc as the row's: an unroutable order recorded waits for a
 * person (or for stock) */

invsync_act_rc_e
invsync_route_applied(const invsync_route_result_t *res,
    const invsync_route_input_t *in, invsync_act_rc_e rc, char *err,
    size_t len)
{
    if (res->rc == INVSYNC_ROUTE_UNROUTABLE && rc != INVSYNC_ACT_RETRY) {
        snprintf(err, len, "exception unroutable:%s", in->order_key);
        rc = INVSYNC_ACT_EXCEPTION;
    }

    return rc;
}


/* opened before route.lua records the decision: a crash between re-opens */

static invsync_act_rc_e
invsync_route_unroutable(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, const invsync_route_result_t *res, char *err,
    size_t len)
{
    json_t            *data, *trace;
    const char        *oid;
    invsync_act_rc_e   rc;

    oid = in->order_key + strlen(ev->channel) + 1;
    trace = invsync_route_trace_parse(res);
    data = trace ? json_pack("{s:s, s:O}", "order", in->order_key, "reasons",
                             json_object_get(trace, "unroutable")
                             ? json_object_get(trace, "unroutable")
                             : json_null())
                 : NULL;
    json_decref(trace);

    if (data == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_action_exception(w, ev, data, "unroutable", oid, oid,
                                  "no routing rule can fill the order",
                                  err, len);
    json_decref(data);

    return rc;
}
