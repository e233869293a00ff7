
/*
 * The consumer loop: read the streams through one consumer group, run the
 * actions, acknowledge only what is done.  The loop's other jobs each have
 * their file: retries and dead letters (invsync_worker_retry.c), claims
 * of what crashed workers left pending (_claim.c), trimming what every
 * group has processed (_trim.c), latency (_latency.c), lag (_lag.c), the
 * heartbeat (_heartbeat.c) and the batched acknowledgements (_acks.c);
 * the streams' keys and envelopes are in invsync_worker_stream.c.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"
#include "invsync_worker_acks.h"
#include "invsync_worker_fulfil.h"


#define INVSYNC_BATCH_MAX  64     /* orders or refunds in one pipelined run */


/* an entry between its read and its acknowledgement */
typedef struct {
    redisReply          *entry;
    const char          *id;
    invsync_envelope_t   ev;
    int64_t              start;
    invsync_act_rc_e     rc;
    char                 err[INVSYNC_ERR_LEN];
} invsync_pending_t;


static int invsync_consumer_flush_jobs(invsync_worker_t *w, size_t si,
    invsync_pending_t *pend, invsync_job_t *jobs, size_t q0, size_t nq,
    invsync_acks_t *acks);
static int invsync_consumer_begin(invsync_worker_t *w, size_t si,
    redisReply *entry, int retried, invsync_acks_t *acks,
    invsync_pending_t *p);
static int invsync_consumer_finish(invsync_worker_t *w, size_t si,
    invsync_pending_t *p, int retried, invsync_acks_t *acks);


static const char  *invsync_result_names[] = {
    "applied", "duplicate", "stale", "ignored", "exception", "retry",
    "poison"
};

int
invsync_consumer_setup(invsync_worker_t *w, char *err, size_t len)
{
    char         key[INVSYNC_KEY_LEN];
    size_t       si;
    redisReply  *r;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, key, sizeof(key));

        /* from the start of the stream: nothing written before is skipped */
        r = invsync_cmd(w, "XGROUP CREATE %s %s 0 MKSTREAM", key,
                        w->conf->group);

        if (r == NULL) {
            snprintf(err, len, "redis: connection lost");
            return -1;
        }

        if (r->type == REDIS_REPLY_ERROR
            && strncmp(r->str, "BUSYGROUP", 9) != 0)
        {
            snprintf(err, len, "redis: XGROUP CREATE %s: %s", key, r->str);
            freeReplyObject(r);
            return -1;
        }

        freeReplyObject(r);
    }

    if (invsync_redis_load_scripts(w, err, len) != 0) {
        return -1;
    }

    /* after a reconnection, what this consumer holds comes first */
    if (invsync_consumer_read(w, "0", -1) != 0) {
        snprintf(err, len, "redis: reading own pending entries failed");
        return -1;
    }

    return 0;
}


/* one turn of the loop; -1 when the Redis session was lost */

int
invsync_consumer_run_once(invsync_worker_t *w)
{
    int64_t   now;
    uint64_t  read;

    now = invsync_now_ms();

    if (now >= w->next_claim_ms) {
        w->next_claim_ms = now + w->conf->claim_idle_ms / 2;

        if (invsync_consumer_claim(w) != 0) {
            return -1;
        }
    }

    if (invsync_consumer_retries(w) != 0) {
        return -1;
    }

    /* while pushes are in flight the read waits little, so that curl's
     * transfers move on between reads */
    if (invsync_push_step(w) != 0 || invsync_track_step(w) != 0
        || invsync_refund_out_step(w) != 0 || invsync_refunds_step(w) != 0
        || invsync_dispose_step(w) != 0)
    {
        return -1;
    }

    read = w->counters.read;

    if (invsync_consumer_next(w) != 0) {
        return -1;
    }

    /* entries applied may have opened shipments (order.route): the due
     * set is looked at in this turn, not at its next interval */
    if (w->counters.read != read && w->fulfil != NULL) {
        w->fulfil->next_ms = 0;
    }

    if (invsync_push_step(w) != 0) {
        return -1;
    }

    /* orders whose webhooks were lost; returns at once when none is due */
    if (invsync_poll_step(w) != 0) {
        return -1;
    }

    /* orders waiting for stock, when some arrived; cheap when none did */
    if (invsync_route_waiting(w) != 0) {
        return -1;
    }

    /* shipments due: a label to buy, one to void (one request at a time) */
    if (invsync_fulfil_step(w) != 0) {
        return -1;
    }

    now = invsync_now_ms();

    if (now >= w->next_heartbeat_ms) {
        w->next_heartbeat_ms = now + w->conf->heartbeat_ms;

        /* FLUSHALL keeps the connection: the epoch is looked at each time;
         * halted, the main loop does nothing more */
        if (invsync_worker_epoch(w) != 0) {
            return w->redis ? 0 : -1;
        }

        invsync_consumer_heartbeat(w, 0);
    }

    if (now >= w->next_trim_ms) {
        w->next_trim_ms = now + w->conf->trim_interval_ms;

        if (invsync_consumer_trim(w) != 0) {
            return -1;
        }
    }

    return w->redis ? 0 : -1;
}


/*
 * XREADGROUP over every stream: ">" for new entries (blocking up to
 * block_ms), "0" for the entries this consumer already holds.
 */

int
invsync_consumer_read(invsync_worker_t *w, const char *from, int block_ms)
{
    int          argc, rc;
    char         keys[INVSYNC_MAX_STREAMS][INVSYNC_KEY_LEN];
    char         count[16], block[16];
    size_t       si, i, argvlen[8 + 2 * INVSYNC_MAX_STREAMS];
    const char  *argv[8 + 2 * INVSYNC_MAX_STREAMS];
    redisReply  *r, *s;

    snprintf(count, sizeof(count), "%d", w->conf->batch);
    snprintf(block, sizeof(block), "%d", block_ms);

    argc = 0;
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = w->conf->group;
    argv[argc++] = w->conf->consumer;
    argv[argc++] = "COUNT";
    argv[argc++] = count;

    if (block_ms >= 0) {
        argv[argc++] = "BLOCK";
        argv[argc++] = block;
    }

    argv[argc++] = "STREAMS";

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, keys[si], INVSYNC_KEY_LEN);
        argv[argc++] = keys[si];
    }

    for (si = 0; si < w->conf->nstreams; si++) {
        argv[argc++] = from;
    }

    for (i = 0; i < (size_t) argc; i++) {
        argvlen[i] = strlen(argv[i]);
    }

    r = invsync_redis_cmd(w, argc, argv, argvlen);
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_ERROR, "XREADGROUP failed",
                    json_pack("{s:s}", "err", r->str));

        /* no group: maybe Redis lost its data; the epoch is checked now */
        if (strncmp(r->str, "NOGROUP", 7) == 0) {
            w->next_heartbeat_ms = 0;
            freeReplyObject(r);
            return 0;
        }

        freeReplyObject(r);
        sleep(1);
        return 0;
    }

    rc = 0;

    if (r->type == REDIS_REPLY_ARRAY) {
        /* [[stream, [[id, [field, value...]]...]]...] */
        for (i = 0; i < r->elements && rc == 0; i++) {
            s = r->element[i];

            if (s->type != REDIS_REPLY_ARRAY || s->elements != 2
                || s->element[0]->type != REDIS_REPLY_STRING)
            {
                continue;
            }

            rc = invsync_stream_index(w, s->element[0]->str,
                                      s->element[0]->len);
            if (rc < 0) {
                rc = 0;
                continue;
            }

            rc = invsync_consumer_entries(w, (size_t) rc, s->element[1],
                                          from[0] == '0');
        }
    }

    freeReplyObject(r);

    return rc;
}


int
invsync_consumer_entries(invsync_worker_t *w, size_t si, redisReply *entries,
    int retried)
{
    int                 rc, k, kind;
    size_t              i, n, nq, q0;
    invsync_job_t      *jobs;
    invsync_acks_t      acks;
    invsync_pending_t  *pend, *p;

    if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) {
        return 0;
    }

    n = entries->elements;
    pend = calloc(n, sizeof(invsync_pending_t));
    jobs = invsync_batch_jobs(n);

    if (pend == NULL || jobs == NULL) {
        free(pend);
        free(jobs);
        invsync_log(INVSYNC_LOG_ERROR, "out of memory", NULL);
        return 0;       /* not acknowledged: read again later */
    }

    acks.n = 0;
    nq = 0;
    q0 = 0;
    kind = 0;
    rc = 0;

    /* orders, or refunds, queue up for one pipelined run (pend[q0..nq));
     * anything else, or the other kind, flushes the queue first and then
     * runs alone or starts the next queue, so that the order is kept */
    for (i = 0; i < n && rc == 0; i++) {
        p = &pend[nq];

        if (!invsync_consumer_begin(w, si, entries->element[i], retried,
                                    &acks, p))
        {
            continue;
        }

        k = retried ? 0 : invsync_batch_add(w, jobs, nq, &p->ev);

        if (k != 0 && k != kind && nq > q0) {
            rc = invsync_consumer_flush_jobs(w, si, pend, jobs, q0, nq,
                                             &acks);
            q0 = nq;
        }

        if (k != 0) {
            kind = k;
            nq++;

            if (nq - q0 < INVSYNC_BATCH_MAX && i + 1 < n) {
                continue;
            }

            p = NULL;
        }

        if (rc == 0) {
            rc = invsync_consumer_flush_jobs(w, si, pend, jobs, q0, nq,
                                             &acks);
        }

        q0 = nq;

        if (rc == 0 && p != NULL) {
            p->err[0] = '\0';
            p->rc = invsync_action_run(w, &p->ev, p->err, sizeof(p->err));

            rc = w->redis == NULL ? -1
                 : invsync_consumer_finish(w, si, p, retried, &acks);
        }

        /* a large read must not hold the channels' pushes back: stock
         * moved by its first entries goes out while the rest is handled */
        if (rc == 0 && invsync_now_ms() - w->push_ms >= INVSYNC_PUSH_EVERY_MS)
        {
            rc = invsync_push_step(w);
        }
    }

    if (rc == 0) {
        rc = invsync_consumer_flush_jobs(w, si, pend, jobs, q0, nq, &acks);
    }

    invsync_batch_clear(jobs, n);
    free(jobs);
    free(pend);

    if (rc != 0) {
        return -1;
    }

    return invsync_acks_flush(w, si, &acks);
}


/* the queued jobs [q0, nq), pipelined, then each finished in its turn */

static int
invsync_consumer_flush_jobs(invsync_worker_t *w, size_t si,
    invsync_pending_t *pend, invsync_job_t *jobs, size_t q0, size_t nq,
    invsync_acks_t *acks)
{
    size_t          i;
    const char     *err;
    invsync_job_t  *q;

    if (nq <= q0) {
        return 0;
    }

    q = invsync_batch_at(jobs, q0);

    if (invsync_batch_run(w, q, nq - q0) != 0) {
        return -1;
    }

    for (i = q0; i < nq; i++) {
        pend[i].rc = invsync_batch_result(q, i - q0, &err);
        snprintf(pend[i].err, sizeof(pend[i].err), "%s", err);

        if (invsync_consumer_finish(w, si, &pend[i], 0, acks) != 0) {
            return -1;
        }
    }

    invsync_batch_clear(q, nq - q0);

    return 0;
}


/*
 * An entry read: its envelope and the latency so far.  0 when there is
 * nothing to run (an entry trimmed or deleted while pending is acked).
 */

static int
invsync_consumer_begin(invsync_worker_t *w, size_t si, redisReply *entry,
    int retried, invsync_acks_t *acks, invsync_pending_t *p)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2
        || entry->element[0]->type != REDIS_REPLY_STRING)
    {
        return 0;
    }

    p->entry = entry;
    p->id = entry->element[0]->str;

    if (entry->element[1]->type != REDIS_REPLY_ARRAY) {
        invsync_acks_add(w, si, acks, p->id, p->entry->element[0]->len);
        return 0;
    }

    w->counters.read++;
    w->by_stream[si].read++;
    invsync_envelope_from(entry->element[1], si, w, p->id, &p->ev);

    p->start = invsync_now_ms();

    /* first deliveries only: a retry's wait is not the worker's latency */
    if (!retried) {
        invsync_latency_add(&w->latency, p->start - strtoll(p->id, NULL, 10));
    }

    return 1;
}


/*
 * An entry's actions ran (p->rc, p->err): it is acknowledged (batched),
 * retried later or dead-lettered.  Effects are durable in Redis before
 * the ack, and keyed by cause, so a crash between the two only repeats a
 * no-op.
 */

static int
invsync_consumer_finish(invsync_worker_t *w, size_t si, invsync_pending_t *p,
    int retried, invsync_acks_t *acks)
{
    int64_t              us;
    invsync_log_level_e  level;
    invsync_act_rc_e     rc;

    rc = p->rc;
    us = (invsync_now_ms() - p->start) * 1000;

    level = rc >= INVSYNC_ACT_RETRY ? INVSYNC_LOG_WARN : INVSYNC_LOG_INFO;

    if (invsync_log_enabled(level)) {
        invsync_log(level, "event",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}",
                          "stream", w->conf->streams[si], "entry", p->id,
                          "channel", p->ev.channel, "event", p->ev.event,
                          "topic", p->ev.topic,
                          "result", invsync_result_names[rc],
                          "duration_us", (json_int_t) us,
                          "err", p->err));
    }

    switch (rc) {

    case INVSYNC_ACT_RETRY:
        w->counters.retried++;
        w->by_stream[si].retried++;
        return invsync_consumer_fail(w, si, p->entry, &p->ev, p->err, 0);

    case INVSYNC_ACT_POISON:
        return invsync_consumer_fail(w, si, p->entry, &p->ev, p->err, 1);

    case INVSYNC_ACT_APPLIED:
        w->counters.applied++;
        w->by_stream[si].applied++;
        break;

    case INVSYNC_ACT_DUPLICATE:
        w->counters.duplicate++;
        w->by_stream[si].duplicate++;
        break;

    case INVSYNC_ACT_STALE:
        w->counters.stale++;
        w->by_stream[si].stale++;
        break;

    case INVSYNC_ACT_IGNORED:
        w->counters.ignored++;
        w->by_stream[si].ignored++;
        break;

    case INVSYNC_ACT_EXCEPTION:
        w->counters.exceptions++;
        w->by_stream[si].exceptions++;
        break;
    }

    if (retried && invsync_consumer_forget(w, si, p->id) != 0) {
        return -1;
    }

    if (rc != INVSYNC_ACT_EXCEPTION && invsync_action_resolve(w, &p->ev) != 0)
    {
        return -1;
    }

    return invsync_acks_add(w, si, acks, p->id, p->entry->element[0]->len);
}
