
/*
 * The invsync_status location: this nginx's counters and, when Redis
 * answers within invsync_redis_timeout, the heartbeats the workers publish
 * there, as JSON (written here) or as Prometheus text
 * (ngx_http_invsync_status_prometheus.c, with ?format=prometheus).
 */


#include <hiredis/hiredis.h>

#include "ngx_http_invsync_status.h"


static void ngx_http_invsync_status_workers(ngx_http_request_t *r,
    void *reply);
static void ngx_http_invsync_status_timeout(ngx_event_t *ev);
static json_t *ngx_http_invsync_status_parse(redisReply *rp);
static ngx_int_t ngx_http_invsync_status_send(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx, redisReply *rp, const char *why);


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

    /* the JSON, or its measure: no line of Prometheus text is more than
     * 64 times longer than the JSON member it shows */
    if (workers != NULL) {
        dump = json_dumps(workers, JSON_COMPACT | JSON_ENSURE_ASCII);
    }

    size = 1024 + sh->nchannels
                  * (NGX_HTTP_INVSYNC_NRESULTS + NGX_HTTP_INVSYNC_NREASONS)
                  * (NGX_HTTP_INVSYNC_CHANNEL_LEN + 128)
           + (dump ? ngx_strlen(dump) * (ctx->prometheus ? 64 : 1) : 0)
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
        ngx_http_invsync_status_metrics(b, workers, b->start + size);
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


ngx_int_t
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
