
/*
 * The workers' figures in the status page's Prometheus text, beyond their
 * liveness, counters and lag (ngx_http_invsync_status_prometheus.c): events
 * by stream and result, retries and dead letters by stream, push answer
 * times by channel, whether a worker halted, and the deployment's gauges
 * (open exceptions by kind, dead letters, reconciliation drift), which the
 * workers read once per heartbeat so that a scrape costs one HGETALL.
 * docs/operations.md, Monitoring, lists them.
 */


#include "ngx_http_invsync_status.h"


static void ngx_http_invsync_metrics_streams(ngx_buf_t *b, json_t *workers,
    u_char *end);
static void ngx_http_invsync_metrics_stream(ngx_buf_t *b, json_t *workers,
    u_char *end, const char *metric, const char *field, const char *help);
static void ngx_http_invsync_metrics_push(ngx_buf_t *b, json_t *workers,
    u_char *end);
static void ngx_http_invsync_metrics_cluster(ngx_buf_t *b, json_t *workers,
    u_char *end);
static u_char *ngx_http_invsync_metrics_seconds(u_char *p, u_char *end,
    json_t *ms);


/* the results of invsync_worker_stream_events_total */
static const char  *ngx_http_invsync_metrics_results[] = {
    "applied", "duplicate", "stale", "ignored", "exceptions", NULL
};


void
ngx_http_invsync_status_metrics(ngx_buf_t *b, json_t *workers, u_char *end)
{
    size_t       i;
    json_t      *w;
    const char  *name, *state;

    if (workers == NULL) {
        return;
    }

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_worker_halted 1 while the worker has stopped acting "
        "because Redis lost its data.\n"
        "# TYPE invsync_worker_halted gauge\n");

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));
        state = json_string_value(json_object_get(w, "state"));

        if (ngx_http_invsync_status_label(name)) {
            b->last = ngx_slprintf(b->last, end,
                                   "invsync_worker_halted{worker=\"%s\"} %d\n",
                                   name, state != NULL
                                         && ngx_strcmp(state, "halted") == 0);
        }
    }

    ngx_http_invsync_metrics_streams(b, workers, end);
    ngx_http_invsync_metrics_push(b, workers, end);
    ngx_http_invsync_metrics_cluster(b, workers, end);
}


static void
ngx_http_invsync_metrics_streams(ngx_buf_t *b, json_t *workers, u_char *end)
{
    size_t       i, k;
    json_t      *w, *c;
    const char  *name, *stream, **res;

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_worker_stream_events_total Stream entries a worker "
        "acted on, by stream and result.\n"
        "# TYPE invsync_worker_stream_events_total counter\n");

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));

        if (!ngx_http_invsync_status_label(name)) {
            continue;
        }

        json_object_foreach(json_object_get(w, "streams"), stream, c) {
            if (!ngx_http_invsync_status_label(stream)) {
                continue;
            }

            for (res = ngx_http_invsync_metrics_results, k = 0; res[k]; k++) {
                b->last = ngx_slprintf(b->last, end,
                    "invsync_worker_stream_events_total{worker=\"%s\","
                    "stream=\"%s\",result=\"%s\"} %L\n", name, stream,
                    res[k],
                    (int64_t) json_integer_value(json_object_get(c, res[k])));
            }
        }
    }

    ngx_http_invsync_metrics_stream(b, workers, end,
        "invsync_worker_stream_retries_total", "retried",
        "Stream entries that failed and wait for another attempt.");
    ngx_http_invsync_metrics_stream(b, workers, end,
        "invsync_worker_stream_dead_letters_total", "dead",
        "Stream entries moved to the dead letters after their last "
        "attempt.");
}


/* one counter of every worker's every stream */

static void
ngx_http_invsync_metrics_stream(ngx_buf_t *b, json_t *workers, u_char *end,
    const char *metric, const char *field, const char *help)
{
    size_t       i;
    json_t      *w, *c;
    const char  *name, *stream;

    b->last = ngx_slprintf(b->last, end, "# HELP %s %s\n# TYPE %s counter\n",
                           metric, help, metric);

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));

        if (!ngx_http_invsync_status_label(name)) {
            continue;
        }

        json_object_foreach(json_object_get(w, "streams"), stream, c) {
            if (ngx_http_invsync_status_label(stream)) {
                b->last = ngx_slprintf(b->last, end,
                    "%s{worker=\"%s\",stream=\"%s\"} %L\n", metric, name,
                    stream,
                    (int64_t) json_integer_value(json_object_get(c, field)));
            }
        }
    }
}


static void
ngx_http_invsync_metrics_push(ngx_buf_t *b, json_t *workers, u_char *end)
{
    size_t       i;
    json_t      *w, *p;
    const char  *name, *ch;

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_push_duration_seconds Time from a stock push "
        "request's send to the channel's answer, by channel.\n"
        "# TYPE invsync_push_duration_seconds summary\n");

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));

        if (!ngx_http_invsync_status_label(name)) {
            continue;
        }

        json_object_foreach(json_object_get(w, "push_ms"), ch, p) {
            if (!ngx_http_invsync_status_label(ch)) {
                continue;
            }

#define NGX_INVSYNC_PUSH_LABELS  "{worker=\"%s\",channel=\"%s\""

            b->last = ngx_slprintf(b->last, end, "invsync_push_duration_"
                                   "seconds" NGX_INVSYNC_PUSH_LABELS
                                   ",quantile=\"0.5\"} ", name, ch);
            b->last = ngx_http_invsync_metrics_seconds(b->last, end,
                                                 json_object_get(p, "p50"));
            b->last = ngx_slprintf(b->last, end, "invsync_push_duration_"
                                   "seconds" NGX_INVSYNC_PUSH_LABELS
                                   ",quantile=\"0.99\"} ", name, ch);
            b->last = ngx_http_invsync_metrics_seconds(b->last, end,
                                                 json_object_get(p, "p99"));
            b->last = ngx_slprintf(b->last, end, "invsync_push_duration_"
                                   "seconds_sum" NGX_INVSYNC_PUSH_LABELS
                                   "} ", name, ch);
            b->last = ngx_http_invsync_metrics_seconds(b->last, end,
                                                 json_object_get(p, "sum"));
            b->last = ngx_slprintf(b->last, end, "invsync_push_duration_"
                                   "seconds_count" NGX_INVSYNC_PUSH_LABELS
                                   "} %L\n", name, ch,
                (int64_t) json_integer_value(json_object_get(p, "count")));
        }
    }
}


/* the deployment's gauges, from the freshest heartbeat that has them */

static void
ngx_http_invsync_metrics_cluster(ngx_buf_t *b, json_t *workers, u_char *end)
{
    size_t       i;
    json_t      *w, *c, *best, *v;
    json_int_t   at, best_at;
    const char  *key;

    best = NULL;
    best_at = -1;

    json_array_foreach(workers, i, w) {
        c = json_object_get(w, "cluster");
        at = json_integer_value(json_object_get(c, "at"));

        if (json_is_object(c) && at > best_at) {
            best = c;
            best_at = at;
        }
    }

    if (best == NULL) {
        return;
    }

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_dead_letters Entries in the dead letters (K dlq).\n"
        "# TYPE invsync_dead_letters gauge\n"
        "invsync_dead_letters %L\n"
        "# HELP invsync_exceptions_open_count Open exceptions, all kinds.\n"
        "# TYPE invsync_exceptions_open_count gauge\n"
        "invsync_exceptions_open_count %L\n"
        "# HELP invsync_exceptions_open Open exceptions by kind (absent "
        "beyond 2000 open).\n"
        "# TYPE invsync_exceptions_open gauge\n",
        (int64_t) json_integer_value(json_object_get(best, "dead_letters")),
        (int64_t) json_integer_value(json_object_get(best,
                                                     "exceptions_open")));

    json_object_foreach(json_object_get(best, "exceptions_open_by_kind"),
                        key, v)
    {
        if (ngx_http_invsync_status_label(key)) {
            b->last = ngx_slprintf(b->last, end,
                                   "invsync_exceptions_open{kind=\"%s\"} "
                                   "%L\n", key,
                                   (int64_t) json_integer_value(v));
        }
    }

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_reconcile_drifted_skus SKUs the channel's last "
        "finished reconciliation found showing another quantity.\n"
        "# TYPE invsync_reconcile_drifted_skus gauge\n");

    json_object_foreach(json_object_get(best, "drift"), key, v) {
        if (ngx_http_invsync_status_label(key)) {
            b->last = ngx_slprintf(b->last, end,
                                   "invsync_reconcile_drifted_skus"
                                   "{channel=\"%s\"} %L\n", key,
                                   (int64_t) json_integer_value(v));
        }
    }
}


/* milliseconds as seconds, without floating point */

static u_char *
ngx_http_invsync_metrics_seconds(u_char *p, u_char *end, json_t *ms)
{
    int64_t  v = json_integer_value(ms);

    if (v < 0) {
        v = 0;
    }

    return ngx_slprintf(p, end, "%L.%03L\n", v / 1000, v % 1000);
}
