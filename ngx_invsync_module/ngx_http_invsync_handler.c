
/*
 * The ingestion content handler: the method, the body read whole, the
 * handshake, signature and event description through the scheme, the
 * stream the event is dispatched to, and the per-request timer.  What the
 * scheme is given comes from ngx_http_invsync_input.c; the answers, once
 * Redis has confirmed the write or failed, from _answer.c.
 */


#include "ngx_http_invsync_module.h"


static void ngx_http_invsync_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_invsync_process(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx);
static ngx_int_t ngx_http_invsync_read_body(ngx_http_request_t *r,
    invsync_str_t *body);
static const char *ngx_http_invsync_route(ngx_http_invsync_loc_conf_t *ilcf,
    invsync_meta_t *m);
static ngx_int_t ngx_http_invsync_dispatch(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx, const char *stream);
static void ngx_http_invsync_timeout_handler(ngx_event_t *ev);


ngx_int_t
ngx_http_invsync_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_table_elt_t         *allow;
    ngx_http_invsync_ctx_t  *ctx;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync handler");

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_invsync_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_invsync_module);

    if (!(r->method & NGX_HTTP_POST)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        allow = ngx_list_push(&r->headers_out.headers);
        if (allow == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        allow->hash = 1;
        ngx_str_set(&allow->key, "Allow");
        ngx_str_set(&allow->value, "POST");

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "invsync: method \"%V\" not allowed", &r->method_name);

        ctx->result = NGX_HTTP_INVSYNC_REJECTED;
        ngx_http_invsync_status_count(r, ctx->result,
                                      NGX_HTTP_INVSYNC_R_METHOD);

        return ngx_http_invsync_reply_error(r, NGX_HTTP_NOT_ALLOWED,
                                            "method not allowed", 0);
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_invsync_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
            ctx->result = NGX_HTTP_INVSYNC_REJECTED;
            ngx_http_invsync_status_count(r, ctx->result,
                                          NGX_HTTP_INVSYNC_R_FORMAT);
        }

        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_invsync_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_invsync_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    rc = ngx_http_invsync_process(r, ctx);

    if (rc == NGX_DONE) {
        /* the Redis reply or the timer answers; notice a client leaving */
        r->read_event_handler = ngx_http_test_reading;
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/* returns an answer's rc, or NGX_DONE once the command is in flight */

static ngx_int_t
ngx_http_invsync_process(ngx_http_request_t *r, ngx_http_invsync_ctx_t *ctx)
{
    invsync_rc_e                  rc;
    const char                   *stream;
    invsync_input_t               in;
    invsync_reply_t               reply;
    invsync_hmac_conf_t           hmac;
    ngx_http_invsync_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    ngx_memzero(&in, sizeof(invsync_input_t));

    if (ngx_http_invsync_read_body(r, &ctx->body) != NGX_OK) {
        return ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_INTERNAL,
                                     "cannot read the request body");
    }

    in.body = ctx->body;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync scheme \"%s\", channel \"%V\", body %uz bytes",
                   ilcf->scheme->name, &ilcf->channel, ctx->body.len);

    ngx_http_invsync_collect_headers(r, ilcf, &in);

    if (r->headers_in.content_type) {
        in.content_type.data = r->headers_in.content_type->value.data;
        in.content_type.len = r->headers_in.content_type->value.len;
    }

    if (ilcf->scheme->needs_url
        && ngx_http_invsync_notification_url(r, ilcf, &in.url) != NGX_OK)
    {
        return ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_INTERNAL,
                                     "cannot build the notification url");
    }

    in.app_key.data = ilcf->app_key.data;
    in.app_key.len = ilcf->app_key.len;
    in.now = ngx_time();
    in.tolerance = ilcf->tolerance;
    hmac.encoding = (invsync_encoding_e) ilcf->hmac_encoding;
    in.hmac = &hmac;

    if (ilcf->scheme->handshake) {
        reply.len = 0;
        rc = ilcf->scheme->handshake(&in, &reply);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "invsync handshake: %s",
                       rc == INVSYNC_HANDSHAKE ? "yes, answered" : "no");

        if (rc == INVSYNC_HANDSHAKE) {
            ctx->result = NGX_HTTP_INVSYNC_IGNORED;
            ngx_http_invsync_status_count(r, ctx->result, -1);
            return ngx_http_invsync_reply(r, NGX_HTTP_OK, reply.body,
                                          reply.len, 0);
        }
    }

    rc = ilcf->scheme->verify(&in, ilcf->secrets->elts, ilcf->secrets->nelts);

    /* the result only: never the secrets, the signature or the body */
    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync verify: %s, secrets:%ui",
                   invsync_rc_name(rc), ilcf->secrets->nelts);

    if (rc != INVSYNC_OK) {
        return ngx_http_invsync_reject(r, ilcf, rc);
    }

    rc = ilcf->scheme->describe(&in, &ctx->meta);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync describe: %s", invsync_rc_name(rc));

    if (rc != INVSYNC_OK) {
        return ngx_http_invsync_reject(r, ilcf, rc);
    }

    stream = ngx_http_invsync_route(ilcf, &ctx->meta);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync stream \"%s\" for topic \"%*s\", event id "
                   "%uz bytes", stream, ctx->meta.topic_len, ctx->meta.topic,
                   ctx->meta.event_len);

    return ngx_http_invsync_dispatch(r, ctx, stream);
}


/*
 * The signature covers the exact bytes received.  A body that fits
 * client_body_buffer_size is used where it lies; a larger one, which nginx
 * wrote to a temporary file, is read back once into the request pool (the
 * file was just written, so this is a page-cache copy).  Setting
 * client_body_buffer_size to client_max_body_size avoids that copy.
 */

static ngx_int_t
ngx_http_invsync_read_body(ngx_http_request_t *r, invsync_str_t *body)
{
    u_char       *p;
    size_t        len, size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->data = (u_char *) "";
    body->len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = cl->buf->last - cl->buf->pos;
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            size = b->file_last - b->file_pos;
            n = ngx_read_file(b->file, p, size, b->file_pos);

            if (n != (ssize_t) size) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "invsync: short read of the body file "
                              "\"%V\"", &b->file->name);
                return NGX_ERROR;
            }

            p += size;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    return NGX_OK;
}


/* invsync_dispatch rows first, then the scheme's table, then "*", else
 * "other": an unmapped topic is kept, never dropped */

static const char *
ngx_http_invsync_route(ngx_http_invsync_loc_conf_t *ilcf, invsync_meta_t *m)
{
    const char                   *stream;
    ngx_uint_t                    i;
    ngx_http_invsync_dispatch_t  *d, *dflt;

    dflt = NULL;

    if (ilcf->dispatch != NULL) {
        d = ilcf->dispatch->elts;

        for (i = 0; i < ilcf->dispatch->nelts; i++) {
            if (d[i].topic.len == 1 && d[i].topic.data[0] == '*') {
                dflt = &d[i];
                continue;
            }

            if (invsync_route_match((char *) d[i].topic.data, m->topic,
                                    m->topic_len))
            {
                return (char *) d[i].stream.data;
            }
        }
    }

    if (ilcf->scheme->routes != NULL) {
        stream = invsync_route_find(ilcf->scheme->routes, m->topic,
                                    m->topic_len);
        if (stream != NULL) {
            return stream;
        }
    }

    return dflt ? (char *) dflt->stream.data : "other";
}


static ngx_int_t
ngx_http_invsync_dispatch(ngx_http_request_t *r, ngx_http_invsync_ctx_t *ctx,
    const char *stream)
{
    u_char                        *p;
    size_t                         len, slen;
    ngx_int_t                      rc;
    ngx_time_t                    *tp;
    ngx_http_invsync_event_t       ev;
    ngx_http_invsync_pending_t    *pending;
    ngx_http_invsync_loc_conf_t   *ilcf;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    slen = ngx_strlen(stream);

    len = invsync_key_stream_len(imcf->prefix.len, slen);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->stream.data = p;
    ctx->stream.len = invsync_key_stream(p, imcf->prefix.data,
                                         imcf->prefix.len,
                                         (u_char *) stream, slen);

    len = invsync_key_dedupe_len(imcf->prefix.len, slen, &ctx->meta,
                                 ilcf->channel.len);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ev.stream = ctx->stream;
    ev.key.data = p;
    ev.key.len = invsync_key_dedupe(p, imcf->prefix.data, imcf->prefix.len,
                                    (u_char *) stream, slen,
                                    ilcf->channel.data, ilcf->channel.len,
                                    &ctx->meta);
    ev.ttl = ilcf->dedupe_ttl;

    tp = ngx_timeofday();
    p = ngx_sprintf(ctx->received, "%T%03M", tp->sec, tp->msec);

#define ngx_http_invsync_value(i, s, l)                                       \
    ev.values[i].data = (u_char *) (s); ev.values[i].len = (l)

    ngx_http_invsync_value(0, ctx->received, p - ctx->received);
    ngx_http_invsync_value(1, ilcf->channel.data, ilcf->channel.len);
    ngx_http_invsync_value(2, ilcf->scheme->name,
                           ngx_strlen(ilcf->scheme->name));
    ngx_http_invsync_value(3, ctx->meta.account, ctx->meta.account_len);
    ngx_http_invsync_value(4, ctx->meta.topic, ctx->meta.topic_len);
    ngx_http_invsync_value(5, ctx->meta.event, ctx->meta.event_len);
    ngx_http_invsync_value(6, ctx->body.data, ctx->body.len);

#undef ngx_http_invsync_value

    pending = ngx_http_invsync_pending_new(r, ctx,
                                           ngx_http_invsync_ingest_done);
    if (pending == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_invsync_redis_ingest(imcf->redis, pending, &ev);

    if (rc != NGX_OK) {
        ctx->pending = NULL;
        ngx_free(pending);

        if (ngx_http_invsync_redis_lost(imcf->redis)) {
            return ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_EPOCH,
                                         "redis data lost");
        }

        return ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_DOWN,
                                     "redis unavailable");
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync queued for \"%V\", dedupe ttl %T, "
                   "timeout %M ms", &ctx->stream, ev.ttl, imcf->timeout);

    ctx->timeout.handler = ngx_http_invsync_timeout_handler;
    ctx->timeout.data = r;
    ctx->timeout.log = r->connection->log;
    ngx_add_timer(&ctx->timeout, imcf->timeout);

    return NGX_DONE;
}


static void
ngx_http_invsync_timeout_handler(ngx_event_t *ev)
{
    ngx_int_t                      rc;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_invsync_ctx_t        *ctx;
    ngx_http_invsync_redis_t      *rd;
    ngx_http_invsync_main_conf_t  *imcf;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);
    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    rd = imcf->redis;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0, "invsync timeout");

    /* the reply may still come: its callback finds no request and frees */
    if (ctx->pending != NULL) {
        ctx->pending->request = NULL;
        ctx->pending = NULL;
    }

    /* waited for a connection that did not come: Redis is unavailable */
    if (ngx_http_invsync_redis_up(rd)) {
        rc = ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_TIMEOUT,
                                   "redis timed out");

    } else {
        rc = ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_DOWN,
                                   "redis unavailable");
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);

    ngx_http_invsync_redis_timed_out(rd);
}
