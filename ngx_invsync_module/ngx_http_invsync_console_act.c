
/*
 * The console's actions.  An action is a POST of JSON {"id", "reason"}
 * with the session's CSRF token in the X-Invsync-Csrf header (checked by
 * _console_session.c); it runs the scripts
 * invsyncctl runs for the same action (exc_resolve.lua, exc_retry.lua),
 * or the same steps as one script where invsyncctl sends commands
 * (lua/exc_cause, lua/dead_act), then the operator's audit entry.
 */


#include "ngx_http_invsync_console.h"


#define NGX_HTTP_INVSYNC_CONSOLE_BODY     8192


static ngx_uint_t ngx_http_invsync_console_which(ngx_str_t *what);
static void ngx_http_invsync_console_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_invsync_console_parse(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, const char **why);
static ngx_int_t ngx_http_invsync_console_start(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx);
static ngx_int_t ngx_http_invsync_console_dead(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);
static ngx_int_t ngx_http_invsync_console_audited(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);


static ngx_str_t  ngx_http_invsync_console_actions[] = {
    ngx_null_string,
    ngx_string("api/exception/resolve"),
    ngx_string("api/exception/retry"),
    ngx_string("api/dead/retry"),
    ngx_string("api/dead/drop")
};

/* the streams a cause or a letter may go back to (docs/keys.md) */
static ngx_str_t  ngx_http_invsync_console_back[] = {
    ngx_string("orders"),
    ngx_string("refunds"),
    ngx_string("fulfillments"),
    ngx_string("stock"),
    ngx_string("other")
};


ngx_uint_t
ngx_http_invsync_console_is_action(ngx_str_t *what)
{
    return ngx_http_invsync_console_which(what) != 0;
}


static ngx_uint_t
ngx_http_invsync_console_which(ngx_str_t *what)
{
    ngx_uint_t  i;

    for (i = 1; i <= NGX_HTTP_INVSYNC_ACT_DEAD_DROP; i++) {
        if (what->len == ngx_http_invsync_console_actions[i].len
            && ngx_strncmp(what->data,
                           ngx_http_invsync_console_actions[i].data,
                           what->len) == 0)
        {
            return i;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_invsync_console_act(ngx_http_request_t *r, ngx_str_t *what)
{
    ngx_int_t                        rc;
    ngx_str_t                        by;
    const char                      *why;
    ngx_http_invsync_console_ctx_t  *cx;

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_invsync_console_header(r, "Allow", "POST") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_ALLOWED,
                                              "an action needs a POST");
    }

    rc = ngx_http_invsync_console_csrf(r, &by, &why);
    if (rc != NGX_OK) {
        return ngx_http_invsync_console_error(r, rc, why);
    }

    if (r->headers_in.content_type == NULL
        || r->headers_in.content_type->value.len < 16
        || ngx_strncasecmp(r->headers_in.content_type->value.data,
                           (u_char *) "application/json", 16) != 0)
    {
        return ngx_http_invsync_console_error(r,
                   NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                   "an action is a JSON body");
    }

    if (r->headers_in.content_length_n > NGX_HTTP_INVSYNC_CONSOLE_BODY) {
        return ngx_http_invsync_console_error(r,
                   NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "body too large");
    }

    cx = ngx_pcalloc(r->pool, sizeof(ngx_http_invsync_console_ctx_t));
    if (cx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cx->by = by;
    cx->kind = ngx_http_invsync_console_which(what);
    ngx_http_set_ctx(r, &cx->base, ngx_http_invsync_module);

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_invsync_console_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_invsync_console_body(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    const char                      *why;
    ngx_http_invsync_console_ctx_t  *cx;

    cx = (ngx_http_invsync_console_ctx_t *)
         ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    rc = ngx_http_invsync_console_parse(r, cx, &why);

    if (rc == NGX_OK) {
        rc = ngx_http_invsync_console_start(r, cx);

    } else if (why != NULL) {
        rc = ngx_http_invsync_console_error(r, rc, why);
    }

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/* {"id": "...", "reason": "..."}: the reason is required to resolve and
 * to drop, as invsyncctl requires --why.  NGX_OK, or the status to answer
 * with *why */

static ngx_int_t
ngx_http_invsync_console_parse(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, const char **why)
{
    u_char       *p;
    json_t       *doc;
    size_t        len, idlen, whylen;
    ngx_int_t     rc;
    const char   *id, *reason;
    ngx_chain_t  *cl;

    len = 0;
    *why = "body too large";

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (cl->buf->in_file || len > NGX_HTTP_INVSYNC_CONSOLE_BODY) {
            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        len += cl->buf->last - cl->buf->pos;
    }

    *why = NULL;

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        ngx_memcpy(p + len, cl->buf->pos, cl->buf->last - cl->buf->pos);
        len += cl->buf->last - cl->buf->pos;
    }

    doc = json_loadb((char *) p, len, JSON_REJECT_DUPLICATES, NULL);
    id = json_string_value(json_object_get(doc, "id"));
    reason = json_string_value(json_object_get(doc, "reason"));
    idlen = id ? ngx_strlen(id) : 0;
    whylen = reason ? ngx_strlen(reason) : 0;
    rc = NGX_HTTP_BAD_REQUEST;

    if (idlen == 0 || idlen > NGX_HTTP_INVSYNC_CONSOLE_ARG_MAX) {
        *why = "the body needs an id";

    } else if (whylen == 0
               && (cx->kind == NGX_HTTP_INVSYNC_ACT_RESOLVE
                   || cx->kind == NGX_HTTP_INVSYNC_ACT_DEAD_DROP))
    {
        *why = "a reason is required: the audit keeps it";

    } else if (whylen > 1000) {
        *why = "the reason is longer than 1000 bytes";

    } else {
        cx->id.len = idlen;
        cx->why.len = whylen;
        cx->id.data = ngx_pnalloc(r->pool, idlen + whylen + 1);

        if (cx->id.data == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

        } else {
            ngx_memcpy(cx->id.data, id, idlen);
            cx->why.data = cx->id.data + idlen;
            ngx_memcpy(cx->why.data, reason ? reason : "", whylen);
            rc = NGX_OK;
        }
    }

    json_decref(doc);

    return rc;
}


static ngx_int_t
ngx_http_invsync_console_start(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx)
{
    ngx_str_t                      args[8];
    ngx_uint_t                     i, n;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    /* the stream key prefix "<p>:" */
    args[0].data = ngx_pnalloc(r->pool, imcf->prefix.len + 1);
    if (args[0].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[0].len = ngx_sprintf(args[0].data, "%V:", &imcf->prefix)
                  - args[0].data;
    args[1] = cx->id;
    n = 2;

    switch (cx->kind) {

    case NGX_HTTP_INVSYNC_ACT_RESOLVE:
        cx->action = "operator.exception.resolve";
        return ngx_http_invsync_console_run(r, cx, "lua/exc_get", 1,
                   &cx->id, ngx_http_invsync_console_exc_resolve);

    case NGX_HTTP_INVSYNC_ACT_RETRY:
        cx->action = "operator.exception.retry";
        break;

    case NGX_HTTP_INVSYNC_ACT_DEAD_RETRY:
        cx->action = "operator.dlq.retry";
        ngx_str_set(&args[n], "retry");
        n++;
        break;

    default:
        cx->action = "operator.dlq.drop";
        ngx_str_set(&args[n], "drop");
        n++;
    }

    for (i = 0; i < 5; i++) {
        args[n++] = ngx_http_invsync_console_back[i];
    }

    return ngx_http_invsync_console_run(r, cx,
               cx->kind == NGX_HTTP_INVSYNC_ACT_RETRY
               ? "lua/exc_cause" : "lua/dead_act", n, args,
               cx->kind == NGX_HTTP_INVSYNC_ACT_RETRY
               ? ngx_http_invsync_console_exc_caused
               : ngx_http_invsync_console_dead);
}


/* the string elements of a reply from `from` on, kept for the next steps */

ngx_int_t
ngx_http_invsync_console_save(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp, size_t from)
{
    size_t       i;
    ngx_str_t   *s;
    redisReply  *e;

    cx->nsaved = 0;

    for (i = from; i < rp->elements; i++) {
        e = rp->element[i];

        if (e->type != REDIS_REPLY_STRING
            || cx->nsaved == NGX_HTTP_INVSYNC_CONSOLE_SAVED)
        {
            return NGX_ERROR;
        }

        s = &cx->saved[cx->nsaved++];
        s->len = e->len;
        s->data = ngx_pnalloc(r->pool, e->len + 1);

        if (s->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(s->data, e->str, e->len);
        s->data[e->len] = '\0';
    }

    return NGX_OK;
}


/* lua/dead_act: {'ok', new, stream, entry, channel, event, topic, reason} */

static ngx_int_t
ngx_http_invsync_console_dead(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    ngx_str_t    extra[12], new, stream, entry, topic, reason;
    ngx_uint_t   n;
    redisReply  *e;

    e = rp->type == REDIS_REPLY_ARRAY && rp->elements > 0
        ? rp->element[0] : NULL;

    if (e == NULL || e->type != REDIS_REPLY_STRING) {
        return ngx_http_invsync_console_refused(r, rp, "dead_act");
    }

    if (e->len == 4 && ngx_strncmp(e->str, "gone", 4) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such dead letter");
    }

    if (e->len == 6 && ngx_strncmp(e->str, "stream", 6) == 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_CONFLICT,
                   "it came from a stream the worker does not read; "
                   "left as it is");
    }

    if (rp->elements != 8
        || ngx_http_invsync_console_save(r, cx, rp, 1) != NGX_OK)
    {
        return ngx_http_invsync_console_refused(r, rp, "dead_act");
    }

    new = cx->saved[0];
    stream = cx->saved[1];
    entry = cx->saved[2];
    topic = cx->saved[5];
    reason = cx->saved[6];

    /* the audit's channel, event, no order */
    cx->saved[0] = cx->saved[3];
    cx->saved[1] = cx->saved[4];
    ngx_str_set(&cx->saved[2], "");

    n = 0;
    ngx_str_set(&extra[n], "dlq");
    extra[n + 1] = cx->id;
    ngx_str_set(&extra[n + 2], "stream");
    extra[n + 3] = stream;
    ngx_str_set(&extra[n + 4], "entry");
    extra[n + 5] = entry;
    n += 6;

    if (cx->kind == NGX_HTTP_INVSYNC_ACT_DEAD_RETRY) {
        ngx_str_set(&extra[n], "new_entry");
        extra[n + 1] = new;
        n += 2;
    }

    ngx_str_set(&extra[n], "topic");
    extra[n + 1] = topic;
    ngx_str_set(&extra[n + 2], "reason");
    extra[n + 3] = reason;
    n += 4;

    cx->saved[3] = new;

    return ngx_http_invsync_console_audit(r, cx, n, extra);
}


/* lua/audit: now, action, by, why, channel, event, order (saved[0..2]) */

ngx_int_t
ngx_http_invsync_console_audit(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, ngx_uint_t n, ngx_str_t *extra)
{
    ngx_str_t  args[7 + 12];

    if (ngx_http_invsync_console_now(r, &args[0]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[1].data = (u_char *) cx->action;
    args[1].len = ngx_strlen(cx->action);
    args[2] = cx->by;
    args[3] = cx->why;
    args[4] = cx->saved[0];
    args[5] = cx->saved[1];
    args[6] = cx->saved[2];
    ngx_memcpy(&args[7], extra, n * sizeof(ngx_str_t));

    return ngx_http_invsync_console_run(r, cx, "lua/audit", 7 + n, args,
                                        ngx_http_invsync_console_audited);
}


static ngx_int_t
ngx_http_invsync_console_audited(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    json_t  *doc;

    if (rp->type != REDIS_REPLY_STRING) {
        return ngx_http_invsync_console_refused(r, rp, "audit");
    }

    doc = json_pack("{s:s, s:s%, s:s%, s:s%}", "done", cx->action,
                    "id", cx->id.data, cx->id.len,
                    "by", cx->by.data, cx->by.len,
                    "audit", rp->str, rp->len);

    if (doc != NULL) {
        if (cx->kind == NGX_HTTP_INVSYNC_ACT_DEAD_RETRY) {
            json_object_set_new(doc, "new_entry",
                                json_stringn((char *) cx->saved[3].data,
                                             cx->saved[3].len));
        }
    }

    return ngx_http_invsync_console_json(r, NGX_HTTP_OK, doc);
}


ngx_int_t
ngx_http_invsync_console_refused(ngx_http_request_t *r, redisReply *rp,
    const char *what)
{
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "invsync console: the %s script answered type %d, "
                  "%uz elements", what, rp->type, rp->elements);

    return ngx_http_invsync_console_error(r, NGX_HTTP_BAD_GATEWAY,
                                          "redis answered oddly");
}


/* <prefix>:{<prefix>}:<name><id>, id NULL for none */

ngx_int_t
ngx_http_invsync_console_keyed(ngx_http_request_t *r, ngx_str_t *key,
    const char *name, ngx_str_t *id)
{
    ngx_str_t  k, none = ngx_string("");

    if (ngx_http_invsync_console_keyprefix(r, &k) != NGX_OK) {
        return NGX_ERROR;
    }

    id = id ? id : &none;
    key->data = ngx_pnalloc(r->pool, k.len + ngx_strlen(name) + id->len);

    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = ngx_sprintf(key->data, "%V%s%V", &k, name, id) - key->data;

    return NGX_OK;
}
