
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
#include "invsync_order_batch.h"


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
