
/*
 * An ingestion request's answers: the Redis reply for its event (accepted,
 * duplicate, refused, lost), the scheme's verdict as a 4xx, and our own
 * failures as 503 with Retry-After; each counted and logged once, where it
 * is decided.  The JSON itself is ngx_http_invsync_reply.c's.
 */


#include <hiredis/hiredis.h>

#include "ngx_http_invsync_module.h"


static ngx_int_t ngx_http_invsync_ingest_refused(ngx_http_request_t *r,
    redisReply *rp);


/*
 * The pending token's callback: the Redis answer for this request's event,
 * the element of its batch's reply (see ngx_http_invsync_batch.c), or NULL.
 */

void
ngx_http_invsync_ingest_done(ngx_http_request_t *r, void *reply)
{
    ngx_int_t                rc;
    redisReply              *rp = reply;
    ngx_http_invsync_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    ctx->pending = NULL;

    if (ctx->timeout.timer_set) {
        ngx_del_timer(&ctx->timeout);
    }

    if (rp == NULL) {
        rc = ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_DOWN,
                                   "redis connection lost");
        goto done;
    }

    if (rp->type == REDIS_REPLY_ERROR) {
        rc = ngx_http_invsync_ingest_refused(r, rp);
        goto done;
    }

    /* the event's element of the script's answer: 0 for a duplicate, else
     * the new entry's id */
    if (rp->type == REDIS_REPLY_INTEGER && rp->integer == 0) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "invsync dedupe: duplicate, nothing written");

        ctx->result = NGX_HTTP_INVSYNC_DUPLICATE;
        ngx_http_invsync_status_count(r, ctx->result, -1);
        rc = ngx_http_invsync_reply(r, NGX_HTTP_OK,
                                    (u_char *) "{\"status\":\"duplicate\"}",
                                    sizeof("{\"status\":\"duplicate\"}") - 1,
                                    0);
        goto done;
    }

    if (rp->type != REDIS_REPLY_STRING || rp->len == 0
        || rp->len > NGX_HTTP_INVSYNC_STREAM_ID_LEN)
    {
        rc = ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_ERROR,
                                   "unexpected redis reply");
        goto done;
    }

    ctx->stream_id.data = ngx_pnalloc(r->pool, rp->len);
    if (ctx->stream_id.data == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    ngx_memcpy(ctx->stream_id.data, rp->str, rp->len);
    ctx->stream_id.len = rp->len;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync dedupe: new, entry %V in \"%V\"",
                   &ctx->stream_id, &ctx->stream);

    ctx->result = NGX_HTTP_INVSYNC_ACCEPTED;
    ngx_http_invsync_status_count(r, ctx->result, -1);
    rc = ngx_http_invsync_reply_accepted(r, ctx);

done:

    ngx_http_finalize_request(r, rc);
}


/* an error reply for the event: why Redis did not take it */

static ngx_int_t
ngx_http_invsync_ingest_refused(ngx_http_request_t *r, redisReply *rp)
{
    ngx_http_invsync_ctx_t        *ctx;
    ngx_http_invsync_loc_conf_t   *ilcf;
    ngx_http_invsync_main_conf_t  *imcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);
    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    /* queued on a connection whose AUTH then failed: Redis is unavailable
     * to us, it did not refuse this write */
    if (ngx_http_invsync_redis_auth_refused(imcf->redis)) {
        return ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_DOWN,
                                     "redis unavailable");
    }

    /* the epoch check refused it: nothing written (ngx_http_invsync_epoch.c) */
    if (ngx_strncmp(rp->str, "EPOCH", 5) == 0) {
        return ngx_http_invsync_fail(r, NGX_HTTP_INVSYNC_R_REDIS_EPOCH,
                                     "redis data lost");
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "invsync: redis refused the write for channel "
                  "\"%V\": %s", &ilcf->channel, rp->str);
    ctx->result = NGX_HTTP_INVSYNC_ERROR;
    ngx_http_invsync_status_count(r, ctx->result,
                                  NGX_HTTP_INVSYNC_R_REDIS_ERROR);

    return ngx_http_invsync_reply_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "redis refused the write", 1);
}


ngx_int_t
ngx_http_invsync_reject(ngx_http_request_t *r,
    ngx_http_invsync_loc_conf_t *ilcf, invsync_rc_e rc)
{
    ngx_uint_t               status;
    ngx_int_t                reason;
    const char              *text;
    ngx_http_invsync_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);
    text = invsync_strerror(rc);

    switch (rc) {

    case INVSYNC_ERR_NO_SIGNATURE:
    case INVSYNC_ERR_SIGNATURE:
        status = NGX_HTTP_UNAUTHORIZED;
        reason = NGX_HTTP_INVSYNC_R_SIGNATURE;
        break;

    case INVSYNC_ERR_TIMESTAMP:
    case INVSYNC_ERR_STALE:
    case INVSYNC_ERR_FUTURE:
        status = NGX_HTTP_UNAUTHORIZED;
        reason = NGX_HTTP_INVSYNC_R_TIMESTAMP;
        break;

    case INVSYNC_ERR_FORMAT:
    case INVSYNC_ERR_JSON:
    case INVSYNC_ERR_NO_EVENT_ID:
    case INVSYNC_ERR_NO_TOPIC:
        status = NGX_HTTP_BAD_REQUEST;
        reason = NGX_HTTP_INVSYNC_R_FORMAT;
        break;

    /* well-formed, but the worker could only dead-letter it: refused
     * here, so that the channel is told and can resend a fixed one */
    case INVSYNC_ERR_JSON_NUL:
    case INVSYNC_ERR_JSON_DUPLICATE:
    case INVSYNC_ERR_JSON_RANGE:
    case INVSYNC_ERR_JSON_OBJECT:
    case INVSYNC_ERR_UTF8:
        status = NGX_HTTP_BAD_REQUEST;
        reason = NGX_HTTP_INVSYNC_R_UNUSABLE;
        break;

    default:
        /* ours, not the sender's: a location missing what its scheme needs */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "invsync: %s, scheme \"%s\", channel \"%V\"", text,
                      ilcf->scheme->name, &ilcf->channel);
        ctx->result = NGX_HTTP_INVSYNC_ERROR;
        ngx_http_invsync_status_count(r, ctx->result,
                                      NGX_HTTP_INVSYNC_R_INTERNAL);
        return ngx_http_invsync_reply_error(r,
                                            NGX_HTTP_INTERNAL_SERVER_ERROR,
                                            text, 0);
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "invsync: %s, scheme \"%s\", channel \"%V\", body %uz bytes",
                  text, ilcf->scheme->name, &ilcf->channel, ctx->body.len);

    ctx->result = NGX_HTTP_INVSYNC_REJECTED;
    ngx_http_invsync_status_count(r, ctx->result, reason);

    return ngx_http_invsync_reply_error(r, status, text, 0);
}


/* our side failed: 503 with Retry-After, logged at error */

ngx_int_t
ngx_http_invsync_fail(ngx_http_request_t *r, ngx_int_t reason,
    const char *text)
{
    time_t                         retry_after;
    ngx_http_invsync_ctx_t        *ctx;
    ngx_http_invsync_loc_conf_t   *ilcf;
    ngx_http_invsync_main_conf_t  *imcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);
    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "invsync: %s, channel \"%V\", answering 503", text,
                  &ilcf->channel);

    ctx->result = NGX_HTTP_INVSYNC_ERROR;
    ngx_http_invsync_status_count(r, ctx->result, reason);

    retry_after = ngx_http_invsync_redis_retry_after(imcf->redis);

    return ngx_http_invsync_reply_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, text,
                                        retry_after);
}
