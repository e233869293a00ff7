
/*
 * The phases of one order in a queue (invsync_order_batch.c runs them over
 * the queue, each phase for every order before the next): what is
 * appended to a pipeline, and its replies read in the same order.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_order_batch.h"


/* phase 1: apply.lua of the order, and where each line's SKU may be */

int
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

        if (invsync_stock_refs_append(w, job->ev->channel, jl->refs,
                                      jl->nrefs)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


int
invsync_batch_read_apply(invsync_worker_t *w, invsync_job_t *job)
{
    size_t               i;
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

        jl->found = invsync_stock_refs_read(w, jl->nrefs, jl->sku,
                                            sizeof(jl->sku));
        if (jl->found < 0) {
            return -1;
        }
    }

    return 0;
}


/* phase 2: the stock follows the recorded state, never a stale one */

int
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


int
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

void
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
