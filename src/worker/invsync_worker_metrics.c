
/*
 * What the heartbeat carries for the status page's Prometheus text beyond
 * the worker's own counters: its counters by stream, each channel's push
 * answer times, and the deployment's gauges (open exceptions by kind, dead
 * letters, each channel's last reconciliation drift).  The gauges are read
 * here, once per heartbeat, so that a scrape of nginx costs one HGETALL of
 * K workers and never walks a set (docs/operations.md, Monitoring).
 */


#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"
#include "invsync_worker_push.h"


/* open exceptions counted by kind: at most this many ids are read */
#define INVSYNC_METRICS_EXC_MAX  2000


static json_t *invsync_metrics_counters(const invsync_counters_t *c);
static json_t *invsync_metrics_kinds(invsync_worker_t *w);
static json_t *invsync_metrics_drift(invsync_worker_t *w);


json_t *
invsync_metrics_streams(invsync_worker_t *w)
{
    size_t   si;
    json_t  *o;

    o = json_object();

    for (si = 0; o != NULL && si < w->conf->nstreams; si++) {
        json_object_set_new(o, w->conf->streams[si],
                            invsync_metrics_counters(&w->by_stream[si]));
    }

    return o;
}


/* each pushing channel's answer times: count, sum and quantiles, in ms */

json_t *
invsync_metrics_push(invsync_worker_t *w)
{
    size_t               i;
    json_t              *o;
    invsync_pushchan_t  *pc;

    o = json_object();

    if (o == NULL || w->push == NULL) {
        return o;
    }

    for (i = 0; i < w->push->nchans; i++) {
        pc = &w->push->chans[i];

        json_object_set_new(o, pc->conf->id,
            json_pack("{s:I, s:I, s:i, s:i, s:i}",
                      "count", (json_int_t) pc->latency.count,
                      "sum", (json_int_t) pc->latency_sum_ms,
                      "p50", (int) invsync_latency_percentile(&pc->latency,
                                                              0.50),
                      "p99", (int) invsync_latency_percentile(&pc->latency,
                                                              0.99),
                      "max", (int) invsync_latency_percentile(&pc->latency,
                                                              1.0)));
    }

    return o;
}


/*
 * The deployment's gauges, the same for every worker: the status page
 * shows those of the freshest heartbeat.  NULL when Redis did not answer.
 */

json_t *
invsync_metrics_cluster(invsync_worker_t *w)
{
    char         key[INVSYNC_KEY_LEN];
    json_t      *o, *kinds, *drift;
    redisReply  *r;
    long long    open, dlq;

    invsync_key_exceptions_open(key, sizeof(key), w->conf);
    r = invsync_cmd(w, "ZCARD %s", key);
    open = (r && r->type == REDIS_REPLY_INTEGER) ? r->integer : -1;
    freeReplyObject(r);

    invsync_key_dlq(key, sizeof(key), w->conf);
    r = open >= 0 ? invsync_cmd(w, "XLEN %s", key) : NULL;
    dlq = (r && r->type == REDIS_REPLY_INTEGER) ? r->integer : -1;
    freeReplyObject(r);

    if (open < 0 || dlq < 0) {
        return NULL;
    }

    kinds = open <= INVSYNC_METRICS_EXC_MAX ? invsync_metrics_kinds(w) : NULL;
    drift = invsync_metrics_drift(w);

    o = json_pack("{s:I, s:I, s:I}", "exceptions_open", (json_int_t) open,
                  "dead_letters", (json_int_t) dlq,
                  "at", (json_int_t) invsync_now_ms());

    if (o == NULL) {
        json_decref(kinds);
        json_decref(drift);
        return NULL;
    }

    /* absent (not 0) when too many to count at each heartbeat */
    if (kinds != NULL) {
        json_object_set_new(o, "exceptions_open_by_kind", kinds);
    }

    if (drift != NULL) {
        json_object_set_new(o, "drift", drift);
    }

    return o;
}


static json_t *
invsync_metrics_counters(const invsync_counters_t *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "read", (json_int_t) c->read,
                     "applied", (json_int_t) c->applied,
                     "duplicate", (json_int_t) c->duplicate,
                     "stale", (json_int_t) c->stale,
                     "ignored", (json_int_t) c->ignored,
                     "exceptions", (json_int_t) c->exceptions,
                     "retried", (json_int_t) c->retried,
                     "dead", (json_int_t) c->dead);
}


/* an exception's id begins with its kind (docs/keys.md) */

static json_t *
invsync_metrics_kinds(invsync_worker_t *w)
{
    char         key[INVSYNC_KEY_LEN], kind[64];
    size_t       i, n;
    json_t      *o;
    const char  *id, *colon;
    redisReply  *r;

    invsync_key_exceptions_open(key, sizeof(key), w->conf);
    r = invsync_cmd(w, "ZRANGE %s 0 %d", key, INVSYNC_METRICS_EXC_MAX - 1);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return NULL;
    }

    o = json_object();

    for (i = 0; o != NULL && i < r->elements; i++) {
        if (r->element[i]->type != REDIS_REPLY_STRING) {
            continue;
        }

        id = r->element[i]->str;
        colon = strchr(id, ':');
        n = colon ? (size_t) (colon - id) : strlen(id);

        if (n == 0 || n >= sizeof(kind)) {
            continue;
        }

        memcpy(kind, id, n);
        kind[n] = '\0';

        json_object_set_new(o, kind, json_integer(
            json_integer_value(json_object_get(o, kind)) + 1));
    }

    freeReplyObject(r);

    return o;
}


/* each channel's last finished reconciliation: SKUs it found drifted */

static json_t *
invsync_metrics_drift(invsync_worker_t *w)
{
    char         key[INVSYNC_KEY_LEN];
    size_t       i;
    json_t      *o;
    redisReply  *r;
    const char  *id;

    o = json_object();

    for (i = 0; o != NULL && i < w->conf->nchannels; i++) {
        id = w->conf->channels[i].id;
        invsync_key_reconcile(key, sizeof(key), w->conf, id);
        r = invsync_cmd(w, "HGET %s drifted", key);

        if (r != NULL && r->type == REDIS_REPLY_STRING) {
            json_object_set_new(o, id, json_integer(strtoll(r->str, NULL,
                                                            10)));
        }

        freeReplyObject(r);
    }

    return o;
}
