
/*
 * The JSON answers of an ingestion location (CONTRACT section 3).  Every
 * text placed in them is static or validated ASCII: reasons come from
 * invsync_strerror(), stream names are checked at configuration time and
 * stream ids come from Redis.
 */


#include "ngx_http_invsync_module.h"


ngx_int_t
ngx_http_invsync_reply(ngx_http_request_t *r, ngx_uint_t status, u_char *body,
    size_t len, time_t retry_after)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "invsync reply status:%ui, %uz bytes, retry after %T",
                   status, len, retry_after);

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (retry_after > 0) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (h->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        h->value.len = ngx_sprintf(h->value.data, "%T", retry_after)
                       - h->value.data;
    }

    if (r->header_only || r->method == NGX_HTTP_HEAD) {
        return ngx_http_send_header(r);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_invsync_reply_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *reason, time_t retry_after)
{
    u_char  *body, *last;
    size_t   len;

    len = sizeof("{\"status\":\"error\",\"error\":\"\"}") - 1
          + ngx_strlen(reason);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(body, "{\"status\":\"error\",\"error\":\"%s\"}",
                       reason);

    return ngx_http_invsync_reply(r, status, body, last - body, retry_after);
}


ngx_int_t
ngx_http_invsync_reply_accepted(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx)
{
    u_char  *body, *last;
    size_t   len;

    len = sizeof("{\"status\":\"accepted\",\"stream\":\"\",\"id\":\"\"}") - 1
          + ctx->stream.len + ctx->stream_id.len;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(body, "{\"status\":\"accepted\",\"stream\":\"%V\","
                       "\"id\":\"%V\"}", &ctx->stream, &ctx->stream_id);

    return ngx_http_invsync_reply(r, NGX_HTTP_OK, body, last - body, 0);
}
