
/*
 * Refunds of one read, pipelined (the orders' way, invsync_order_batch.c).
 * Alone, a refund costs about twenty round trips (its order twice, each
 * line's mapping twice, what shipped, its tags and cost, apply.lua,
 * refundqty.lua, a ledger.lua per line, journal.lua).  Here the refunds
 * of a batch share them: every refund's reads in two pipelines (its
 * order, its lines' mappings, whether invsync made it, the order's release
 * and what shipped; then each shipment or audit entry and the SKUs'
 * tags), then each row's script for every refund in one pipeline per row
 * (refund.record, refund.check, stock.restock with the costs the journal
 * needs, journal.post), in the rows' order, so each refund's steps keep
 * theirs and the refunds of an order are counted in stream order.
 *
 * The reads change nothing, and nothing a refund writes is read by
 * another refund's reads (orders, shipments, mappings, tags are not
 * refunds' to write), so reading first is what the rows alone would read.
 * A refund the batch does not take (no order id, its order not recorded,
 * one invsync made, another currency, no lines, a line to restock whose
 * SKU is unmapped) runs alone through the rows in its turn: the batch is
 * cut before it.  A script answering NOSCRIPT (Redis restarted, SCRIPT
 * FLUSH) is loaded again and that call repeated: it did not run.  Any
 * other error sends that refund through the rows again after its part of
 * the batch: every effect is keyed by its cause, so what was applied is a
 * no-op the second time.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_refund_out.h"
#include "invsync_refund_steps.h"
#include "refund/invsync_journal_lines.h"
#include "refund/invsync_refund_batch.h"


static int invsync_rb_part(invsync_worker_t *w, invsync_rb_job_t *jobs,
    size_t n);
static int invsync_rb_calls(invsync_worker_t *w, invsync_rb_call_t *calls,
    size_t n);
static int invsync_rb_append(invsync_worker_t *w, invsync_rb_call_t *c);
static void invsync_rb_recorded(invsync_worker_t *w, invsync_rb_job_t *job,
    redisReply *r);
static size_t invsync_rb_restock(invsync_worker_t *w, invsync_rb_job_t *job,
    invsync_rb_call_t *calls, size_t k);
static void invsync_rb_alone(invsync_worker_t *w, invsync_rb_job_t *job);
static void invsync_rb_free(invsync_rb_job_t *job);


/*
 * The refund rows of n refunds (in[i].ev and .canon the caller's; each
 * one's result in in[i].rc and .err).  -1 when the Redis session was lost
 * (nothing acknowledged: all are delivered again).
 */

int
invsync_refund_batch(invsync_worker_t *w, invsync_refund_in_t *in, size_t n)
{
    int                rc;
    size_t             i, start;
    invsync_rb_job_t  *jobs;

    jobs = calloc(n ? n : 1, sizeof(invsync_rb_job_t));
    if (jobs == NULL) {
        return -1;
    }

    rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        jobs[i].in = &in[i];
        rc = invsync_rb_prepare(w, &jobs[i]);
    }

    if (rc == 0) {
        rc = invsync_rb_reads(w, jobs, n);
    }

    if (rc == 0) {
        rc = invsync_rb_more(w, jobs, n);
    }

    /* the parts between the refunds that go alone, each in its turn */
    for (i = 0, start = 0; rc == 0 && i <= n; i++) {
        if (i < n && !jobs[i].alone) {
            continue;
        }

        rc = invsync_rb_part(w, &jobs[start], i - start);

        if (rc == 0 && i < n) {
            invsync_rb_alone(w, &jobs[i]);
            rc = w->redis == NULL ? -1 : 0;
        }

        start = i + 1;
    }

    for (i = 0, start = 0; i < n; i++) {
        start += jobs[i].alone || jobs[i].redo;
        invsync_rb_free(&jobs[i]);
    }

    /* what t/refund_batch.t reads to know the batch took its refunds */
    if (rc == 0 && invsync_log_enabled(INVSYNC_LOG_DEBUG)) {
        invsync_log(INVSYNC_LOG_DEBUG, "refunds pipelined",
                    json_pack("{s:I, s:I}", "refunds", (json_int_t) n,
                              "alone", (json_int_t) start));
    }

    free(jobs);

    return rc;
}


/*
 * The rows for the refunds of one part, each row one pipeline: as
 * invsync_action_rows(), the first row's result is the refund's unless a
 * later one needs a person; a refund the first row did not record (stale)
 * stops there.
 */

static int
invsync_rb_part(invsync_worker_t *w, invsync_rb_job_t *jobs, size_t n)
{
    int                 rc;
    size_t              i, k, m;
    invsync_rb_job_t   *job;
    invsync_rb_call_t  *calls;

    if (n == 0) {
        return 0;
    }

    m = 0;
    for (i = 0; i < n; i++) {
        m += 2 + 2 * jobs[i].nlines;
    }

    calls = calloc(m, sizeof(invsync_rb_call_t));
    if (calls == NULL) {
        return -1;
    }

    rc = 0;

    /* refund.record and refund.check: refund_record.lua (apply.lua, then
     * refundqty.lua where a line names the order's, unless stale) */
    for (i = 0, k = 0; i < n; i++) {
        job = &jobs[i];
        invsync_refund_matched(job->in->canon, &job->o);
        json_object_set_new(job->in->canon, "lines_from",
                            json_string("refund"));

        job->count = malloc(sizeof(invsync_refund_count_t));
        if (job->count == NULL) {
            rc = -1;
            break;
        }

        invsync_refund_count_args(w, job->in->ev, job->in->canon,
                                  job->o.data, job->order, job->count);
        calls[k].job = job;
        calls[k++].what = INVSYNC_RB_RECORD;
    }

    if (rc == 0) {
        rc = invsync_rb_calls(w, calls, k);
    }

    /* every reply read before any exception is opened: those are sent
     * alone, and a reply still in the pipeline would answer them */
    for (i = 0; rc == 0 && i < k; i++) {
        invsync_rb_recorded(w, calls[i].job, calls[i].r);
        calls[i].r = NULL;
        rc = w->redis == NULL ? -1 : 0;
    }

    /* stock.restock: a ledger.lua per line, and the costs journal.post
     * reads of the lines it restocked */
    for (i = 0, k = 0; rc == 0 && i < n; i++) {
        if (jobs[i].live) {
            k = invsync_rb_restock(w, &jobs[i], calls, k);
        }
    }

    if (rc == 0) {
        rc = invsync_rb_calls(w, calls, k);
    }

    for (i = 0; rc == 0 && i < k; i++) {
        job = calls[i].job;

        if (calls[i].what == INVSYNC_RB_READ) {
            if (invsync_journal_cost_reply(calls[i].r, job->costs,
                                           calls[i].line->sku)
                != 0)
            {
                job->redo = 1;
                job->live = 0;
            }

        } else if (invsync_stock_move_reply(calls[i].r, NULL, job->in->err,
                                            sizeof(job->in->err))
                   == INVSYNC_ACT_RETRY)
        {
            job->redo = 1;
            job->live = 0;
        }

        calls[i].r = NULL;
    }

    /* journal.post: journal.lua with the refund's entries */
    for (i = 0, k = 0; rc == 0 && w->conf->journal_accounts != NULL
                       && i < n; i++)
    {
        job = &jobs[i];

        if (!job->live) {
            continue;
        }

        job->out = invsync_journal_out(job->in->ev, job->in->canon,
                                       job->costs,
                                       w->conf->journal_accounts,
                                       job->in->err, sizeof(job->in->err));
        if (job->out == NULL) {
            job->in->rc = INVSYNC_ACT_POISON;
            continue;
        }

        switch (invsync_journal_args(w, job->in->ev,
                                     json_object_get(job->out, "entries"),
                                     &job->j))
        {
        case -1:
            rc = -1;
            break;
        case 1:
            calls[k].job = job;
            calls[k++].what = INVSYNC_RB_JOURNAL;
            break;
        default:
            break;
        }
    }

    if (rc == 0) {
        rc = invsync_rb_calls(w, calls, k);
    }

    for (i = 0; rc == 0 && i < k; i++) {
        job = calls[i].job;

        if (invsync_journal_write_reply(calls[i].r, job->in->err,
                                        sizeof(job->in->err))
            == INVSYNC_ACT_RETRY)
        {
            job->redo = 1;
        }

        calls[i].r = NULL;
    }

    for (i = 0; i < m; i++) {
        if (calls[i].r != NULL) {
            freeReplyObject(calls[i].r);
        }
    }

    free(calls);

    for (i = 0; rc == 0 && i < n; i++) {
        if (jobs[i].redo) {
            invsync_rb_alone(w, &jobs[i]);
            rc = w->redis == NULL ? -1 : 0;
        }
    }

    return rc;
}


/*
 * refund_record.lua's answer r (taken): {apply.lua's, refundqty.lua's or
 * 0}, read as the two rows read theirs alone.
 */
static void
invsync_rb_recorded(invsync_worker_t *w, invsync_rb_job_t *job,
    redisReply *r)
{
    char              ref[INVSYNC_ACTION_KEY_LEN];
    redisReply       *applied, *counted;
    invsync_act_rc_e  rc;

    applied = r;
    counted = NULL;

    /* each part handed on alone: the functions take what they read */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        applied = r->element[0];
        counted = r->element[1];
        r->element[0] = NULL;
        r->element[1] = NULL;
        freeReplyObject(r);
    }

    job->in->rc = invsync_action_apply_reply(applied, job->in->err,
                                             sizeof(job->in->err));
    job->redo = job->in->rc == INVSYNC_ACT_RETRY;
    job->live = job->in->rc == INVSYNC_ACT_APPLIED
                || job->in->rc == INVSYNC_ACT_DUPLICATE;

    if (!job->live || job->count->n == 0) {
        if (counted != NULL) {
            freeReplyObject(counted);
        }
        return;
    }

    snprintf(ref, sizeof(ref), "%s", job->order);
    rc = invsync_refund_count_reply(w, job->in->ev, job->in->canon, ref,
                                    job->count, counted, job->in->err,
                                    sizeof(job->in->err));

    if (rc == INVSYNC_ACT_RETRY) {
        job->redo = 1;
        job->live = 0;

    } else if (rc == INVSYNC_ACT_EXCEPTION) {
        job->in->rc = rc;
    }
}


/* the restock's calls of one refund from calls[k]; the next free index */
static size_t
invsync_rb_restock(invsync_worker_t *w, invsync_rb_job_t *job,
    invsync_rb_call_t *calls, size_t k)
{
    char                     loc[128];
    size_t                   i, c;
    invsync_rb_line_t       *jl;
    invsync_restock_facts_t  f;

    for (i = 0; i < job->nlines; i++) {
        jl = &job->lines[i];

        /* one not restocked and unmapped moves nothing (the batch took
         * no unmapped one to restock) */
        if (!jl->found) {
            continue;
        }

        invsync_refund_facts_set(&f, job->released, &job->shipped, jl->sku,
                                 loc, sizeof(loc));
        f.tags = jl->tags;

        if (invsync_refund_restock_plan(w, job->in->ev, job->in->canon,
                                        jl->line, jl->sku, &f, &jl->move,
                                        &jl->why)
            != 0)
        {
            job->redo = 1;
            job->live = 0;
            return k;
        }

        invsync_refund_restock_cause(job->in->ev, job->in->canon, jl->line,
                                     jl->sku, jl->cause, sizeof(jl->cause));
        calls[k].job = job;
        calls[k].line = jl;
        calls[k++].what = INVSYNC_RB_LEDGER;

        /* as journal.post: the line's SKU as mapped, its cost once */
        if (w->conf->journal_accounts == NULL
            || !invsync_journal_restocked(jl->line))
        {
            continue;
        }

        json_object_set_new(jl->line, "sku", json_string(jl->sku));

        for (c = 0; c < i; c++) {
            if (job->lines[c].found
                && invsync_journal_restocked(job->lines[c].line)
                && strcmp(job->lines[c].sku, jl->sku) == 0)
            {
                break;
            }
        }

        if (c == i) {
            calls[k].job = job;
            calls[k].line = jl;
            calls[k++].what = INVSYNC_RB_READ;
        }
    }

    return k;
}


/*
 * The calls appended and their replies read into calls[i].r; those that
 * answered NOSCRIPT again after their script is loaded (they did not
 * run).  -1 when the session was lost or a script cannot be loaded.
 */

static int
invsync_rb_calls(invsync_worker_t *w, invsync_rb_call_t *calls, size_t n)
{
    int     again, loaded[INVSYNC_RB_JOURNAL + 1];
    size_t  i, tries;

    memset(loaded, 0, sizeof(loaded));

    for (tries = 0; tries < 3; tries++) {
        for (i = 0; i < n; i++) {
            if (calls[i].r == NULL && invsync_rb_append(w, &calls[i]) != 0) {
                return -1;
            }
        }

        for (i = 0; i < n; i++) {
            if (calls[i].r == NULL) {
                calls[i].r = invsync_redis_reply(w);

                if (calls[i].r == NULL) {
                    return -1;
                }
            }
        }

        again = 0;

        for (i = 0; i < n; i++) {
            if (!invsync_redis_noscript(calls[i].r)) {
                continue;
            }

            freeReplyObject(calls[i].r);
            calls[i].r = NULL;
            again = 1;

            if (loaded[calls[i].what]) {
                continue;
            }

            loaded[calls[i].what] = 1;

            switch (calls[i].what) {
            case INVSYNC_RB_RECORD:
                if (invsync_redis_reload(w, invsync_script_refund_record,
                                         invsync_script_refund_record_len,
                                         w->refund_record_sha) != 0)
                {
                    return -1;
                }
                break;
            case INVSYNC_RB_LEDGER:
                if (invsync_redis_reload(w, invsync_script_ledger,
                                         invsync_script_ledger_len,
                                         w->ledger_sha) != 0)
                {
                    return -1;
                }
                break;
            default:
                if (invsync_redis_reload(w, invsync_script_journal,
                                         invsync_script_journal_len,
                                         w->journal_sha) != 0)
                {
                    return -1;
                }
                break;
            }
        }

        if (!again) {
            return 0;
        }
    }

    return -1;
}


/* one call appended again from what the job keeps of it */
static int
invsync_rb_append(invsync_worker_t *w, invsync_rb_call_t *c)
{
    int                rc;
    char               state[INVSYNC_ACTION_KEY_LEN];
    json_t            *inputs;
    invsync_effect_t   fx;
    invsync_rb_job_t  *job;

    job = c->job;

    switch (c->what) {

    case INVSYNC_RB_RECORD:
        inputs = invsync_refund_effect(job->in->ev, job->in->canon, &job->o,
                                       &fx, state, sizeof(state));
        if (inputs == NULL) {
            return -1;
        }

        /* refundqty.lua's key and arguments after apply.lua's */
        rc = invsync_action_apply_append_with(w, job->in->ev,
                                              job->in->canon, &fx,
                                              w->refund_record_sha,
                                              job->count->argv,
                                              job->count->n ? 1 : 0,
                                              job->count->argv + 1,
                                              job->count->n
                                              ? job->count->argc - 1 : 0);
        json_decref(inputs);
        return rc;

    case INVSYNC_RB_LEDGER:
        return invsync_stock_move_why_append(w, job->in->ev, c->line->cause,
                                             "restock", "refund.restock",
                                             job->order, c->line->move,
                                             c->line->why);

    case INVSYNC_RB_JOURNAL:
        return invsync_redis_append_evalsha(w, w->journal_sha, 1,
                                            (int) job->j.argc, job->j.argv,
                                            job->j.lens);

    default:
        return invsync_journal_cost_append(w, c->line->sku);
    }
}


/* the refund through the rows, as if it had been read alone */
static void
invsync_rb_alone(invsync_worker_t *w, invsync_rb_job_t *job)
{
    job->in->err[0] = '\0';
    job->in->rc = invsync_action_run(w, job->in->ev, job->in->err,
                                     sizeof(job->in->err));
}


static void
invsync_rb_free(invsync_rb_job_t *job)
{
    size_t  i;

    for (i = 0; i < job->nlines; i++) {
        json_decref(job->lines[i].tags);
        json_decref(job->lines[i].move);
        free(job->lines[i].why);
    }

    free(job->lines);
    free(job->count);
    json_decref(job->costs);
    json_decref(job->out);
    json_decref(job->o.data);
    invsync_journal_args_free(&job->j);
    invsync_shipped_free(&job->shipped);
}
