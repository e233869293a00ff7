
/*
 * The reads of a batch of refunds (invsync_refund_batch.c): what each
 * refund names, then two pipelines: its order, whether invsync made it,
 * its lines' mappings, the order's release and shipments or audit
 * entries; then each shipment or audit entry and the mapped SKUs' tags.
 * A refund the rows alone must handle is marked so.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_refund_out.h"
#include "invsync_refund_steps.h"
#include "refund/invsync_refund_batch.h"


static int invsync_rb_read_one(invsync_worker_t *w, invsync_rb_job_t *job);
static int invsync_rb_waited_append(invsync_worker_t *w,
    invsync_rb_job_t *job);


/* what the refund names: its order, its lines and their refs */

int
invsync_rb_prepare(invsync_worker_t *w, invsync_rb_job_t *job)
{
    char                cause[INVSYNC_REFUND_CAUSE_LEN + 1];
    size_t              i, n;
    json_t             *lines, *line;
    const char         *oid;
    invsync_rb_line_t  *jl;

    (void) w;

    oid = invsync_action_str(job->in->canon, "order_id");
    lines = json_object_get(job->in->canon, "lines");
    n = json_array_size(lines);

    /* a payment's refund, an amount's, one invsync made: alone */
    if (oid[0] == '\0' || n == 0 || n > INVSYNC_CHECK_LINES
        || invsync_refund_out_named(job->in->canon, cause))
    {
        job->alone = 1;
        return 0;
    }

    snprintf(job->o.channel, sizeof(job->o.channel), "%s",
             job->in->ev->channel);
    snprintf(job->o.id, sizeof(job->o.id), "%s", oid);
    snprintf(job->o.by, sizeof(job->o.by), "order_id");
    snprintf(job->order, sizeof(job->order), "%s:%s", job->o.channel,
             job->o.id);
    job->shipped.order = job->order;

    job->lines = calloc(n, sizeof(invsync_rb_line_t));
    job->costs = json_object();

    if (job->lines == NULL || job->costs == NULL) {
        return -1;
    }

    json_array_foreach(lines, i, line) {
        jl = &job->lines[job->nlines++];
        jl->line = line;
        jl->nrefs = invsync_stock_refs(line, jl->refs);
    }

    return 0;
}


/* pipeline 1: the order, refundref, the mappings, the release, shipped */

int
invsync_rb_reads(invsync_worker_t *w, invsync_rb_job_t *jobs, size_t n)
{
    char                key[INVSYNC_ACTION_KEY_LEN];
    size_t              i, k;
    const char         *argv[3];
    invsync_rb_job_t   *job;
    invsync_rb_line_t  *jl;

    for (i = 0; i < n; i++) {
        job = &jobs[i];

        if (job->alone) {
            continue;
        }

        invsync_key_refundref(key, sizeof(key), w->conf, job->o.channel,
                              invsync_action_str(job->in->canon,
                                                 "refund_id"));
        argv[0] = "GET";
        argv[1] = key;
        argv[2] = NULL;

        if (invsync_refund_order_append(w, &job->o) != 0
            || invsync_redis_appendv(w, argv) != 0
            || invsync_rb_waited_append(w, job) != 0)
        {
            return -1;
        }

        for (k = 0; k < job->nlines; k++) {
            jl = &job->lines[k];

            if (invsync_stock_refs_append(w, job->in->ev->channel, jl->refs,
                                          jl->nrefs)
                != 0)
            {
                return -1;
            }
        }

        if (invsync_refund_released_append(w, job->order) != 0
            || invsync_shipped_append(w, &job->shipped) != 0)
        {
            return -1;
        }
    }

    for (i = 0; i < n; i++) {
        if (!jobs[i].alone && invsync_rb_read_one(w, &jobs[i]) != 0) {
            return -1;
        }
    }

    return 0;
}


/* one refund's replies of pipeline 1; what the batch cannot take: alone */
static int
invsync_rb_read_one(invsync_worker_t *w, invsync_rb_job_t *job)
{
    int                      ours, waited;
    size_t                   k;
    redisReply              *r;
    invsync_rb_line_t       *jl;
    invsync_refund_match_e   rc;

    rc = invsync_refund_order_reply(invsync_redis_reply(w), &job->o,
                                    job->in->err, sizeof(job->in->err));
    if (w->redis == NULL) {
        return -1;
    }

    r = invsync_redis_reply(w);
    if (r == NULL) {
        return -1;
    }

    ours = r->type != REDIS_REPLY_NIL;
    freeReplyObject(r);

    /* it waited for its order once: invsync_refund_found() in the rows
     * resolves that (the batch would leave the exception open) */
    r = invsync_redis_reply(w);
    if (r == NULL) {
        return -1;
    }

    waited = r->type != REDIS_REPLY_INTEGER || r->integer != 0;
    freeReplyObject(r);

    for (k = 0; k < job->nlines; k++) {
        jl = &job->lines[k];

        jl->found = invsync_stock_refs_read(w, jl->nrefs, jl->sku,
                                            sizeof(jl->sku));
        if (jl->found < 0) {
            return -1;
        }

        /* a line to restock whose SKU is unmapped: its exception */
        if (!jl->found && json_is_true(json_object_get(jl->line, "restock"))) {
            job->alone = 1;
        }
    }

    job->released = invsync_refund_released_reply(invsync_redis_reply(w));

    if (job->released < 0 || invsync_shipped_read(w, &job->shipped) != 0) {
        return -1;
    }

    if (rc != INVSYNC_REFUND_MATCH_FOUND || ours || waited
        || !invsync_refund_currency_ok(job->in->canon, &job->o))
    {
        job->alone = 1;
    }

    return 0;
}


/* pipeline 2: each shipment or audit entry, and the mapped SKUs' tags */

int
invsync_rb_more(invsync_worker_t *w, invsync_rb_job_t *jobs, size_t n)
{
    size_t              i, k;
    invsync_rb_job_t   *job;

    for (i = 0; i < n; i++) {
        job = &jobs[i];

        if (job->alone) {
            continue;
        }

        if (invsync_shipped_append_more(w, &job->shipped) != 0) {
            return -1;
        }

        for (k = 0; k < job->nlines; k++) {
            if (job->lines[k].found
                && invsync_sku_tags_append(w, job->lines[k].sku) != 0)
            {
                return -1;
            }
        }
    }

    for (i = 0; i < n; i++) {
        job = &jobs[i];

        if (job->alone) {
            continue;
        }

        if (invsync_shipped_read_more(w, &job->shipped) != 0) {
            return -1;
        }

        for (k = 0; k < job->nlines; k++) {
            if (job->lines[k].found
                && invsync_sku_tags_reply(invsync_redis_reply(w),
                                          &job->lines[k].tags)
                   != 0)
            {
                return -1;
            }
        }
    }

    return 0;
}


/* EXISTS of the refund's refund_unknown_order exception, appended */
static int
invsync_rb_waited_append(invsync_worker_t *w, invsync_rb_job_t *job)
{
    char         xid[INVSYNC_ACTION_KEY_LEN], key[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[3];

    invsync_refund_wait_id(xid, sizeof(xid), job->in->ev);
    invsync_key_exception(key, sizeof(key), w->conf, xid);

    argv[0] = "EXISTS";
    argv[1] = key;
    argv[2] = NULL;

    return invsync_redis_appendv(w, argv);
}
