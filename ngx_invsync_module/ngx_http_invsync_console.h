
/*
 * The operations console (invsync_console): what its files share.  The
 * location's handler and the Redis call are in ngx_http_invsync_console.c,
 * the reads in _console_read.c (the SKU's answer in _console_sku.c), the
 * session and its CSRF token in _console_session.c, the actions in
 * _console_act.c and _console_exc.c,
 * the page's files and the Lua scripts in _console_blobs.c (generated
 * from console/ by console/gen_console.pl).
 */


#ifndef NGX_HTTP_INVSYNC_CONSOLE_H_INCLUDED
#define NGX_HTTP_INVSYNC_CONSOLE_H_INCLUDED


#include <hiredis/hiredis.h>
#include <jansson.h>

#include "ngx_http_invsync_module.h"


#define NGX_HTTP_INVSYNC_CONSOLE_ARG_MAX   512
#define NGX_HTTP_INVSYNC_CONSOLE_SAVED     8


typedef enum {
    NGX_HTTP_INVSYNC_ACT_RESOLVE = 1,
    NGX_HTTP_INVSYNC_ACT_RETRY,
    NGX_HTTP_INVSYNC_ACT_DEAD_RETRY,
    NGX_HTTP_INVSYNC_ACT_DEAD_DROP
} ngx_http_invsync_act_e;


typedef struct ngx_http_invsync_console_ctx_s
    ngx_http_invsync_console_ctx_t;

/* takes the reply of a console command; answers r, or sends the next one */
typedef ngx_int_t (*ngx_http_invsync_console_step_pt)(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);


/* a file of the page, or a Lua script ("lua/<name>") */
typedef struct {
    ngx_str_t               name;
    const u_char           *data;
    size_t                  len;
} ngx_http_invsync_console_blob_t;


struct ngx_http_invsync_console_ctx_s {
    ngx_http_invsync_ctx_t            base;   /* first: the pending token's
                                               * cleanup takes it */
    ngx_http_invsync_console_step_pt  step;
    ngx_str_t                         id;
    ngx_str_t                         why;
    ngx_str_t                         by;
    ngx_str_t                         saved[NGX_HTTP_INVSYNC_CONSOLE_SAVED];
    ngx_uint_t                        nsaved;
    ngx_uint_t                        kind;   /* the action */
    const char                       *action;
};


extern const ngx_http_invsync_console_blob_t  ngx_http_invsync_console_blobs[];


/* ngx_http_invsync_console.c */
const ngx_http_invsync_console_blob_t *ngx_http_invsync_console_blob(
    const char *name);
ngx_int_t ngx_http_invsync_console_send(ngx_http_request_t *r,
    ngx_uint_t status, const char *type, const u_char *data, size_t len);
/* sends {"error": why}; NGX_OK once sent, so a checker must not call it */
ngx_int_t ngx_http_invsync_console_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *why);
ngx_int_t ngx_http_invsync_console_header(ngx_http_request_t *r,
    const char *key, const char *value);
ngx_int_t ngx_http_invsync_console_json(ngx_http_request_t *r,
    ngx_uint_t status, json_t *doc);
ngx_int_t ngx_http_invsync_console_eval(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, const u_char *script, size_t len,
    ngx_uint_t nkeys, ngx_uint_t n, ngx_str_t *args,
    ngx_http_invsync_console_step_pt step);
ngx_int_t ngx_http_invsync_console_run(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, const char *script, ngx_uint_t n,
    ngx_str_t *args, ngx_http_invsync_console_step_pt step);
ngx_int_t ngx_http_invsync_console_keyprefix(ngx_http_request_t *r,
    ngx_str_t *k);
ngx_int_t ngx_http_invsync_console_now(ngx_http_request_t *r, ngx_str_t *s);

/* ngx_http_invsync_console_read.c */
ngx_int_t ngx_http_invsync_console_arg(ngx_http_request_t *r,
    const char *name, ngx_str_t *out, const char **why);
ngx_int_t ngx_http_invsync_console_read(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, ngx_str_t *what);

/* ngx_http_invsync_console_sku.c: lua/sku's answer, with what each
 * channel should show */
ngx_int_t ngx_http_invsync_console_sku_done(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);

/* ngx_http_invsync_console_session.c */
ngx_int_t ngx_http_invsync_console_session(ngx_http_request_t *r,
    ngx_uint_t page);
ngx_int_t ngx_http_invsync_console_csrf(ngx_http_request_t *r,
    ngx_str_t *by, const char **why);

/* ngx_http_invsync_console_act.c */
ngx_int_t ngx_http_invsync_console_save(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp, size_t from);
ngx_int_t ngx_http_invsync_console_audit(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, ngx_uint_t n, ngx_str_t *extra);
ngx_int_t ngx_http_invsync_console_refused(ngx_http_request_t *r,
    redisReply *rp, const char *what);
ngx_int_t ngx_http_invsync_console_keyed(ngx_http_request_t *r,
    ngx_str_t *key, const char *name, ngx_str_t *id);

/* ngx_http_invsync_console_exc.c */
ngx_int_t ngx_http_invsync_console_exc_resolve(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);
ngx_int_t ngx_http_invsync_console_exc_caused(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp);
ngx_int_t ngx_http_invsync_console_act(ngx_http_request_t *r,
    ngx_str_t *what);
ngx_uint_t ngx_http_invsync_console_is_action(ngx_str_t *what);


#endif /* NGX_HTTP_INVSYNC_CONSOLE_H_INCLUDED */
