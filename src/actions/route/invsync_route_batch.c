
/*
 * The order.route row for the orders of one read, pipelined
 * (invsync_order_batch.c runs it after their reservations): every order's
 * first reads (its allocation, its lines' skuref: keys) in one round
 * trip, their SKUs' attributes and ledgers (plain HMGETs and HGETALLs)
 * in a second, bundles' components' ledgers in a third when there are
 * any, every decision, every route.lua in the next (each opening its
 * order's shipments in the same step: ship_open.lua is included in it),
 * then the shipments of the orders route.lua did not run for (no line
 * mapped).  One by one, each order paid its
 * own round trips, and a quarter of the CPU of both sides was socket work
 * (docs/performance.md, "Routing").  Each route.lua call stays one order's
 * atomic step, keyed by its cause, with its audit entry and trace; it
 * re-checks the stock the decision read, so two orders of a batch that
 * decided on the same units cannot both take them: the second is "stale"
 * and decided again alone (invsync_route_run()), after the batch, on what
 * the first left.  So is any order whose script answered an error (a
 * NOSCRIPT after a script flush: the one-by-one path loads it again), and
 * an unroutable one: its exception is a round trip of its own, which
 * cannot run while the batch's answers wait in the pipeline.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"
#include "fulfil/invsync_fulfil.h"


static int invsync_route_batch_read(invsync_worker_t *w,
    invsync_route_job_t *job);
static int invsync_route_batch_stock(invsync_worker_t *w,
    invsync_route_job_t *job);
static int invsync_route_batch_skus(invsync_worker_t *w,
    invsync_route_job_t *job);
static int invsync_route_batch_decide(invsync_worker_t *w,
    invsync_route_job_t *job);
static int invsync_route_batch_apply(invsync_worker_t *w,
    invsync_route_job_t *job);
static int invsync_route_batch_ship(invsync_worker_t *w,
    invsync_route_job_t *job);
static void invsync_route_batch_finish(invsync_worker_t *w,
    invsync_route_job_t *job);
static void invsync_route_batch_free(invsync_route_job_t *job);


/*
 * Runs the row for jobs[0..n-1] (ev and canon set by the caller): the
 * results in each job's rc and err.  -1 when the Redis session was lost:
 * nothing is certain, all are delivered again.
 */

int
invsync_route_batch(invsync_worker_t *w, invsync_route_job_t *jobs, size_t n)
{
    int     rc;
    size_t  i, alone;

    rc = 0;

    for (i = 0; rc == 0 && i < n; i++) {
        rc = invsync_route_batch_read(w, &jobs[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        rc = invsync_route_batch_stock(w, &jobs[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        rc = invsync_route_batch_skus(w, &jobs[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        rc = invsync_route_batch_decide(w, &jobs[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        rc = invsync_route_batch_apply(w, &jobs[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        if (jobs[i].step == INVSYNC_RJ_SHIP) {
            rc = invsync_ship_open_append(w, jobs[i].ev->channel,
                                          jobs[i].in->order_key);
        }
    }

    for (i = 0; rc == 0 && i < n; i++) {
        rc = invsync_route_batch_ship(w, &jobs[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        invsync_route_batch_finish(w, &jobs[i]);
        rc = w->redis == NULL ? -1 : 0;
    }

    for (i = 0, alone = 0; i < n; i++) {
        alone += jobs[i].step == INVSYNC_RJ_ALONE;
        invsync_route_batch_free(&jobs[i]);
    }

    /* what t/route_batch.t reads to know the batch took its orders */
    if (rc == 0 && invsync_log_enabled(INVSYNC_LOG_DEBUG)) {
        invsync_log(INVSYNC_LOG_DEBUG, "orders routed pipelined",
                    json_pack("{s:I, s:I}", "orders", (json_int_t) n,
                              "alone", (json_int_t) alone));
    }

    /* a phase that stopped (no memory to append, or the session lost) may
     * leave answers unread: the session goes, so that none is taken for
     * another command */
    if (rc != 0 && w->redis != NULL) {
        invsync_redis_close(w);
    }

    return rc;
}


/* phase 1: the order's input, its first reads appended */

static int
invsync_route_batch_read(invsync_worker_t *w, invsync_route_job_t *job)
{
    const char  *status;

    job->step = INVSYNC_RJ_DONE;
    job->err[0] = '\0';

    /* a cancellation or an operator's retry is rare: the row alone */
    status = invsync_action_str(job->canon, "status");

    if ((status != NULL && strcmp(status, "cancelled") == 0)
        || strncmp(job->ev->redelivery, "unroutable:", 11) == 0)
    {
        job->step = INVSYNC_RJ_ALONE;
        return 0;
    }

    job->in = calloc(1, sizeof(invsync_route_input_t));

    if (job->in == NULL) {
        snprintf(job->err, sizeof(job->err), "out of memory");
        job->rc = INVSYNC_ACT_RETRY;
        return 0;
    }

    job->rc = invsync_route_input(job->ev->channel, job->canon, job->in,
                                  job->err, sizeof(job->err));

    if (job->rc != INVSYNC_ACT_APPLIED || job->in->nraw == 0) {
        return 0;       /* nothing reserved, nothing to place */
    }

    if (invsync_route_read_append(w, job->in) != 0) {
        return -1;
    }

    job->step = INVSYNC_RJ_READ;

    return 0;
}


/* phase 2: the first reads' answers taken, the SKUs' reads appended */

static int
invsync_route_batch_stock(invsync_worker_t *w, invsync_route_job_t *job)
{
    if (job->step != INVSYNC_RJ_READ) {
        return 0;
    }

    if (invsync_route_read_take(w, job->in, job->err, sizeof(job->err))
        != INVSYNC_ACT_APPLIED)
    {
        job->step = INVSYNC_RJ_ALONE;   /* an error answered: again alone */
        return w->redis == NULL ? -1 : 0;
    }

    if (job->in->order.nlines == 0) {
        job->step = INVSYNC_RJ_SHIP;    /* no line mapped: nothing to place */
        return 0;
    }

    if (invsync_route_stock_append(w, job->in) != 0) {
        return -1;
    }

    job->step = INVSYNC_RJ_SKUS;

    return 0;
}


/* phase 3: the SKUs and their ledgers taken, a bundle's components'
 * ledgers appended (a round trip only when some order has a bundle) */

static int
invsync_route_batch_skus(invsync_worker_t *w, invsync_route_job_t *job)
{
    if (job->step != INVSYNC_RJ_SKUS) {
        return 0;
    }

    if (invsync_route_stock_take(w, job->in, job->err, sizeof(job->err))
        != INVSYNC_ACT_APPLIED)
    {
        job->step = INVSYNC_RJ_ALONE;   /* a read refused: again alone */
        return w->redis == NULL ? -1 : 0;
    }

    job->step = INVSYNC_RJ_STOCK;

    return 0;
}


/* phase 4: the components' ledgers, the decision, its route.lua appended */

static int
invsync_route_batch_decide(invsync_worker_t *w, invsync_route_job_t *job)
{
    if (job->step != INVSYNC_RJ_STOCK) {
        return 0;
    }

    if (invsync_route_stock_done(w, job->in, job->err, sizeof(job->err))
        != INVSYNC_ACT_APPLIED)
    {
        job->step = INVSYNC_RJ_ALONE;   /* a ledger refused: again alone */
        return w->redis == NULL ? -1 : 0;
    }

    job->step = INVSYNC_RJ_DONE;

    if (invsync_route_decide(w->conf->routing, &job->in->order,
                             invsync_route_free_at, job->in, &job->res,
                             job->err, sizeof(job->err))
        != 0)
    {
        job->rc = INVSYNC_ACT_RETRY;
        return 0;
    }

    /* its exception is a blocking round trip of its own: sent now, it
     * would take the answer of a command still in the pipeline (another
     * order's), so the order is decided again alone, after the batch */
    if (job->res.rc == INVSYNC_ROUTE_UNROUTABLE) {
        job->step = INVSYNC_RJ_ALONE;
        return 0;
    }

    job->rc = INVSYNC_ACT_APPLIED;

    if (invsync_route_ledger_append(w, job->ev, job->in, &job->res, 0) != 0)
    {
        return -1;
    }

    job->step = INVSYNC_RJ_LEDGER;

    return 0;
}


/* phase 5: route.lua's answer; stale, or an error: decided again alone */

static int
invsync_route_batch_apply(invsync_worker_t *w, invsync_route_job_t *job)
{
    redisReply        *r;
    invsync_act_rc_e   rc;

    if (job->step != INVSYNC_RJ_LEDGER) {
        return 0;
    }

    r = invsync_redis_reply(w);

    if (r == NULL) {
        return -1;
    }

    rc = invsync_route_ledger_take(r, job->in, job->err, sizeof(job->err));

    if (rc == INVSYNC_ACT_STALE || rc == INVSYNC_ACT_RETRY) {
        job->step = INVSYNC_RJ_ALONE;
        return 0;
    }

    job->rc = invsync_route_applied(&job->res, job->in, rc, job->err,
                                    sizeof(job->err));
    job->step = (job->rc == INVSYNC_ACT_APPLIED
                 || job->rc == INVSYNC_ACT_DUPLICATE) && !job->in->shipped
                ? INVSYNC_RJ_SHIP : INVSYNC_RJ_DONE;

    return 0;
}


/* phase 6: the shipments of what was routed (docs/fulfilment.md), once
 * per version; an error answered (NOSCRIPT): opened again alone */

static int
invsync_route_batch_ship(invsync_worker_t *w, invsync_route_job_t *job)
{
    redisReply  *r;

    if (job->step != INVSYNC_RJ_SHIP) {
        return 0;
    }

    r = invsync_redis_reply(w);

    if (r == NULL) {
        return -1;
    }

    job->step = INVSYNC_RJ_DONE;

    if (r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        job->step = INVSYNC_RJ_SHIP_ALONE;
        return 0;
    }

    if (invsync_ship_open_take(r, job->err, sizeof(job->err))
        != INVSYNC_SHIP_DONE)
    {
        job->rc = INVSYNC_ACT_POISON;   /* as invsync_shipment_open() */
    }

    return 0;
}


/* phase 7, in the orders' turn: what goes alone */

static void
invsync_route_batch_finish(invsync_worker_t *w, invsync_route_job_t *job)
{
    invsync_act_rc_e  r;

    if (job->step == INVSYNC_RJ_ALONE) {
        job->err[0] = '\0';
        job->rc = invsync_route_order(w, job->ev, job->canon, job->err,
                                      sizeof(job->err));
        return;
    }

    if (job->step == INVSYNC_RJ_SHIP_ALONE) {
        r = invsync_shipment_open(w, job->ev->channel, job->in->order_key,
                                  job->err, sizeof(job->err));
        job->rc = r == INVSYNC_ACT_APPLIED ? job->rc : r;
    }

    /* its shipments open: a counter sale's confirmed now */
    if (job->rc == INVSYNC_ACT_APPLIED || job->rc == INVSYNC_ACT_DUPLICATE) {
        r = invsync_route_handover(w, job->in, job->err, sizeof(job->err));
        job->rc = r == INVSYNC_ACT_APPLIED ? job->rc : r;
    }
}


static void
invsync_route_batch_free(invsync_route_job_t *job)
{
    invsync_route_result_free(&job->res);
    memset(&job->res, 0, sizeof(invsync_route_result_t));
    invsync_route_input_free(job->in);
    job->in = NULL;
}
