
/*
 * The console's actions on an exception, each a chain of scripts: to
 * resolve, lua/exc_get (what the audit names), exc_resolve.lua (the one
 * invsyncctl runs), the audit entry; to retry, lua/exc_cause (the cause
 * again in its stream, as invsyncctl adds it), exc_retry.lua, the audit
 * entry.  _console_act.c reads the request and starts the chain.
 */


#include "ngx_http_invsync_console.h"


static ngx_int_t ngx_http_invsync_console_exc_resolved(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);
static ngx_int_t ngx_http_invsync_console_exc_retried(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);


/* lua/exc_get answered {channel, event, order, kind}: exc_resolve.lua */

ngx_int_t
ngx_http_invsync_console_exc_resolve(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    ngx_str_t                               args[6];
    const ngx_http_invsync_console_blob_t  *b;

    if (rp->type != REDIS_REPLY_ARRAY) {
        return ngx_http_invsync_console_refused(r, rp, "exc_get");
    }

    if (rp->elements == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such exception");
    }

    if (rp->elements != 4
        || ngx_http_invsync_console_save(r, cx, rp, 0) != NGX_OK)
    {
        return ngx_http_invsync_console_refused(r, rp, "exc_get");
    }

    b = ngx_http_invsync_console_blob("lua/audit");

    if (b == NULL
        || ngx_http_invsync_console_keyed(r, &args[0], "exception:", &cx->id)
           != NGX_OK
        || ngx_http_invsync_console_keyed(r, &args[1], "exceptions:open",
                                          NULL)
           != NGX_OK
        || ngx_http_invsync_console_now(r, &args[3]) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[2] = cx->id;
    args[4] = cx->by;
    args[5] = cx->why;

    return ngx_http_invsync_console_eval(r, cx,
               (u_char *) invsync_script_exc_resolve,
               invsync_script_exc_resolve_len, 2, 6, args,
               ngx_http_invsync_console_exc_resolved);
}


/* exc_resolve.lua: {'done', previous state}, {'resolved', by, why}, ... */

static ngx_int_t
ngx_http_invsync_console_exc_resolved(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    ngx_str_t    extra[6];
    redisReply  *e;

    e = rp->type == REDIS_REPLY_ARRAY && rp->elements > 0
        ? rp->element[0] : NULL;

    if (e == NULL || e->type != REDIS_REPLY_STRING) {
        return ngx_http_invsync_console_refused(r, rp, "exc_resolve");
    }

    if (e->len == 4 && ngx_strncmp(e->str, "gone", 4) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such exception");
    }

    if (e->len == 8 && ngx_strncmp(e->str, "resolved", 8) == 0
        && rp->elements == 3)
    {
        return ngx_http_invsync_console_json(r, NGX_HTTP_CONFLICT,
                   json_pack("{s:s, s:s%, s:s%}",
                             "error", "resolved already",
                             "resolved_by", rp->element[1]->str,
                             rp->element[1]->len,
                             "resolution", rp->element[2]->str,
                             rp->element[2]->len));
    }

    if (e->len != 4 || ngx_strncmp(e->str, "done", 4) != 0
        || rp->elements != 2 || rp->element[1]->type != REDIS_REPLY_STRING)
    {
        return ngx_http_invsync_console_refused(r, rp, "exc_resolve");
    }

    ngx_str_set(&extra[0], "exception");
    extra[1] = cx->id;
    ngx_str_set(&extra[2], "kind");
    extra[3] = cx->saved[3];
    ngx_str_set(&extra[4], "previous");
    extra[5].len = rp->element[1]->len;
    extra[5].data = ngx_pnalloc(r->pool, extra[5].len + 1);

    if (extra[5].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(extra[5].data, rp->element[1]->str, extra[5].len);

    return ngx_http_invsync_console_audit(r, cx, 6, extra);
}


/* lua/exc_cause: {'ok', new, channel, event, order, kind, stream, entry} */

ngx_int_t
ngx_http_invsync_console_exc_caused(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    ngx_str_t    args[3];
    redisReply  *e;

    e = rp->type == REDIS_REPLY_ARRAY && rp->elements > 0
        ? rp->element[0] : NULL;

    if (e == NULL || e->type != REDIS_REPLY_STRING) {
        return ngx_http_invsync_console_refused(r, rp, "exc_cause");
    }

    if (e->len == 4 && ngx_strncmp(e->str, "gone", 4) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such exception");
    }

    if (e->len == 8 && ngx_strncmp(e->str, "resolved", 8) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_CONFLICT,
                   "resolved already: nothing to retry");
    }

    if (e->len == 7 && ngx_strncmp(e->str, "trimmed", 7) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_CONFLICT,
                   "its cause is gone from the stream (trimmed): "
                   "nothing was retried");
    }

    if (e->len == 6 && ngx_strncmp(e->str, "stream", 6) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_CONFLICT,
                   "its cause names a stream the worker does not read");
    }

    if (rp->elements != 8
        || ngx_http_invsync_console_save(r, cx, rp, 1) != NGX_OK)
    {
        return ngx_http_invsync_console_refused(r, rp, "exc_cause");
    }

    if (ngx_http_invsync_console_keyed(r, &args[0], "exception:", &cx->id)
        != NGX_OK
        || ngx_http_invsync_console_now(r, &args[1]) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[2] = cx->saved[0];

    return ngx_http_invsync_console_eval(r, cx,
               (u_char *) invsync_script_exc_retry,
               invsync_script_exc_retry_len, 1, 3, args,
               ngx_http_invsync_console_exc_retried);
}


/* exc_retry.lua noted the retry: the audit entry follows.  saved: new,
 * channel, event, order, kind, stream, entry */

static ngx_int_t
ngx_http_invsync_console_exc_retried(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    ngx_str_t  extra[10];

    if (rp->type != REDIS_REPLY_INTEGER) {
        return ngx_http_invsync_console_refused(r, rp, "exc_retry");
    }

    ngx_str_set(&extra[0], "exception");
    extra[1] = cx->id;
    ngx_str_set(&extra[2], "kind");
    extra[3] = cx->saved[4];
    ngx_str_set(&extra[4], "stream");
    extra[5] = cx->saved[5];
    ngx_str_set(&extra[6], "entry");
    extra[7] = cx->saved[6];
    ngx_str_set(&extra[8], "new_entry");
    extra[9] = cx->saved[0];

    /* the audit's channel, event, order: saved[1..3] */
    cx->saved[0] = cx->saved[1];
    cx->saved[1] = cx->saved[2];
    cx->saved[2] = cx->saved[3];

    return ngx_http_invsync_console_audit(r, cx, 10, extra);
}
