
/*
 * The status page as Prometheus text (version 0.0.4): the counters of the
 * shared zone and the workers' heartbeats, label values printed only when
 * they need no escaping.
 */


#include "ngx_http_invsync_status.h"


ngx_int_t
ngx_http_invsync_status_prometheus(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b)
{
    ngx_uint_t                         i, k;
    ngx_http_invsync_channel_stats_t  *s;

    b->last = ngx_sprintf(b->last,
        "# HELP invsync_requests_total Webhook requests by channel and "
        "result.\n"
        "# TYPE invsync_requests_total counter\n");

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        for (k = 1; k < NGX_HTTP_INVSYNC_NRESULTS; k++) {
            b->last = ngx_sprintf(b->last, "invsync_requests_total"
                                  "{channel=\"%*s\",result=\"%V\"} %uA\n",
                                  s->name_len, s->name,
                                  &ngx_http_invsync_result_names[k],
                                  s->results[k]);
        }
    }

    b->last = ngx_sprintf(b->last,
        "# HELP invsync_refusals_total Refused or failed webhook requests "
        "by channel and reason.\n"
        "# TYPE invsync_refusals_total counter\n");

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        for (k = 0; k < NGX_HTTP_INVSYNC_NREASONS; k++) {
            b->last = ngx_sprintf(b->last, "invsync_refusals_total"
                                  "{channel=\"%*s\",reason=\"%V\"} %uA\n",
                                  s->name_len, s->name,
                                  &ngx_http_invsync_reason_names[k],
                                  s->reasons[k]);
        }
    }

    b->last = ngx_sprintf(b->last,
        "# HELP invsync_redis_connects_total Redis connections made "
        "ready.\n"
        "# TYPE invsync_redis_connects_total counter\n"
        "invsync_redis_connects_total %uA\n"
        "# HELP invsync_redis_disconnects_total Redis connections lost.\n"
        "# TYPE invsync_redis_disconnects_total counter\n"
        "invsync_redis_disconnects_total %uA\n"
        "# HELP invsync_redis_noscript_total Ingest script reloads.\n"
        "# TYPE invsync_redis_noscript_total counter\n"
        "invsync_redis_noscript_total %uA\n"
        "# HELP invsync_redis_epoch_lost_total Times Redis was found to "
        "have lost its data (its epoch missing or changed).\n"
        "# TYPE invsync_redis_epoch_lost_total counter\n"
        "invsync_redis_epoch_lost_total %uA\n"
        "# HELP invsync_redis_epoch_lost 1 while Redis is known to have "
        "lost its data.\n"
        "# TYPE invsync_redis_epoch_lost gauge\n"
        "invsync_redis_epoch_lost %uA\n",
        sh->redis_connects, sh->redis_disconnects, sh->redis_noscript,
        sh->redis_epoch_lost, sh->epoch_lost);

    return NGX_OK;
}


void
ngx_http_invsync_status_workers_prometheus(ngx_buf_t *b, json_t *workers,
    u_char *end)
{
    size_t       i;
    json_t      *w, *v;
    const char  *name, *key;

    if (workers == NULL) {
        return;
    }

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_worker_alive Whether the worker's heartbeat is "
        "fresh.\n"
        "# TYPE invsync_worker_alive gauge\n");

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));

        if (!ngx_http_invsync_status_label(name)) {
            continue;
        }

        b->last = ngx_slprintf(b->last, end,
                               "invsync_worker_alive{worker=\"%s\"} %d\n",
                               name,
                               json_is_true(json_object_get(w, "alive")));
    }

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_worker_events_total Events handled by a worker, "
        "by result.\n"
        "# TYPE invsync_worker_events_total counter\n");

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));

        if (!ngx_http_invsync_status_label(name)) {
            continue;
        }

        json_object_foreach(json_object_get(w, "counters"), key, v) {
            if (ngx_http_invsync_status_label(key) && json_is_integer(v)) {
                b->last = ngx_slprintf(b->last, end,
                                       "invsync_worker_events_total"
                                       "{worker=\"%s\",result=\"%s\"} %L\n",
                                       name, key,
                                       (int64_t) json_integer_value(v));
            }
        }
    }

    b->last = ngx_slprintf(b->last, end,
        "# HELP invsync_worker_lag Entries of a stream not yet delivered "
        "to the workers' group.\n"
        "# TYPE invsync_worker_lag gauge\n");

    json_array_foreach(workers, i, w) {
        name = json_string_value(json_object_get(w, "name"));

        if (!ngx_http_invsync_status_label(name)) {
            continue;
        }

        json_object_foreach(json_object_get(w, "lag"), key, v) {
            if (ngx_http_invsync_status_label(key) && json_is_integer(v)) {
                b->last = ngx_slprintf(b->last, end,
                                       "invsync_worker_lag"
                                       "{worker=\"%s\",stream=\"%s\"} %L\n",
                                       name, key,
                                       (int64_t) json_integer_value(v));
            }
        }
    }
}


/* Prometheus label values we print unescaped */

ngx_int_t
ngx_http_invsync_status_label(const char *s)
{
    if (s == NULL || *s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'
              || *s == '.' || *s == ':'))
        {
            return 0;
        }
    }

    return 1;
}
