
/*
 * The consumer loop: read the streams through one consumer group, run the
 * actions, acknowledge only what is done, schedule retries with backoff
 * and jitter, move what cannot succeed to the dead letters, claim what
 * crashed workers left pending, trim what every group has processed, and
 * publish a heartbeat with the counters.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_runtime.h"


#define INVSYNC_KEY_LEN    512
#define INVSYNC_BATCH_MAX  64     /* orders in one pipelined run */


typedef struct {
    const char   *ids[1024];
    size_t        lens[1024];
    size_t        n;
} invsync_acks_t;


/* an entry between its read and its acknowledgement */
typedef struct {
    redisReply          *entry;
    const char          *id;
    invsync_envelope_t   ev;
    int64_t              start;
    invsync_act_rc_e     rc;
    char                 err[INVSYNC_ERR_LEN];
} invsync_pending_t;


static int invsync_consumer_read(invsync_worker_t *w, const char *from,
    int block_ms);
static int invsync_consumer_entries(invsync_worker_t *w, size_t si,
    redisReply *entries, int retried);
static int invsync_consumer_flush_jobs(invsync_worker_t *w, size_t si,
    invsync_pending_t *pend, invsync_job_t *jobs, size_t n,
    invsync_acks_t *acks);
static int invsync_consumer_begin(invsync_worker_t *w, size_t si,
    redisReply *entry, int retried, invsync_acks_t *acks,
    invsync_pending_t *p);
static int invsync_consumer_finish(invsync_worker_t *w, size_t si,
    invsync_pending_t *p, int retried, invsync_acks_t *acks);
static int invsync_consumer_ack(invsync_worker_t *w, size_t si,
    invsync_acks_t *acks, invsync_pending_t *p);
static int invsync_consumer_flush_acks(invsync_worker_t *w, size_t si,
    invsync_acks_t *acks);
static int invsync_consumer_fail(invsync_worker_t *w, size_t si,
    redisReply *entry, const invsync_envelope_t *ev, const char *why,
    int poison);
static int invsync_consumer_dead(invsync_worker_t *w, size_t si,
    redisReply *entry, const invsync_envelope_t *ev, const char *why,
    long attempts);
static int invsync_consumer_retries(invsync_worker_t *w);
static int invsync_consumer_claim(invsync_worker_t *w);
static int invsync_consumer_trim(invsync_worker_t *w);
static int invsync_consumer_forget(invsync_worker_t *w, size_t si,
    const char *id);
static void invsync_envelope_from(redisReply *fields, size_t si,
    invsync_worker_t *w, const char *id, invsync_envelope_t *ev);
static size_t invsync_stream_key(invsync_worker_t *w, size_t si, char *dst,
    size_t cap);
static int invsync_stream_index(invsync_worker_t *w, const char *name,
    size_t len);
static int invsync_id_less(const char *a, const char *b);
static redisReply *invsync_cmd(invsync_worker_t *w, const char *fmt, ...);
static void invsync_latency_add(invsync_latency_t *l, int64_t ms);
static void invsync_consumer_lag(invsync_worker_t *w);


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
    int64_t  now;

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
    if (invsync_push_step(w) != 0) {
        return -1;
    }

    if (invsync_consumer_read(w, ">", w->busy_ms ? w->busy_ms
                                                 : w->conf->block_ms)
        != 0)
    {
        return -1;
    }

    if (invsync_push_step(w) != 0) {
        return -1;
    }

    /* orders whose webhooks were lost; returns at once when none is due */
    if (invsync_poll_step(w) != 0) {
        return -1;
    }

    now = invsync_now_ms();

    if (now >= w->next_heartbeat_ms) {
        w->next_heartbeat_ms = now + w->conf->heartbeat_ms;
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

static int
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


static int
invsync_consumer_entries(invsync_worker_t *w, size_t si, redisReply *entries,
    int retried)
{
    int                 rc;
    size_t              i, n, nq;
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
    rc = 0;

    /* orders queue up for one pipelined run; anything else flushes the
     * queue first and then runs alone, so that the order is kept */
    for (i = 0; i < n && rc == 0; i++) {
        p = &pend[nq];

        if (!invsync_consumer_begin(w, si, entries->element[i], retried,
                                    &acks, p))
        {
            continue;
        }

        if (!retried && invsync_batch_add(w, jobs, nq, &p->ev)) {
            nq++;

            if (nq < INVSYNC_BATCH_MAX && i + 1 < n) {
                continue;
            }

            p = NULL;
        }

        rc = invsync_consumer_flush_jobs(w, si, pend, jobs, nq, &acks);
        nq = 0;

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
        rc = invsync_consumer_flush_jobs(w, si, pend, jobs, nq, &acks);
    }

    invsync_batch_clear(jobs, n);
    free(jobs);
    free(pend);

    if (rc != 0) {
        return -1;
    }

    return invsync_consumer_flush_acks(w, si, &acks);
}


/* the queued orders, pipelined, then each finished in its turn */

static int
invsync_consumer_flush_jobs(invsync_worker_t *w, size_t si,
    invsync_pending_t *pend, invsync_job_t *jobs, size_t n,
    invsync_acks_t *acks)
{
    size_t       i;
    const char  *err;

    if (n == 0) {
        return 0;
    }

    if (invsync_batch_run(w, jobs, n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        pend[i].rc = invsync_batch_result(jobs, i, &err);
        snprintf(pend[i].err, sizeof(pend[i].err), "%s", err);

        if (invsync_consumer_finish(w, si, &pend[i], 0, acks) != 0) {
            return -1;
        }
    }

    invsync_batch_clear(jobs, n);

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
        invsync_consumer_ack(w, si, acks, p);
        return 0;
    }

    w->counters.read++;
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
        return invsync_consumer_fail(w, si, p->entry, &p->ev, p->err, 0);

    case INVSYNC_ACT_POISON:
        return invsync_consumer_fail(w, si, p->entry, &p->ev, p->err, 1);

    case INVSYNC_ACT_APPLIED:
        w->counters.applied++;
        break;

    case INVSYNC_ACT_DUPLICATE:
        w->counters.duplicate++;
        break;

    case INVSYNC_ACT_STALE:
        w->counters.stale++;
        break;

    case INVSYNC_ACT_IGNORED:
        w->counters.ignored++;
        break;

    case INVSYNC_ACT_EXCEPTION:
        w->counters.exceptions++;
        break;
    }

    if (retried && invsync_consumer_forget(w, si, p->id) != 0) {
        return -1;
    }

    if (rc != INVSYNC_ACT_EXCEPTION && invsync_action_resolve(w, &p->ev) != 0)
    {
        return -1;
    }

    return invsync_consumer_ack(w, si, acks, p);
}


/* acknowledged with the next XACK of the batch; sent when the list fills */

static int
invsync_consumer_ack(invsync_worker_t *w, size_t si, invsync_acks_t *acks,
    invsync_pending_t *p)
{
    acks->ids[acks->n] = p->id;
    acks->lens[acks->n++] = p->entry->element[0]->len;

    if (acks->n == sizeof(acks->ids) / sizeof(char *)) {
        return invsync_consumer_flush_acks(w, si, acks);
    }

    return 0;
}


static int
invsync_consumer_flush_acks(invsync_worker_t *w, size_t si,
    invsync_acks_t *acks)
{
    char          key[INVSYNC_KEY_LEN];
    size_t        i, *lens;
    const char  **argv;
    redisReply   *r;

    if (acks->n == 0) {
        return 0;
    }

    argv = malloc((acks->n + 3) * sizeof(char *));
    lens = malloc((acks->n + 3) * sizeof(size_t));

    if (argv == NULL || lens == NULL) {
        free(argv);
        free(lens);
        return -1;
    }

    argv[0] = "XACK";
    argv[1] = key;
    argv[2] = w->conf->group;
    lens[0] = 4;
    lens[1] = invsync_stream_key(w, si, key, sizeof(key));
    lens[2] = strlen(w->conf->group);

    for (i = 0; i < acks->n; i++) {
        argv[i + 3] = acks->ids[i];
        lens[i + 3] = acks->lens[i];
    }

    r = invsync_redis_cmd(w, (int) acks->n + 3, argv, lens);

    free(argv);
    free(lens);

    acks->n = 0;

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/*
 * A failed entry stays pending (owned by this consumer) and is scheduled
 * again with exponential backoff and full jitter; past the configured
 * attempts, or when it can never succeed, it becomes a dead letter.
 */

static int
invsync_consumer_fail(invsync_worker_t *w, size_t si, redisReply *entry,
    const invsync_envelope_t *ev, const char *why, int poison)
{
    long         n, delay;
    char        *line;
    char         key[INVSYNC_KEY_LEN], member[INVSYNC_KEY_LEN];
    json_t      *h;
    const char  *id;
    redisReply  *r;

    id = entry->element[0]->str;

    h = json_pack("{s:I, s:s, s:s}", "ts", (json_int_t) invsync_now_ms(),
                  "consumer", w->conf->consumer, "err", why);
    line = h ? json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);

    if (line == NULL) {
        return -1;
    }

    invsync_key(key, sizeof(key), w->conf, "attempts:%s:%s",
                w->conf->streams[si], id);

    r = invsync_cmd(w, "RPUSH %s %s", key, line);
    free(line);

    if (r == NULL) {
        return -1;
    }

    n = r->type == REDIS_REPLY_INTEGER ? (long) r->integer : 1;
    freeReplyObject(r);

    if (poison || n >= w->conf->retry_attempts) {
        return invsync_consumer_dead(w, si, entry, ev, why, n);
    }

    /* full jitter over an exponential ceiling */
    delay = (long) w->conf->retry_base_ms << (n - 1 < 20 ? n - 1 : 20);

    if (delay > w->conf->retry_max_ms) {
        delay = w->conf->retry_max_ms;
    }

    delay = delay / 2 + random() % (delay / 2 + 1);

    invsync_key(key, sizeof(key), w->conf, "retry");
    snprintf(member, sizeof(member), "%s|%s", w->conf->streams[si], id);

    r = invsync_cmd(w, "ZADD %s %lld %s", key,
                    (long long) (invsync_now_ms() + delay), member);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


static int
invsync_consumer_dead(invsync_worker_t *w, size_t si, redisReply *entry,
    const invsync_envelope_t *ev, const char *why, long attempts)
{
    int           argc;
    char         *history;
    char          stream[INVSYNC_KEY_LEN], dlq[INVSYNC_KEY_LEN];
    char          akey[INVSYNC_KEY_LEN], rkey[INVSYNC_KEY_LEN];
    char          member[INVSYNC_KEY_LEN], n[32], now[32], received[32];
    size_t        i, lens[40];
    json_t       *arr;
    const char   *argv[40];
    redisReply   *r;

    invsync_stream_key(w, si, stream, sizeof(stream));
    invsync_key(dlq, sizeof(dlq), w->conf, "dlq");
    invsync_key(akey, sizeof(akey), w->conf, "attempts:%s:%s",
                w->conf->streams[si], entry->element[0]->str);
    invsync_key(rkey, sizeof(rkey), w->conf, "retry");
    snprintf(member, sizeof(member), "%s|%s", w->conf->streams[si],
             entry->element[0]->str);

    r = invsync_cmd(w, "LRANGE %s 0 -1", akey);
    if (r == NULL) {
        return -1;
    }

    arr = json_array();

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        json_array_append_new(arr, json_loads(r->element[i]->str, 0, NULL));
    }

    freeReplyObject(r);

    history = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);

    if (history == NULL) {
        return -1;
    }

    snprintf(n, sizeof(n), "%ld", attempts);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(received, sizeof(received), "%lld", (long long) ev->received);

    argc = 0;
    argv[argc++] = stream;
    argv[argc++] = dlq;
    argv[argc++] = akey;
    argv[argc++] = rkey;
    argv[argc++] = w->conf->group;
    argv[argc++] = entry->element[0]->str;
    argv[argc++] = member;

#define invsync_field(k, v)  argv[argc++] = (k); argv[argc++] = (v)

    invsync_field("stream", w->conf->streams[si]);
    invsync_field("entry", entry->element[0]->str);
    invsync_field("channel", ev->channel);
    invsync_field("scheme", ev->scheme);
    invsync_field("account", ev->account);
    invsync_field("topic", ev->topic);
    invsync_field("event", ev->event);
    invsync_field("received", received);
    invsync_field("reason", why);
    invsync_field("attempts", n);
    invsync_field("history", history);
    invsync_field("failed", now);
    invsync_field("consumer", w->conf->consumer);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    argv[argc] = "body";
    lens[argc++] = 4;
    argv[argc] = ev->body;
    lens[argc++] = ev->body_len;

    r = invsync_redis_eval(w, w->dead_sha, invsync_script_dead,
                           invsync_script_dead_len, 4, argc, argv, lens);
    free(history);

    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_ERROR, "dead letter failed",
                    json_pack("{s:s, s:s}", "entry", entry->element[0]->str,
                              "err", r->str));
        freeReplyObject(r);
        return 0;
    }

    w->counters.dead++;

    invsync_log(INVSYNC_LOG_WARN, "dead letter",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}",
                          "stream", w->conf->streams[si],
                          "entry", entry->element[0]->str,
                          "channel", ev->channel, "event", ev->event,
                          "reason", why, "attempts", (int) attempts));

    freeReplyObject(r);

    return 0;
}


/* a retried or claimed entry is done: drop its history and schedule */

static int
invsync_consumer_forget(invsync_worker_t *w, size_t si, const char *id)
{
    char         akey[INVSYNC_KEY_LEN], rkey[INVSYNC_KEY_LEN];
    char         member[INVSYNC_KEY_LEN];
    redisReply  *r;

    invsync_key(akey, sizeof(akey), w->conf, "attempts:%s:%s",
                w->conf->streams[si], id);
    invsync_key(rkey, sizeof(rkey), w->conf, "retry");
    snprintf(member, sizeof(member), "%s|%s", w->conf->streams[si], id);

    r = invsync_cmd(w, "DEL %s", akey);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    r = invsync_cmd(w, "ZREM %s %s", rkey, member);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/*
 * Due retries: whoever removes the member from the schedule owns the
 * retry; it claims the entry (still pending) and runs it again.
 */

static int
invsync_consumer_retries(invsync_worker_t *w)
{
    int          si;
    char         key[INVSYNC_KEY_LEN], stream[INVSYNC_KEY_LEN];
    char        *bar;
    size_t       i;
    redisReply  *due, *r, *c;

    invsync_key(key, sizeof(key), w->conf, "retry");

    due = invsync_cmd(w, "ZRANGEBYSCORE %s -inf %lld LIMIT 0 %d", key,
                      (long long) invsync_now_ms(), w->conf->batch);
    if (due == NULL) {
        return -1;
    }

    for (i = 0; due->type == REDIS_REPLY_ARRAY && i < due->elements; i++) {
        r = invsync_cmd(w, "ZREM %s %b", key, due->element[i]->str,
                        due->element[i]->len);
        if (r == NULL) {
            freeReplyObject(due);
            return -1;
        }

        if (r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
            freeReplyObject(r);
            continue;
        }

        freeReplyObject(r);

        bar = strchr(due->element[i]->str, '|');
        if (bar == NULL) {
            continue;
        }

        si = invsync_stream_index(w, due->element[i]->str,
                                  bar - due->element[i]->str);
        if (si < 0) {
            continue;
        }

        invsync_stream_key(w, si, stream, sizeof(stream));

        c = invsync_cmd(w, "XCLAIM %s %s %s 0 %s", stream, w->conf->group,
                        w->conf->consumer, bar + 1);
        if (c == NULL) {
            freeReplyObject(due);
            return -1;
        }

        if (invsync_consumer_entries(w, si, c, 1) != 0) {
            freeReplyObject(c);
            freeReplyObject(due);
            return -1;
        }

        freeReplyObject(c);
    }

    freeReplyObject(due);

    return 0;
}


/*
 * Entries another consumer has held for claim_idle_ms: it crashed or hangs.
 * XCLAIM with the same idle bound lets only one live worker take each.  An
 * entry delivered far more often than the retries allow keeps killing its
 * consumers: it goes to the dead letters instead of round again.
 */

static int
invsync_consumer_claim(invsync_worker_t *w)
{
    char         stream[INVSYNC_KEY_LEN];
    size_t       si, i;
    redisReply  *p, *c, *e;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        p = invsync_cmd(w, "XPENDING %s %s IDLE %d - + %d", stream,
                        w->conf->group, w->conf->claim_idle_ms,
                        w->conf->batch);
        if (p == NULL) {
            return -1;
        }

        for (i = 0; p->type == REDIS_REPLY_ARRAY && i < p->elements; i++) {
            e = p->element[i];

            if (e->type != REDIS_REPLY_ARRAY || e->elements != 4) {
                continue;
            }

            c = invsync_cmd(w, "XCLAIM %s %s %s %d %s", stream,
                            w->conf->group, w->conf->consumer,
                            w->conf->claim_idle_ms, e->element[0]->str);
            if (c == NULL) {
                freeReplyObject(p);
                return -1;
            }

            if (c->type == REDIS_REPLY_ARRAY && c->elements > 0) {
                w->counters.claimed++;

                invsync_log(INVSYNC_LOG_WARN, "claimed a stalled entry",
                            json_pack("{s:s, s:s, s:s, s:I}",
                                      "stream", w->conf->streams[si],
                                      "entry", e->element[0]->str,
                                      "from", e->element[1]->str,
                                      "deliveries",
                                      (json_int_t) e->element[3]->integer));

                if (e->element[3]->integer > w->conf->retry_attempts + 2
                    && c->element[0]->type == REDIS_REPLY_ARRAY
                    && c->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
                {
                    invsync_envelope_t  ev;
                    char                why[128];

                    invsync_envelope_from(c->element[0]->element[1], si, w,
                                          e->element[0]->str, &ev);
                    snprintf(why, sizeof(why), "delivered %lld times without "
                             "completing: a consumer crashes on it",
                             (long long) e->element[3]->integer);

                    if (invsync_consumer_dead(w, si, c->element[0], &ev, why,
                                              (long) e->element[3]->integer)
                        != 0)
                    {
                        freeReplyObject(c);
                        freeReplyObject(p);
                        return -1;
                    }

                } else if (invsync_consumer_entries(w, si, c, 1) != 0) {
                    freeReplyObject(c);
                    freeReplyObject(p);
                    return -1;
                }
            }

            freeReplyObject(c);
        }

        freeReplyObject(p);
    }

    return 0;
}


/*
 * Bounded streams: trim below the oldest entry any group still needs
 * (its oldest pending entry, or what it has not been delivered yet), and
 * keep the entries of the last stream_retain_s seconds for replays.
 */

static int
invsync_consumer_trim(invsync_worker_t *w)
{
    char         stream[INVSYNC_KEY_LEN], safe[64], keep[64];
    size_t       si, g, k;
    redisReply  *groups, *grp, *pend, *old;
    const char  *name, *last;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        groups = invsync_cmd(w, "XINFO GROUPS %s", stream);
        if (groups == NULL) {
            return -1;
        }

        safe[0] = '\0';

        for (g = 0; groups->type == REDIS_REPLY_ARRAY
                    && g < groups->elements; g++)
        {
            grp = groups->element[g];
            name = NULL;
            last = NULL;

            for (k = 0; k + 1 < grp->elements; k += 2) {
                if (strcmp(grp->element[k]->str, "name") == 0) {
                    name = grp->element[k + 1]->str;

                } else if (strcmp(grp->element[k]->str, "last-delivered-id")
                           == 0)
                {
                    last = grp->element[k + 1]->str;
                }
            }

            if (name == NULL || last == NULL) {
                continue;
            }

            if (safe[0] == '\0' || invsync_id_less(last, safe)) {
                snprintf(safe, sizeof(safe), "%s", last);
            }

            pend = invsync_cmd(w, "XPENDING %s %s", stream, name);
            if (pend == NULL) {
                freeReplyObject(groups);
                return -1;
            }

            if (pend->type == REDIS_REPLY_ARRAY && pend->elements >= 2
                && pend->element[1]->type == REDIS_REPLY_STRING
                && invsync_id_less(pend->element[1]->str, safe))
            {
                snprintf(safe, sizeof(safe), "%s", pend->element[1]->str);
            }

            freeReplyObject(pend);
        }

        freeReplyObject(groups);

        if (safe[0] == '\0' || strcmp(safe, "0-0") == 0) {
            continue;
        }

        /* entries younger than the retention window stay for replays */
        if (w->conf->stream_retain_s > 0) {
            snprintf(keep, sizeof(keep), "%lld-0",
                     (long long) (invsync_now_ms()
                                  - w->conf->stream_retain_s * 1000));

            if (invsync_id_less(keep, safe)) {
                snprintf(safe, sizeof(safe), "%s", keep);
            }
        }

        old = invsync_cmd(w, "XTRIM %s MINID %s", stream, safe);
        if (old == NULL) {
            return -1;
        }

        if (old->type == REDIS_REPLY_INTEGER && old->integer > 0) {
            w->counters.trimmed += (uint64_t) old->integer;
        }

        freeReplyObject(old);
    }

    return 0;
}


static void
invsync_latency_add(invsync_latency_t *l, int64_t ms)
{
    if (ms < 0) {
        ms = 0;     /* clocks of Redis and this host differ a little */
    }

    if (ms >= INVSYNC_LATENCY_BUCKETS - 1) {
        ms = INVSYNC_LATENCY_BUCKETS - 1;
    }

    l->buckets[ms]++;
    l->count++;
}


/* the p-th percentile (0 < p <= 1) in ms, -1 when nothing was measured */

long
invsync_latency_percentile(const invsync_latency_t *l, double p)
{
    long      i;
    uint64_t  seen, want;

    if (l->count == 0) {
        return -1;
    }

    want = (uint64_t) (p * (double) l->count);
    if (want == 0) {
        want = 1;
    }

    seen = 0;

    for (i = 0; i < INVSYNC_LATENCY_BUCKETS; i++) {
        seen += l->buckets[i];

        if (seen >= want) {
            return i;
        }
    }

    return INVSYNC_LATENCY_BUCKETS - 1;
}


/* entries of each stream the group has not been delivered yet (Redis 7) */

static void
invsync_consumer_lag(invsync_worker_t *w)
{
    char         stream[INVSYNC_KEY_LEN];
    size_t       si, g, k;
    redisReply  *r, *grp;
    const char  *name;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        r = invsync_cmd(w, "XINFO GROUPS %s", stream);
        if (r == NULL) {
            return;
        }

        for (g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
            grp = r->element[g];
            name = NULL;

            for (k = 0; k + 1 < grp->elements; k += 2) {
                if (strcmp(grp->element[k]->str, "name") == 0) {
                    name = grp->element[k + 1]->str;

                } else if (strcmp(grp->element[k]->str, "lag") == 0
                           && name != NULL
                           && strcmp(name, w->conf->group) == 0
                           && grp->element[k + 1]->type
                              == REDIS_REPLY_INTEGER)
                {
                    w->lag[si] = (uint64_t) grp->element[k + 1]->integer;
                }
            }
        }

        freeReplyObject(r);
    }
}


/* the heartbeat: who this worker is, that it lives, and its counters */

void
invsync_consumer_heartbeat(invsync_worker_t *w, int leaving)
{
    char         key[INVSYNC_KEY_LEN], host[64], *s;
    size_t       si;
    json_t      *hb, *lag;
    redisReply  *r;

    if (w->redis == NULL) {
        return;
    }

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "?");
    }

    host[sizeof(host) - 1] = '\0';

    invsync_consumer_lag(w);
    lag = json_object();

    for (si = 0; si < w->conf->nstreams; si++) {
        json_object_set_new(lag, w->conf->streams[si],
                            json_integer((json_int_t) w->lag[si]));
    }

    hb = json_pack("{s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I, "
                   "s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
                   "name", w->conf->consumer, "host", host,
                   "pid", (int) getpid(),
                   "state", leaving ? "stopped" : "running",
                   "started", (json_int_t) w->started_ms,
                   "heartbeat", (json_int_t) invsync_now_ms(),
                   "interval", (json_int_t) w->conf->heartbeat_ms,
                   "counters",
                   "read", (json_int_t) w->counters.read,
                   "applied", (json_int_t) w->counters.applied,
                   "duplicate", (json_int_t) w->counters.duplicate,
                   "stale", (json_int_t) w->counters.stale,
                   "ignored", (json_int_t) w->counters.ignored,
                   "exceptions", (json_int_t) w->counters.exceptions,
                   "retried", (json_int_t) w->counters.retried,
                   "dead", (json_int_t) w->counters.dead,
                   "claimed", (json_int_t) w->counters.claimed,
                   "trimmed", (json_int_t) w->counters.trimmed,
                   "lag", lag);

    if (hb != NULL) {
        json_object_set_new(hb, "latency_ms",
            json_pack("{s:I, s:i, s:i, s:i}",
                      "count", (json_int_t) w->latency.count,
                      "p50", (int) invsync_latency_percentile(&w->latency,
                                                              0.50),
                      "p99", (int) invsync_latency_percentile(&w->latency,
                                                              0.99),
                      "max", (int) invsync_latency_percentile(&w->latency,
                                                              1.0)));
    }

    s = hb ? json_dumps(hb, JSON_COMPACT) : NULL;
    json_decref(hb);

    if (s == NULL) {
        return;
    }

    invsync_key(key, sizeof(key), w->conf, "workers");

    r = invsync_cmd(w, "HSET %s %s %s", key, w->conf->consumer, s);
    free(s);
    freeReplyObject(r);
}


static void
invsync_envelope_from(redisReply *fields, size_t si, invsync_worker_t *w,
    const char *id, invsync_envelope_t *ev)
{
    size_t       i;
    const char  *k;
    redisReply  *v;

    memset(ev, 0, sizeof(invsync_envelope_t));

    ev->stream = w->conf->streams[si];
    ev->entry = id;
    ev->channel = "";
    ev->scheme = "";
    ev->account = "";
    ev->topic = "";
    ev->event = "";
    ev->redelivery = "";
    ev->received = -1;

    for (i = 0; i + 1 < fields->elements; i += 2) {
        k = fields->element[i]->str;
        v = fields->element[i + 1];

        if (v->type != REDIS_REPLY_STRING) {
            continue;
        }

        if (strcmp(k, "channel") == 0) {
            ev->channel = v->str;

        } else if (strcmp(k, "scheme") == 0) {
            ev->scheme = v->str;

        } else if (strcmp(k, "account") == 0) {
            ev->account = v->str;

        } else if (strcmp(k, "topic") == 0) {
            ev->topic = v->str;

        } else if (strcmp(k, "event") == 0) {
            ev->event = v->str;

        } else if (strcmp(k, "received") == 0) {
            ev->received = strtoll(v->str, NULL, 10);

        } else if (strcmp(k, "body") == 0) {
            ev->body = v->str;
            ev->body_len = v->len;

        } else if (strcmp(k, "v") == 0) {
            ev->version = (int) strtol(v->str, NULL, 10);

        } else if (strcmp(k, "replay_of") == 0 || strcmp(k, "retry_of") == 0)
        {
            ev->redelivery = v->str;
        }
    }
}


static size_t
invsync_stream_key(invsync_worker_t *w, size_t si, char *dst, size_t cap)
{
    int  n;

    n = snprintf(dst, cap, "%s:%s", w->conf->prefix, w->conf->streams[si]);

    return n < 0 || (size_t) n >= cap ? 0 : (size_t) n;
}


/* the index of a stream by its full key or by its short name */

static int
invsync_stream_index(invsync_worker_t *w, const char *name, size_t len)
{
    size_t  si, plen;

    plen = strlen(w->conf->prefix);

    if (len > plen + 1 && strncmp(name, w->conf->prefix, plen) == 0
        && name[plen] == ':')
    {
        name += plen + 1;
        len -= plen + 1;
    }

    for (si = 0; si < w->conf->nstreams; si++) {
        if (strlen(w->conf->streams[si]) == len
            && strncmp(w->conf->streams[si], name, len) == 0)
        {
            return (int) si;
        }
    }

    return -1;
}


/* stream ids "ms-seq" compared numerically */

static int
invsync_id_less(const char *a, const char *b)
{
    unsigned long long  ams, aseq, bms, bseq;

    if (sscanf(a, "%llu-%llu", &ams, &aseq) != 2
        || sscanf(b, "%llu-%llu", &bms, &bseq) != 2)
    {
        return 0;
    }

    return ams < bms || (ams == bms && aseq < bseq);
}


static redisReply *
invsync_cmd(invsync_worker_t *w, const char *fmt, ...)
{
    va_list      args;
    redisReply  *r;

    if (w->redis == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    r = redisvCommand(w->redis, fmt, args);
    va_end(args);

    if (r == NULL) {
        invsync_log(INVSYNC_LOG_ERROR, "redis connection lost",
                    json_pack("{s:s}", "err", w->redis->errstr));
        invsync_redis_close(w);
    }

    return r;
}
