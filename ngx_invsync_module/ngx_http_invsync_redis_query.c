
/*
 * A request's claim on a Redis reply (the pending token, detached by the
 * request's cleanup when the client goes first), and the read-only
 * commands of the status page and the console, answered through it.
 */


#include "ngx_http_invsync_redis.h"


static void ngx_http_invsync_pending_cleanup(void *data);
static void ngx_http_invsync_redis_query_done(redisAsyncContext *ac,
    void *reply, void *data);


/*
 * Gives a request's claim on one Redis reply, with the request cleanup that
 * detaches it, as ctx->pending: done will answer r, unless r goes first.
 * The token is the caller's until a command takes it; if none does, the
 * caller frees it and sets ctx->pending to NULL.  NULL if memory ran out.
 */

ngx_http_invsync_pending_t *
ngx_http_invsync_pending_new(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx, ngx_http_invsync_done_pt done)
{
    ngx_http_cleanup_t          *cln;
    ngx_http_invsync_pending_t  *p;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    p = ngx_alloc(sizeof(ngx_http_invsync_pending_t), r->connection->log);
    if (p == NULL) {
        return NULL;
    }

    p->request = r;
    p->cleanup = cln;
    p->done = done;

    ctx->pending = p;
    cln->handler = ngx_http_invsync_pending_cleanup;
    cln->data = ctx;

    return p;
}


/* the request is going away: its command's reply must not find it */

static void
ngx_http_invsync_pending_cleanup(void *data)
{
    ngx_http_invsync_ctx_t *ctx = data;

    if (ctx->pending != NULL) {
        ngx_log_error(NGX_LOG_INFO, ctx->timeout.log, 0,
                      "invsync: client closed the connection while waiting "
                      "for redis");
        ctx->pending->request = NULL;
        ctx->pending = NULL;
    }

    if (ctx->timeout.timer_set) {
        ngx_del_timer(&ctx->timeout);
    }
}


/*
 * A read-only command for a request (the status page's look at the worker
 * heartbeats); p->done gets the reply, or NULL, unless the request left.
 */

ngx_int_t
ngx_http_invsync_redis_query(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_pending_t *p, int argc, const char **argv,
    const size_t *argvlen)
{
    if (!ngx_http_invsync_redis_ready(rd)) {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis query %s", argv[0]);

    if (redisAsyncCommandArgv(rd->ac, ngx_http_invsync_redis_query_done, p,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    if (rd->inflight++ == 0) {
        rd->last_reply = ngx_current_msec;
    }

    return NGX_OK;
}


static void
ngx_http_invsync_redis_query_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_invsync_redis_t    *rd = ac->data;
    ngx_http_invsync_pending_t  *p = data;

    if (rd->inflight) {
        rd->inflight--;
    }

    if (reply != NULL) {
        rd->last_reply = ngx_current_msec;
    }

    r = p->request;

    if (r != NULL) {
        p->cleanup->handler = NULL;
        c = r->connection;
        p->done(r, reply);
        ngx_http_run_posted_requests(c);
    }

    ngx_free(p);
}
