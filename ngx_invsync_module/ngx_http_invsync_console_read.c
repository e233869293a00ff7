
/*
 * The console's reads, GET <location>api/<what>: each is one script of
 * console/lua/ with the request's arguments, checked here, and answers
 * the script's JSON text.  The overview adds this nginx's own ingest
 * counters from the shared zone, the SKU page what each channel should
 * show (_console_sku.c).
 */


#include "ngx_http_invsync_console.h"


typedef struct {
    const char     *name;           /* api/<name>, and lua/<name> */
    const char     *args[6];        /* query arguments, in script order */
    ngx_uint_t      required;       /* how many of them must be given */
    ngx_http_invsync_console_step_pt  done;     /* NULL: the script's JSON
                                                 * answered as it is */
} ngx_http_invsync_console_reader_t;


static ngx_int_t ngx_http_invsync_console_overview(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx);
static ngx_int_t ngx_http_invsync_console_passed(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);
static ngx_int_t ngx_http_invsync_console_overview_done(
    ngx_http_request_t *r, ngx_http_invsync_console_ctx_t *cx,
    redisReply *rp);
static json_t *ngx_http_invsync_console_ingest(ngx_http_request_t *r);


static const ngx_http_invsync_console_reader_t  ngx_http_invsync_readers[] = {
    { "exceptions", { "state", "kind", "channel", "sku", "cursor", "limit" },
      0, NULL },
    { "exception", { "id" }, 1, NULL },
    { "dlq", { "cursor", "limit" }, 0, NULL },
    { "dead", { "id" }, 1, NULL },
    { "sku", { "sku" }, 1, ngx_http_invsync_console_sku_done },
    { "order", { "order" }, 1, NULL },
    { NULL, { NULL }, 0, NULL }
};


/* the streams of docs/keys.md, for their lengths and pending entries */
static ngx_str_t  ngx_http_invsync_console_streams[] = {
    ngx_string("orders"),
    ngx_string("refunds"),
    ngx_string("fulfillments"),
    ngx_string("stock"),
    ngx_string("other")
};


ngx_int_t
ngx_http_invsync_console_read(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, ngx_str_t *what)
{
    u_char                                   name[32];
    ngx_int_t                                rc;
    const char                              *why;
    ngx_str_t                                args[6];
    ngx_uint_t                               i;
    const ngx_http_invsync_console_reader_t *rd;

    if (what->len == 8 && ngx_strncmp(what->data, "overview", 8) == 0) {
        return ngx_http_invsync_console_overview(r, cx);
    }

    for (rd = ngx_http_invsync_readers; rd->name != NULL; rd++) {
        if (what->len == ngx_strlen(rd->name)
            && ngx_strncmp(what->data, rd->name, what->len) == 0)
        {
            break;
        }
    }

    if (rd->name == NULL) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such console endpoint");
    }

    for (i = 0; i < 6 && rd->args[i] != NULL; i++) {
        rc = ngx_http_invsync_console_arg(r, rd->args[i], &args[i], &why);

        if (rc != NGX_OK) {
            return why ? ngx_http_invsync_console_error(r, rc, why) : rc;
        }

        if (i < rd->required && args[i].len == 0) {
            return ngx_http_invsync_console_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "an argument is missing");
        }
    }

    ngx_sprintf(name, "lua/%s%Z", rd->name);

    return ngx_http_invsync_console_run(r, cx, (char *) name, i, args,
                                        rd->done ? rd->done
                                        : ngx_http_invsync_console_passed);
}


/*
 * A query argument, percent-decoded into the pool: at most 512 bytes and
 * no control characters, so a script never sees what no key can hold.
 * NGX_OK, or the status to answer with *why.
 */

ngx_int_t
ngx_http_invsync_console_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *out, const char **why)
{
    u_char     *dst, *src, *p;
    ngx_str_t   raw;

    out->data = (u_char *) "";
    out->len = 0;
    *why = NULL;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &raw) != NGX_OK
        || raw.len == 0)
    {
        return NGX_OK;
    }

    *why = "an argument is too long";

    if (raw.len > 3 * NGX_HTTP_INVSYNC_CONSOLE_ARG_MAX) {
        return NGX_HTTP_BAD_REQUEST;
    }

    dst = ngx_pnalloc(r->pool, raw.len);
    if (dst == NULL) {
        *why = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    out->data = dst;
    src = raw.data;
    ngx_unescape_uri(&dst, &src, raw.len, 0);
    out->len = dst - out->data;

    if (out->len > NGX_HTTP_INVSYNC_CONSOLE_ARG_MAX) {
        return NGX_HTTP_BAD_REQUEST;
    }

    *why = "an argument holds a control character";

    for (p = out->data; p < dst; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    *why = NULL;

    return NGX_OK;
}


/* the script's answer is the page's JSON */

static ngx_int_t
ngx_http_invsync_console_passed(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    u_char  *p;

    if (rp->type != REDIS_REPLY_STRING) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_BAD_GATEWAY,
                                              "redis answered oddly");
    }

    p = ngx_pnalloc(r->pool, rp->len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, rp->str, rp->len);

    /* a script's {"error": "no such ..."}: the page asked is not there */
    return ngx_http_invsync_console_send(r,
               rp->len > 9 && ngx_strncmp(p, "{\"error\":", 9) == 0
               ? NGX_HTTP_NOT_FOUND : NGX_HTTP_OK,
               "application/json", p, rp->len);
}


/* lua/overview: now, the streams, then the channels this nginx ingests */

static ngx_int_t
ngx_http_invsync_console_overview(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx)
{
    ngx_str_t                     *args, *names;
    ngx_uint_t                     i, n, ns;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    ns = sizeof(ngx_http_invsync_console_streams) / sizeof(ngx_str_t);
    n = 3 + ns + imcf->channels.nelts;

    args = ngx_palloc(r->pool, n * sizeof(ngx_str_t));
    if (args == NULL || ngx_http_invsync_console_now(r, &args[1]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[0].data = ngx_pnalloc(r->pool, imcf->prefix.len + 1);
    args[2].data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);

    if (args[0].data == NULL || args[2].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[0].len = ngx_sprintf(args[0].data, "%V:", &imcf->prefix)
                  - args[0].data;
    args[2].len = ngx_sprintf(args[2].data, "%ui", ns) - args[2].data;

    for (i = 0; i < ns; i++) {
        args[3 + i] = ngx_http_invsync_console_streams[i];
    }

    names = imcf->channels.elts;

    for (i = 0; i < imcf->channels.nelts; i++) {
        args[3 + ns + i] = names[i];
    }

    return ngx_http_invsync_console_run(r, cx, "lua/overview", n, args,
                                        ngx_http_invsync_console_overview_done);
}


static ngx_int_t
ngx_http_invsync_console_overview_done(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    json_t  *doc;

    doc = NULL;

    if (rp->type == REDIS_REPLY_STRING) {
        doc = json_loadb(rp->str, rp->len, 0, NULL);
    }

    if (!json_is_object(doc)) {
        json_decref(doc);
        return ngx_http_invsync_console_error(r, NGX_HTTP_BAD_GATEWAY,
                                              "redis answered oddly");
    }

    json_object_set_new(doc, "ingest", ngx_http_invsync_console_ingest(r));

    return ngx_http_invsync_console_json(r, NGX_HTTP_OK, doc);
}


/* this nginx's counters: accepted, duplicate, ... per channel */

static json_t *
ngx_http_invsync_console_ingest(ngx_http_request_t *r)
{
    json_t                            *all, *one;
    ngx_uint_t                         i;
    ngx_http_invsync_shctx_t          *sh;
    ngx_http_invsync_main_conf_t      *imcf;
    ngx_http_invsync_channel_stats_t  *s;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    sh = imcf->sh;
    all = json_array();

    if (sh == NULL || all == NULL) {
        return all;
    }

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        one = json_pack("{s:s%, s:I, s:I, s:I, s:I, s:I}",
                        "channel", (char *) s->name, s->name_len,
                        "accepted",
                        (json_int_t) s->results[NGX_HTTP_INVSYNC_ACCEPTED],
                        "duplicate",
                        (json_int_t) s->results[NGX_HTTP_INVSYNC_DUPLICATE],
                        "ignored",
                        (json_int_t) s->results[NGX_HTTP_INVSYNC_IGNORED],
                        "rejected",
                        (json_int_t) s->results[NGX_HTTP_INVSYNC_REJECTED],
                        "error",
                        (json_int_t) s->results[NGX_HTTP_INVSYNC_ERROR]);

        if (one != NULL) {
            json_array_append_new(all, one);
        }
    }

    return all;
}
