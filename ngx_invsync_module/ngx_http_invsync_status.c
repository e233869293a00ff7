
/*
 * Counters per channel and result, kept in a shared-memory zone so that
 * every worker process adds to the same numbers, and the invsync_status
 * location that shows them as JSON or Prometheus text.
 */


#include <hiredis/hiredis.h>
#include <jansson.h>

#include "ngx_http_invsync_module.h"


static ngx_http_invsync_channel_stats_t *ngx_http_invsync_status_slot(
    ngx_http_invsync_shctx_t *sh, ngx_str_t *name);
static void ngx_http_invsync_status_workers(ngx_http_request_t *r,
    void *reply);
static void ngx_http_invsync_status_timeout(ngx_event_t *ev);
static json_t *ngx_http_invsync_status_parse(redisReply *rp);
static ngx_int_t ngx_http_invsync_status_send(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx, redisReply *rp, const char *why);
static void ngx_http_invsync_status_workers_prometheus(ngx_buf_t *b,
    json_t *workers, u_char *end);
static ngx_int_t ngx_http_invsync_status_label(const char *s);
static ngx_int_t ngx_http_invsync_status_json(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b);
static ngx_int_t ngx_http_invsync_status_prometheus(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b);


static ngx_str_t  ngx_http_invsync_result_names[] = {
    ngx_null_string,
    ngx_string("accepted"),
    ngx_string("duplicate"),
    ngx_string("ignored"),
    ngx_string("rejected"),
    ngx_string("error")
};


static ngx_str_t  ngx_http_invsync_reason_names[] = {
    ngx_string("method"),
    ngx_string("signature"),
    ngx_string("timestamp"),
    ngx_string("format"),
    ngx_string("redis_down"),
    ngx_string("redis_timeout"),
    ngx_string("redis_error"),
    ngx_string("internal"),
    ngx_string("unusable"),
    ngx_string("redis_epoch")
};


/*
 * Runs in the master at every (re)load.  A zone kept from the previous
 * configuration keeps its counters and the epoch seen
 * (ngx_http_invsync_epoch_init_zone()); channels are matched by name.
 */

ngx_int_t
ngx_http_invsync_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_invsync_main_conf_t *imcf = shm_zone->data;

    ngx_str_t                         *names;
    ngx_uint_t                         i;
    ngx_slab_pool_t                   *shpool;
    ngx_http_invsync_shctx_t          *sh;
    ngx_http_invsync_channel_stats_t  *slot;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data != NULL || shm_zone->shm.exists) {
        sh = shpool->data;

    } else {
        sh = ngx_slab_calloc(shpool, sizeof(ngx_http_invsync_shctx_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        shpool->data = sh;
    }

    imcf->sh = sh;
    ngx_http_invsync_epoch_init_zone(imcf, sh, shm_zone->shm.log);
    names = imcf->channels.elts;

    for (i = 0; i < imcf->channels.nelts; i++) {
        slot = ngx_http_invsync_status_slot(sh, &names[i]);
        if (slot == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "invsync: no room for the counters of channel "
                          "\"%V\"", &names[i]);
            return NGX_ERROR;
        }

        imcf->slots[i] = slot;
    }

    return NGX_OK;
}


static ngx_http_invsync_channel_stats_t *
ngx_http_invsync_status_slot(ngx_http_invsync_shctx_t *sh, ngx_str_t *name)
{
    ngx_uint_t                         i;
    ngx_http_invsync_channel_stats_t  *slot;

    for (i = 0; i < sh->nchannels; i++) {
        slot = &sh->channels[i];

        if (slot->name_len == name->len
            && ngx_strncmp(slot->name, name->data, name->len) == 0)
        {
            return slot;
        }
    }

    if (sh->nchannels == NGX_HTTP_INVSYNC_MAX_CHANNELS) {
        return NULL;
    }

    slot = &sh->channels[sh->nchannels++];
    ngx_memcpy(slot->name, name->data, name->len);
    slot->name_len = name->len;

    return slot;
}


/* reason < 0: none beyond the result */

void
ngx_http_invsync_status_count(ngx_http_request_t *r,
    ngx_http_invsync_result_e result, ngx_int_t reason)
{
    ngx_http_invsync_loc_conf_t       *ilcf;
    ngx_http_invsync_main_conf_t      *imcf;
    ngx_http_invsync_channel_stats_t  *slot;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    if (imcf->sh == NULL) {
        return;
    }

    slot = imcf->slots[ilcf->channel_index];

    (void) ngx_atomic_fetch_add(&slot->results[result], 1);

    if (reason >= 0) {
        (void) ngx_atomic_fetch_add(&slot->reasons[reason], 1);
    }
}


/*
 * The status page: this nginx's counters, and, when Redis answers within
 * invsync_redis_timeout, the heartbeats the workers publish there.
 */

ngx_int_t
ngx_http_invsync_status_handler(ngx_http_request_t *r)
{
    u_char                        *p;
    ngx_int_t                      rc;
    ngx_str_t                      format;
    const char                    *argv[2];
    size_t                         argvlen[2];
    ngx_http_invsync_ctx_t        *ctx;
    ngx_http_invsync_pending_t    *pending;
    ngx_http_invsync_main_conf_t  *imcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    if (imcf->sh == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_invsync_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_invsync_module);

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
        && format.len == 10
        && ngx_strncmp(format.data, "prometheus", 10) == 0)
    {
        ctx->prometheus = 1;
    }

    if (!ngx_http_invsync_redis_ready(imcf->redis)) {
        return ngx_http_invsync_status_send(r, ctx, NULL,
                                            "redis unavailable");
    }

    /* <prefix>:{<prefix>}:workers, see docs/keys.md */
    p = ngx_pnalloc(r->pool, 2 * imcf->prefix.len + sizeof(":{}:workers"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = "HGETALL";
    argvlen[0] = 7;
    argv[1] = (char *) p;
    argvlen[1] = ngx_sprintf(p, "%V:{%V}:workers", &imcf->prefix,
                             &imcf->prefix)
                 - p;

    pending = ngx_http_invsync_pending_new(r, ctx,
                                           ngx_http_invsync_status_workers);
    if (pending == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_invsync_redis_query(imcf->redis, pending, 2, argv, argvlen)
        != NGX_OK)
    {
        ctx->pending = NULL;
        ngx_free(pending);
        return ngx_http_invsync_status_send(r, ctx, NULL,
                                            "redis unavailable");
    }

    ctx->timeout.handler = ngx_http_invsync_status_timeout;
    ctx->timeout.data = r;
    ctx->timeout.log = r->connection->log;
    ngx_add_timer(&ctx->timeout, imcf->timeout);

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_invsync_status_workers(ngx_http_request_t *r, void *reply)
{
    redisReply              *rp = reply;
    ngx_http_invsync_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);
    ctx->pending = NULL;

    if (ctx->timeout.timer_set) {
        ngx_del_timer(&ctx->timeout);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync status: workers reply type:%d, %uz elements",
                   rp ? rp->type : -1, rp ? rp->elements : 0);

    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_invsync_status_send(r, ctx, NULL,
                                         rp && rp->type == REDIS_REPLY_ERROR
                                         ? "redis refused the read"
                                         : "redis connection lost"));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_invsync_status_send(r, ctx, rp,
                                                              NULL));
}


static void
ngx_http_invsync_status_timeout(ngx_event_t *ev)
{
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_invsync_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    if (ctx->pending != NULL) {
        ctx->pending->request = NULL;
        ctx->pending = NULL;
    }

    ngx_http_finalize_request(r, ngx_http_invsync_status_send(r, ctx, NULL,
                                                       "redis timed out"));
    ngx_http_run_posted_requests(c);
}


/*
 * The workers' heartbeats as parsed JSON, each with "alive" added: running
 * and heard from within three of its heartbeat intervals.
 */

static json_t *
ngx_http_invsync_status_parse(redisReply *rp)
{
    size_t        i;
    json_t       *arr, *hb, *v;
    json_int_t    now, beat, interval;
    ngx_time_t   *tp;
    const char   *state;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    tp = ngx_timeofday();
    now = (json_int_t) tp->sec * 1000 + tp->msec;

    for (i = 0; i + 1 < rp->elements; i += 2) {
        v = NULL;

        if (rp->element[i + 1]->type == REDIS_REPLY_STRING) {
            v = json_loadb(rp->element[i + 1]->str, rp->element[i + 1]->len,
                           0, NULL);
        }

        if (!json_is_object(v)
            || !json_is_string(json_object_get(v, "name")))
        {
            json_decref(v);
            continue;
        }

        hb = v;
        beat = json_integer_value(json_object_get(hb, "heartbeat"));
        interval = json_integer_value(json_object_get(hb, "interval"));
        state = json_string_value(json_object_get(hb, "state"));

        json_object_set_new(hb, "alive",
                            json_boolean(state != NULL
                                         && ngx_strcmp(state, "running") == 0
                                         && now - beat < 3 * interval));
        json_array_append_new(arr, hb);
    }

    return arr;
}


static ngx_int_t
ngx_http_invsync_status_send(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx, redisReply *rp, const char *why)
{
    size_t                         size;
    char                          *dump;
    json_t                        *workers;
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_http_invsync_shctx_t      *sh;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    sh = imcf->sh;

    workers = rp ? ngx_http_invsync_status_parse(rp) : NULL;
    dump = NULL;

    if (workers != NULL && !ctx->prometheus) {
        dump = json_dumps(workers, JSON_COMPACT | JSON_ENSURE_ASCII);
    }

    size = 1024 + sh->nchannels
                  * (NGX_HTTP_INVSYNC_NRESULTS + NGX_HTTP_INVSYNC_NREASONS)
                  * (NGX_HTTP_INVSYNC_CHANNEL_LEN + 128)
           + (dump ? ngx_strlen(dump) : 0)
           + (workers ? json_array_size(workers) * 4096 : 0);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto failed;
    }

    if (ctx->prometheus) {
        ngx_http_invsync_status_prometheus(r, sh, b);
        ngx_http_invsync_status_workers_prometheus(b, workers,
                                                   b->start + size);
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4");

    } else {
        ngx_http_invsync_status_json(r, sh, b);
        ngx_str_set(&r->headers_out.content_type, "application/json");

        /* replace the closing brace: the workers follow the channels */
        b->last -= 2;

        if (dump != NULL) {
            b->last = ngx_sprintf(b->last, ",\"workers\":%s}\n", dump);

        } else {
            b->last = ngx_sprintf(b->last, ",\"workers\":null,"
                                  "\"workers_error\":\"%s\"}\n",
                                  why ? why : "unreadable");
        }
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        goto failed;
    }

    rc = ngx_http_output_filter(r, &(ngx_chain_t) { b, NULL });

failed:

    free(dump);
    json_decref(workers);

    return rc;
}


static void
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

static ngx_int_t
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


static ngx_int_t
ngx_http_invsync_status_json(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b)
{
    ngx_uint_t                         i, k;
    ngx_http_invsync_channel_stats_t  *s;

    b->last = ngx_sprintf(b->last, "{\"redis\":{\"connects\":%uA,"
                          "\"disconnects\":%uA,\"noscript\":%uA,"
                          "\"epoch_lost\":%uA,\"epoch\":\"%s\"},"
                          "\"channels\":{",
                          sh->redis_connects, sh->redis_disconnects,
                          sh->redis_noscript, sh->redis_epoch_lost,
                          sh->epoch_lost ? "lost"
                          : (sh->epoch_len ? "ok" : "none"));

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        b->last = ngx_sprintf(b->last, "%s\"%*s\":{", i ? "," : "",
                              s->name_len, s->name);

        for (k = 1; k < NGX_HTTP_INVSYNC_NRESULTS; k++) {
            b->last = ngx_sprintf(b->last, "\"%V\":%uA,",
                                  &ngx_http_invsync_result_names[k],
                                  s->results[k]);
        }

        b->last = ngx_sprintf(b->last, "\"reasons\":{");

        for (k = 0; k < NGX_HTTP_INVSYNC_NREASONS; k++) {
            b->last = ngx_sprintf(b->last, "%s\"%V\":%uA", k ? "," : "",
                                  &ngx_http_invsync_reason_names[k],
                                  s->reasons[k]);
        }

        b->last = ngx_sprintf(b->last, "}}");
    }

    b->last = ngx_sprintf(b->last, "}}\n");

    return NGX_OK;
}


static ngx_int_t
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


/*
 * The log phase: count the 413s and 400s nginx answered for our locations
 * itself, before the handler ran (Content-Length over
 * client_max_body_size) or while it read the body (a chunked body over
 * the limit or malformed).
 */

ngx_int_t
ngx_http_invsync_status_log(ngx_http_request_t *r)
{
    ngx_http_invsync_ctx_t       *ctx;
    ngx_http_invsync_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    if (ilcf->scheme == NULL
        || (r->headers_out.status != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
            && r->headers_out.status != NGX_HTTP_BAD_REQUEST))
    {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_invsync_ctx_t));
        if (ctx == NULL) {
            return NGX_OK;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_invsync_module);

    } else if (ctx->result != NGX_HTTP_INVSYNC_NONE) {
        return NGX_OK;
    }

    ctx->result = NGX_HTTP_INVSYNC_REJECTED;
    ngx_http_invsync_status_count(r, ctx->result, NGX_HTTP_INVSYNC_R_FORMAT);

    return NGX_OK;
}
