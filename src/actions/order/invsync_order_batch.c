
/*
 * Orders of one read, pipelined.  Run one by one, an order costs three
 * round trips to Redis (apply.lua, the SKU mapping, ledger.lua), and on a
 * busy machine every round trip waits for the scheduler: at 1,000 orders a
 * second the worker fell behind on waiting alone.  Here the orders of a
 * batch share them: every order's apply.lua, its payment references
 * (K payref:, and whether a refund waits for it) and mapping GETs in one
 * pipeline, then every reservation's ledger.lua in a second, then the
 * rare follow-ups (exceptions, waiting refunds) one by one.  Each order's
 * own steps keep their order, and orders keep theirs within each phase,
 * so the ledger sees the same sequence of movements as before.  Anything
 * unexpected (an error reply, NOSCRIPT after a script flush) sends that
 * order through the one-by-one path again: every effect is keyed by its
 * cause, so the part already applied is a no-op the second time.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "route/invsync_route_run.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


typedef struct {
    json_t              *line;
    json_int_t           qty;
    char                 id[64];
    char                 refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    size_t               nrefs;
    char                 sku[256];
    int                  found;
    int                  moved;         /* a ledger call was appended */
    json_t              *detail;        /* {moved, oversold} */
} invsync_job_line_t;


struct invsync_job_s {
    const invsync_envelope_t  *ev;
    json_t                    *canon;
    const char                *oid;
    int                        cancelled;
    int                        redo;    /* through invsync_action_run() */
    int                        npay;    /* payref HSETs appended */
    int                        waited;  /* a refund waits for it */
    int                        route;   /* its order.route row runs */
    int                        refund;  /* a refund: invsync_refund_batch */
    char                       state[INVSYNC_KEY_LEN];
    char                       order[INVSYNC_KEY_LEN];
    invsync_job_line_t        *lines;
    size_t                     nlines;
    invsync_act_rc_e           rc;
    char                       err[INVSYNC_ERR_LEN];
};


static int invsync_batch_append_apply(invsync_worker_t *w,
    invsync_job_t *job);
static int invsync_batch_read_apply(invsync_worker_t *w, invsync_job_t *job);
static int invsync_batch_append_ledger(invsync_worker_t *w,
    invsync_job_t *job, size_t *appended);
static int invsync_batch_read_ledger(invsync_worker_t *w,
    invsync_job_t *job);
static void invsync_batch_finish(invsync_worker_t *w, invsync_job_t *job);
static int invsync_batch_route(invsync_worker_t *w, invsync_job_t *jobs,
    size_t n);
static int invsync_batch_refunds(invsync_worker_t *w, invsync_job_t *jobs,
    size_t n);


invsync_job_t *
invsync_batch_jobs(size_t n)
{
    return calloc(n ? n : 1, sizeof(invsync_job_t));
}


/*
 * Takes ev into jobs[i] when every row of its kind may be pipelined
 * (INVSYNC_ACT_BATCH in the action table: orders and cancellations, and
 * refunds), on a channel whose stock moves nothing else with it.
 * INVSYNC_BATCH_ORDER or INVSYNC_BATCH_REFUND: a queue holds one kind.
 * 0: run it alone, invsync_action_run() decides (and reports) the rest.
 */

int
invsync_batch_add(invsync_worker_t *w, invsync_job_t *jobs, size_t i,
    const invsync_envelope_t *ev)
{
    char                           err[INVSYNC_CANON_ERR_LEN];
    json_t                        *canon;
    const char                    *oid, *status;
    invsync_job_t                 *job;
    const invsync_channel_conf_t  *ch;

    job = &jobs[i];

    memset(job, 0, sizeof(invsync_job_t));

    if (w->conf->noop || ev->version != 1) {
        return 0;
    }

    ch = invsync_conf_channel(w->conf, ev->channel);

    if (ch == NULL || strcmp(ev->scheme, ch->type) != 0) {
        return 0;
    }

    canon = NULL;

    if (invsync_normalize(ev, &canon, err, sizeof(err)) != INVSYNC_NORM_OK) {
        json_decref(canon);
        return 0;
    }

    oid = json_string_value(json_object_get(canon, "order_id"));
    status = json_string_value(json_object_get(canon, "status"));

    /* an order that is also its shipment has a row that goes alone */
    if (oid == NULL || !invsync_action_batchable(w->conf, canon)) {
        json_decref(canon);
        return 0;
    }

    job->ev = ev;
    job->canon = canon;

    if (strcmp(invsync_action_str(canon, "kind"), "refund") == 0) {
        job->refund = 1;
        return INVSYNC_BATCH_REFUND;
    }

    job->oid = oid;
    job->cancelled = status != NULL && strcmp(status, "cancelled") == 0;
    snprintf(job->order, sizeof(job->order), "%s:%s", ev->channel, oid);

    return INVSYNC_BATCH_ORDER;
}


/*
 * Runs n jobs: their results in invsync_batch_result().  -1 when the
 * Redis session was lost (nothing acknowledged: all are delivered again).
 */

int
invsync_batch_run(invsync_worker_t *w, invsync_job_t *jobs, size_t n)
{
    size_t  i, appended;

    if (n > 0 && jobs[0].refund) {
        return invsync_batch_refunds(w, jobs, n);
    }

    for (i = 0; i < n; i++) {
        if (invsync_batch_append_apply(w, &jobs[i]) != 0) {
            return -1;
        }
    }

    for (i = 0; i < n; i++) {
        if (invsync_batch_read_apply(w, &jobs[i]) != 0) {
            return -1;
        }
    }

    appended = 0;

    for (i = 0; i < n; i++) {
        if (invsync_batch_append_ledger(w, &jobs[i], &appended) != 0) {
            return -1;
        }
    }

    for (i = 0; appended && i < n; i++) {
        if (invsync_batch_read_ledger(w, &jobs[i]) != 0) {
            return -1;
        }
    }

    for (i = 0; i < n; i++) {
        invsync_batch_finish(w, &jobs[i]);

        if (w->redis == NULL) {
            return -1;
        }
    }

    return invsync_batch_route(w, jobs, n);
}


invsync_act_rc_e
invsync_batch_result(invsync_job_t *jobs, size_t i, const char **err)
{
    *err = jobs[i].err;
    return jobs[i].rc;
}


void
invsync_batch_clear(invsync_job_t *jobs, size_t n)
{
    size_t  i, k;

    for (i = 0; i < n; i++) {
        for (k = 0; k < jobs[i].nlines; k++) {
            json_decref(jobs[i].lines[k].detail);
        }

        free(jobs[i].lines);
        json_decref(jobs[i].canon);
        memset(&jobs[i], 0, sizeof(invsync_job_t));
    }
}


/* phase 1: apply.lua of the order, and where each line's SKU may be */

static int
invsync_batch_append_apply(invsync_worker_t *w, invsync_job_t *job)
{
    size_t                         i, n;
    json_t                        *lines, *line, *inputs;
    invsync_effect_t               fx;
    invsync_job_line_t            *jl;

    memset(&fx, 0, sizeof(invsync_effect_t));
    inputs = json_object();

    if (inputs == NULL) {
        return -1;
    }

    invsync_order_effect(job->ev, job->canon, &fx, job->state,
                                sizeof(job->state), inputs);
    fx.inputs = inputs;

    if (invsync_action_apply_append(w, job->ev, job->canon, &fx) != 0) {
        json_decref(inputs);
        return -1;
    }

    json_decref(inputs);

    job->npay = invsync_order_payref_append(w, job->ev, job->canon);
    if (job->npay < 0) {
        return -1;
    }

    if (invsync_refund_waiting_append(w, job->ev, job->canon) != 1) {
        return -1;
    }

    if (job->cancelled) {
        return 0;
    }

    lines = json_object_get(job->canon, "lines");
    n = json_array_size(lines);

    job->lines = calloc(n ? n : 1, sizeof(invsync_job_line_t));
    if (job->lines == NULL) {
        return -1;
    }

    json_array_foreach(lines, i, line) {
        jl = &job->lines[job->nlines++];
        jl->line = line;
        jl->qty = json_integer_value(json_object_get(line, "quantity"));

        if (jl->qty <= 0) {
            continue;
        }

        invsync_stock_line_id(line, i, jl->id, sizeof(jl->id));
        jl->nrefs = invsync_stock_refs(line, jl->refs);

        for (n = 0; n < jl->nrefs; n++) {
            if (invsync_stock_ref_append(w, job->ev->channel, jl->refs[n])
                != 0)
            {
                return -1;
            }
        }
    }

    return 0;
}


static int
invsync_batch_read_apply(invsync_worker_t *w, invsync_job_t *job)
{
    size_t               i, k;
    redisReply          *r;
    invsync_job_line_t  *jl;

    r = invsync_redis_reply(w);
    if (r == NULL) {
        return -1;
    }

    job->rc = invsync_action_apply_reply(r, job->err, sizeof(job->err));

    if (job->rc == INVSYNC_ACT_RETRY) {
        job->redo = 1;
    }

    switch (invsync_order_payref_read(w, job->npay, job->err,
                                      sizeof(job->err)))
    {
    case -1:
        return -1;
    case 1:
        job->redo = 1;
        break;
    default:
        break;
    }

    job->waited = invsync_refund_waiting_read(w);
    if (job->waited < 0) {
        return -1;
    }

    for (i = 0; i < job->nlines; i++) {
        jl = &job->lines[i];

        for (k = 0; k < jl->nrefs; k++) {
            r = invsync_redis_reply(w);
            if (r == NULL) {
                return -1;
            }

            if (jl->found) {
                freeReplyObject(r);
                continue;
            }

            jl->found = invsync_stock_ref_reply(r, jl->sku, sizeof(jl->sku));
        }
    }

    return 0;
}


/* phase 2: the stock follows the recorded state, never a stale one */

static int
invsync_batch_append_ledger(invsync_worker_t *w, invsync_job_t *job,
    size_t *appended)
{
    int                  rc;
    char                 cause[1024];
    size_t               i;
    json_t              *one;
    invsync_job_line_t  *jl;

    if (job->redo || (job->rc != INVSYNC_ACT_APPLIED
                      && job->rc != INVSYNC_ACT_DUPLICATE))
    {
        return 0;
    }

    if (job->cancelled) {
        snprintf(cause, sizeof(cause), "release:%s", job->order);
        (*appended)++;
        return invsync_stock_move_append(w, job->ev, cause, "release",
                                         job->order, NULL);
    }

    for (i = 0; i < job->nlines; i++) {
        jl = &job->lines[i];

        if (jl->qty <= 0 || !jl->found) {
            continue;
        }

        one = json_pack("[{s:s, s:I}]", "sku", jl->sku, "qty", jl->qty);
        if (one == NULL) {
            return -1;
        }

        snprintf(cause, sizeof(cause), "reserve:%s:%s", job->order, jl->id);
        rc = invsync_stock_move_append(w, job->ev, cause, "reserve",
                                       job->order, one);
        json_decref(one);

        if (rc != 0) {
            return -1;
        }

        jl->moved = 1;
        (*appended)++;
    }

    return 0;
}


static int
invsync_batch_read_ledger(invsync_worker_t *w, invsync_job_t *job)
{
    size_t               i;
    redisReply          *r;
    invsync_act_rc_e     rc;
    invsync_job_line_t  *jl;

    if (job->redo || (job->rc != INVSYNC_ACT_APPLIED
                      && job->rc != INVSYNC_ACT_DUPLICATE))
    {
        return 0;
    }

    if (job->cancelled) {
        r = invsync_redis_reply(w);
        if (r == NULL) {
            return -1;
        }

        rc = invsync_stock_move_reply(r, NULL, job->err, sizeof(job->err));
        job->redo = rc == INVSYNC_ACT_RETRY;
        return 0;
    }

    for (i = 0; i < job->nlines; i++) {
        jl = &job->lines[i];

        if (!jl->moved) {
            continue;
        }

        r = invsync_redis_reply(w);
        if (r == NULL) {
            return -1;
        }

        rc = invsync_stock_move_reply(r, &jl->detail, job->err,
                                      sizeof(job->err));
        if (rc == INVSYNC_ACT_RETRY) {
            job->redo = 1;
        }
    }

    return 0;
}


/* phase 3, one by one: what needs a person, or the order again alone */

static void
invsync_batch_finish(invsync_worker_t *w, invsync_job_t *job)
{
    size_t               i;
    invsync_act_rc_e     rc, worst;
    invsync_job_line_t  *jl;

    if (job->redo) {
        job->err[0] = '\0';
        job->rc = invsync_action_run(w, job->ev, job->err, sizeof(job->err));
        return;
    }

    if (job->rc != INVSYNC_ACT_APPLIED && job->rc != INVSYNC_ACT_DUPLICATE) {
        return;
    }

    if (job->waited
        && invsync_refund_recheck(w, job->ev, job->canon, job->err,
                                  sizeof(job->err)) == INVSYNC_ACT_RETRY)
    {
        job->rc = INVSYNC_ACT_RETRY;
        return;
    }

    worst = INVSYNC_ACT_APPLIED;

    for (i = 0; i < job->nlines; i++) {
        jl = &job->lines[i];

        /* as stock.reserve alone: a digital line without a ledger SKU
         * moves no stock and waits for no one */
        if (jl->qty <= 0
            || (!jl->found && json_is_false(json_object_get(
                                  jl->line, "requires_shipping"))))
        {
            continue;
        }

        if (!jl->found) {
            rc = invsync_stock_unmapped(w, job->ev, job->oid, jl->id,
                                        jl->line, job->err, sizeof(job->err));
        } else {
            rc = invsync_stock_oversold(w, job->ev, job->oid, jl->detail,
                                        job->err, sizeof(job->err));
        }

        if (rc == INVSYNC_ACT_RETRY) {
            job->rc = rc;
            return;
        }

        if (rc == INVSYNC_ACT_EXCEPTION) {
            worst = rc;
        }
    }

    if (worst == INVSYNC_ACT_EXCEPTION) {
        job->rc = worst;
    }

    /* as invsync_action_run(): the rows after stock.reserve run unless
     * it must be retried */
    job->route = 1;
}


/*
 * Phase 4, with routing in worker.json: the order.route row of every order
 * whose reservation is recorded, pipelined in its turn
 * (src/actions/route/invsync_route_batch.c); its result is the order's
 * when it needs a person or failed, as in invsync_action_run().
 */

static int
invsync_batch_route(invsync_worker_t *w, invsync_job_t *jobs, size_t n)
{
    int                   rc;
    size_t                i, k, *of;
    invsync_route_job_t  *rj;
    invsync_act_rc_e      r;

    if (w->conf->routing == NULL) {
        return 0;
    }

    rj = calloc(n, sizeof(invsync_route_job_t));
    of = calloc(n, sizeof(size_t));

    if (rj == NULL || of == NULL) {
        free(rj);
        free(of);
        return -1;
    }

    for (i = 0, k = 0; i < n; i++) {
        if (jobs[i].route) {
            rj[k].ev = jobs[i].ev;
            rj[k].canon = jobs[i].canon;
            of[k++] = i;
        }
    }

    rc = k > 0 ? invsync_route_batch(w, rj, k) : 0;

    for (i = 0; rc == 0 && i < k; i++) {
        r = rj[i].rc;

        if (r == INVSYNC_ACT_RETRY || r == INVSYNC_ACT_POISON
            || r == INVSYNC_ACT_EXCEPTION)
        {
            jobs[of[i]].rc = r;
            snprintf(jobs[of[i]].err, sizeof(jobs[of[i]].err), "%s",
                     rj[i].err);
        }
    }

    free(rj);
    free(of);

    return rc;
}


/* a queue of refunds: their rows in invsync_refund_batch.c */
static int
invsync_batch_refunds(invsync_worker_t *w, invsync_job_t *jobs, size_t n)
{
    int                   rc;
    size_t                i;
    invsync_refund_in_t  *in;

    in = calloc(n, sizeof(invsync_refund_in_t));
    if (in == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        in[i].ev = jobs[i].ev;
        in[i].canon = jobs[i].canon;
    }

    rc = invsync_refund_batch(w, in, n);

    for (i = 0; rc == 0 && i < n; i++) {
        jobs[i].rc = in[i].rc;
        snprintf(jobs[i].err, sizeof(jobs[i].err), "%s", in[i].err);
    }

    free(in);

    return rc;
}


/* the queue's jobs from i on (the caller's type is opaque) */

invsync_job_t *
invsync_batch_at(invsync_job_t *jobs, size_t i)
{
    return &jobs[i];
}
