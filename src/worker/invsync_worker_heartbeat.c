
/*
 * The heartbeat: who this worker is, that it lives, and its counters,
 * in K workers for invsyncctl status; the heartbeats of workers gone for
 * limits.worker_forget_s removed from it.
 */


#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_worker_consumer.h"


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

    /* halted, the groups may be gone: the lag last counted is shown */
    if (w->halted == NULL) {
        invsync_consumer_lag(w);
    }

    lag = json_object();

    for (si = 0; si < w->conf->nstreams; si++) {
        json_object_set_new(lag, w->conf->streams[si],
                            json_integer((json_int_t) w->lag[si]));
    }

    hb = json_pack("{s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I, "
                   "s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
                   "name", w->conf->consumer, "host", host,
                   "pid", (int) getpid(),
                   "state", leaving ? "stopped"
                            : (w->halted ? "halted" : "running"),
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

    /* for the status page's Prometheus text (invsync_worker_metrics.c) */
    if (hb != NULL) {
        json_object_set_new(hb, "streams", invsync_metrics_streams(w));
        json_object_set_new(hb, "push_ms", invsync_metrics_push(w));

        if (w->halted == NULL) {
            json_object_set_new(hb, "cluster", invsync_metrics_cluster(w));
        }
    }

    if (hb != NULL && w->halted != NULL) {
        json_object_set_new(hb, "reason", json_pack("s+", "redis lost its "
                                                    "data: ", w->halted));
    }

    s = hb ? json_dumps(hb, JSON_COMPACT) : NULL;
    json_decref(hb);

    if (s == NULL) {
        return;
    }

    invsync_key_workers(key, sizeof(key), w->conf);

    r = invsync_cmd(w, "HSET %s %s %s", key, w->conf->consumer, s);
    free(s);

    if (r == NULL) {
        return;
    }

    freeReplyObject(r);

    /* every worker forgets those gone for limits.worker_forget_s */
    (void) invsync_workers_forget(w, invsync_now_ms());
}
