
/*
 * invsync_console: a location serving the operations console, a static
 * page with its stylesheet and script, and the JSON it reads under api/.
 * Every read is one Lua script run by Redis on this worker process's own
 * asynchronous connection (as the status page reads the heartbeats): the
 * script gathers a page's data in one step and answers JSON text, which
 * is passed on as it is.  The actions (POST) are in _console_act.c.
 */


#include <openssl/rand.h>

#include "ngx_http_invsync_console.h"


static ngx_int_t ngx_http_invsync_console_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_invsync_console_get(ngx_http_request_t *r,
    ngx_str_t *path);
static ngx_int_t ngx_http_invsync_console_asset(ngx_http_request_t *r,
    ngx_str_t *path);
static ngx_int_t ngx_http_invsync_console_file(ngx_http_request_t *r,
    const char *name, const char *type);
static void ngx_http_invsync_console_done(ngx_http_request_t *r,
    void *reply);
static void ngx_http_invsync_console_timeout(ngx_event_t *ev);
static ngx_int_t ngx_http_invsync_console_headers(ngx_http_request_t *r,
    const char *type);


/* what the page may load: itself, nothing from elsewhere, no framing */
static const char  ngx_http_invsync_console_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";


char *
ngx_http_invsync_console_set(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_invsync_main_conf_t  *imcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex != NULL) {
        return "needs a prefix location, not a regular expression";
    }
#endif

    if (clcf->handler != NULL) {
        return "is duplicate, or the location has another handler";
    }

    clcf->handler = ngx_http_invsync_console_handler;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_invsync_module);
    imcf->enabled = 1;

    /*
     * The CSRF key: drawn here, in the master, so every worker process of
     * this configuration has the same one; a reload draws another (a page
     * then fetches a new token, see docs/console.md).
     */
    if (!imcf->console_keyed) {
        if (RAND_bytes(imcf->console_key, sizeof(imcf->console_key)) != 1) {
            return "could not draw the CSRF key";
        }

        imcf->console_keyed = 1;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_invsync_console_handler(ngx_http_request_t *r)
{
    ngx_str_t                  path;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (r->uri.len < clcf->name.len
        || ngx_strncmp(r->uri.data, clcf->name.data, clcf->name.len) != 0)
    {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such console page");
    }

    path.data = r->uri.data + clcf->name.len;
    path.len = r->uri.len - clcf->name.len;

    if (path.len > 0 && path.data[0] == '/') {
        path.data++;
        path.len--;
    }

    if (ngx_http_invsync_console_is_action(&path)) {
        return ngx_http_invsync_console_act(r, &path);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_invsync_console_header(r, "Allow", "GET, HEAD")
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_ALLOWED,
                                              "only GET reads the console");
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_invsync_console_get(r, &path);
}


static ngx_int_t
ngx_http_invsync_console_get(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_int_t                        rc;
    ngx_str_t                        what;
    ngx_http_invsync_console_ctx_t  *cx;

    if (path->len == 0
        || (path->len == 10 && ngx_strncmp(path->data, "index.html", 10) == 0))
    {
        return ngx_http_invsync_console_session(r, 1);
    }

    rc = ngx_http_invsync_console_asset(r, path);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (path->len == 11 && ngx_strncmp(path->data, "api/session", 11) == 0) {
        return ngx_http_invsync_console_session(r, 0);
    }

    if (path->len < 5 || ngx_strncmp(path->data, "api/", 4) != 0) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_NOT_FOUND,
                                              "no such console page");
    }

    what.data = path->data + 4;
    what.len = path->len - 4;

    cx = ngx_pcalloc(r->pool, sizeof(ngx_http_invsync_console_ctx_t));
    if (cx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, &cx->base, ngx_http_invsync_module);

    rc = ngx_http_invsync_console_read(r, cx, &what);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


const ngx_http_invsync_console_blob_t *
ngx_http_invsync_console_blob(const char *name)
{
    size_t                                  len;
    const ngx_http_invsync_console_blob_t  *b;

    len = ngx_strlen(name);

    for (b = ngx_http_invsync_console_blobs; b->data != NULL; b++) {
        if (b->name.len == len
            && ngx_strncmp(b->name.data, name, len) == 0)
        {
            return b;
        }
    }

    return NULL;
}


/*
 * The page's stylesheet and scripts: a blob named by the path, which ends
 * in .css or .js and has no "/" (the Lua scripts are "lua/<name>" and are
 * never served).  NGX_DECLINED for any other path.
 */

static ngx_int_t
ngx_http_invsync_console_asset(ngx_http_request_t *r, ngx_str_t *path)
{
    u_char  name[64];

    if (path->len == 0 || path->len >= sizeof(name)
        || ngx_strlchr(path->data, path->data + path->len, '/') != NULL)
    {
        return NGX_DECLINED;
    }

    ngx_memcpy(name, path->data, path->len);
    name[path->len] = '\0';

    if (ngx_http_invsync_console_blob((char *) name) == NULL) {
        return NGX_DECLINED;
    }

    if (path->len > 4
        && ngx_strncmp(path->data + path->len - 4, ".css", 4) == 0)
    {
        return ngx_http_invsync_console_file(r, (char *) name,
                                             "text/css; charset=utf-8");
    }

    if (path->len > 3
        && ngx_strncmp(path->data + path->len - 3, ".js", 3) == 0)
    {
        return ngx_http_invsync_console_file(r, (char *) name,
                                             "text/javascript; charset=utf-8");
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_invsync_console_file(ngx_http_request_t *r, const char *name,
    const char *type)
{
    const ngx_http_invsync_console_blob_t  *b;

    b = ngx_http_invsync_console_blob(name);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_invsync_console_send(r, NGX_HTTP_OK, type, b->data,
                                         b->len);
}


/*
 * Runs a console script: EVAL <script> 0 <K> <args...>, every key built
 * by the script from K, "<prefix>:{<prefix>}:" (docs/keys.md).
 */

ngx_int_t
ngx_http_invsync_console_run(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, const char *script, ngx_uint_t n,
    ngx_str_t *args, ngx_http_invsync_console_step_pt step)
{
    ngx_str_t                              *all;
    const ngx_http_invsync_console_blob_t  *b;

    b = ngx_http_invsync_console_blob(script);
    all = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_str_t));

    if (b == NULL || all == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_invsync_console_keyprefix(r, &all[0]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(&all[1], args, n * sizeof(ngx_str_t));

    return ngx_http_invsync_console_eval(r, cx, b->data, b->len, 0, n + 1,
                                         all, step);
}


/*
 * EVAL script nkeys args...: the reply goes to step, within
 * invsync_redis_timeout.  NGX_DONE when sent, else the status to answer.
 */

ngx_int_t
ngx_http_invsync_console_eval(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, const u_char *script, size_t len,
    ngx_uint_t nkeys, ngx_uint_t n, ngx_str_t *args,
    ngx_http_invsync_console_step_pt step)
{
    u_char                        *p;
    ngx_uint_t                     i;
    const char                   **argv;
    size_t                        *argvlen;
    ngx_http_invsync_pending_t    *pending;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    if (!ngx_http_invsync_redis_ready(imcf->redis)) {
        return ngx_http_invsync_console_error(r,
                                              NGX_HTTP_SERVICE_UNAVAILABLE,
                                              "redis unavailable");
    }

    argv = ngx_palloc(r->pool, (n + 3) * sizeof(char *));
    argvlen = ngx_palloc(r->pool, (n + 3) * sizeof(size_t));
    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);

    if (argv == NULL || argvlen == NULL || p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = "EVAL";
    argvlen[0] = 4;
    argv[1] = (const char *) script;
    argvlen[1] = len;
    argv[2] = (const char *) p;
    argvlen[2] = ngx_sprintf(p, "%ui", nkeys) - p;

    for (i = 0; i < n; i++) {
        argv[i + 3] = (const char *) args[i].data;
        argvlen[i + 3] = args[i].len;
    }

    pending = ngx_http_invsync_pending_new(r, &cx->base,
                                           ngx_http_invsync_console_done);
    if (pending == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_invsync_redis_query(imcf->redis, pending, (int) n + 3,
                                     argv, argvlen)
        != NGX_OK)
    {
        cx->base.pending = NULL;
        ngx_free(pending);
        return ngx_http_invsync_console_error(r,
                                              NGX_HTTP_SERVICE_UNAVAILABLE,
                                              "redis unavailable");
    }

    cx->step = step;
    cx->base.timeout.handler = ngx_http_invsync_console_timeout;
    cx->base.timeout.data = r;
    cx->base.timeout.log = r->connection->log;
    ngx_add_timer(&cx->base.timeout, imcf->timeout);

    return NGX_DONE;
}


static void
ngx_http_invsync_console_done(ngx_http_request_t *r, void *reply)
{
    ngx_int_t                        rc;
    redisReply                      *rp = reply;
    ngx_http_invsync_console_ctx_t  *cx;

    cx = (ngx_http_invsync_console_ctx_t *)
         ngx_http_get_module_ctx(r, ngx_http_invsync_module);
    cx->base.pending = NULL;

    if (cx->base.timeout.timer_set) {
        ngx_del_timer(&cx->base.timeout);
    }

    if (rp == NULL) {
        rc = ngx_http_invsync_console_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                            "redis connection lost");

    } else if (rp->type == REDIS_REPLY_ERROR) {
        /* a script's own refusal; Redis's words go to the log only */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "invsync console: redis refused a command: %*s",
                      (size_t) ngx_min(rp->len, 200), rp->str);
        rc = ngx_http_invsync_console_error(r, NGX_HTTP_BAD_GATEWAY,
                                            "redis refused the command");

    } else {
        rc = cx->step(r, cx, rp);
    }

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static void
ngx_http_invsync_console_timeout(ngx_event_t *ev)
{
    ngx_connection_t                *c;
    ngx_http_request_t              *r;
    ngx_http_invsync_console_ctx_t  *cx;

    r = ev->data;
    c = r->connection;
    cx = (ngx_http_invsync_console_ctx_t *)
         ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    if (cx->base.pending != NULL) {
        cx->base.pending->request = NULL;
        cx->base.pending = NULL;
    }

    ngx_http_finalize_request(r, ngx_http_invsync_console_error(r,
                                  NGX_HTTP_GATEWAY_TIME_OUT,
                                  "redis timed out"));
    ngx_http_run_posted_requests(c);
}


/* K: "<prefix>:{<prefix>}:", the prefix of every worker key */

ngx_int_t
ngx_http_invsync_console_keyprefix(ngx_http_request_t *r, ngx_str_t *k)
{
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    k->data = ngx_pnalloc(r->pool, 2 * imcf->prefix.len + 4);
    if (k->data == NULL) {
        return NGX_ERROR;
    }

    k->len = ngx_sprintf(k->data, "%V:{%V}:", &imcf->prefix, &imcf->prefix)
             - k->data;

    return NGX_OK;
}


/* now, Unix milliseconds, as text */

ngx_int_t
ngx_http_invsync_console_now(ngx_http_request_t *r, ngx_str_t *s)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    s->data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    s->len = ngx_sprintf(s->data, "%L",
                         (int64_t) tp->sec * 1000 + (int64_t) tp->msec)
             - s->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_invsync_console_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *doc)
{
    char       *s;
    size_t      len;
    u_char     *p;

    s = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);

    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(s);
    p = ngx_pnalloc(r->pool, len);

    if (p != NULL) {
        ngx_memcpy(p, s, len);
    }

    free(s);

    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_invsync_console_send(r, status, "application/json", p,
                                         len);
}


/* why: static ASCII text without quotes or backslashes */

ngx_int_t
ngx_http_invsync_console_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *why)
{
    u_char  *p, *last;

    p = ngx_pnalloc(r->pool, ngx_strlen(why) + sizeof("{\"error\":\"\"}"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(p, "{\"error\":\"%s\"}", why);

    return ngx_http_invsync_console_send(r, status, "application/json", p,
                                         last - p);
}


ngx_int_t
ngx_http_invsync_console_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const u_char *data, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (ngx_http_invsync_console_headers(r, type) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = (u_char *) data;
    b->last = (u_char *) data + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* nothing of the console is cached, sniffed, framed or fetched elsewhere */

static ngx_int_t
ngx_http_invsync_console_headers(ngx_http_request_t *r, const char *type)
{
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (ngx_http_invsync_console_header(r, "Cache-Control", "no-store")
        != NGX_OK
        || ngx_http_invsync_console_header(r, "X-Content-Type-Options",
                                           "nosniff") != NGX_OK
        || ngx_http_invsync_console_header(r, "X-Frame-Options", "DENY")
           != NGX_OK
        || ngx_http_invsync_console_header(r, "Referrer-Policy",
                                           "no-referrer") != NGX_OK
        || ngx_http_invsync_console_header(r, "Content-Security-Policy",
                                           ngx_http_invsync_console_csp)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_invsync_console_header(ngx_http_request_t *r, const char *key,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);

    return NGX_OK;
}
