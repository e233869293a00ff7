
/*
 * The $invsync_result, $invsync_topic, $invsync_event_id and
 * $invsync_stream_id variables, for log_format.
 */


#include "ngx_http_invsync_module.h"


typedef enum {
    NGX_HTTP_INVSYNC_VAR_RESULT = 0,
    NGX_HTTP_INVSYNC_VAR_TOPIC,
    NGX_HTTP_INVSYNC_VAR_EVENT,
    NGX_HTTP_INVSYNC_VAR_STREAM_ID
} ngx_http_invsync_var_e;


static ngx_int_t ngx_http_invsync_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_invsync_vars[] = {

    { ngx_string("invsync_result"), NULL, ngx_http_invsync_variable,
      NGX_HTTP_INVSYNC_VAR_RESULT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("invsync_topic"), NULL, ngx_http_invsync_variable,
      NGX_HTTP_INVSYNC_VAR_TOPIC, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("invsync_event_id"), NULL, ngx_http_invsync_variable,
      NGX_HTTP_INVSYNC_VAR_EVENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("invsync_stream_id"), NULL, ngx_http_invsync_variable,
      NGX_HTTP_INVSYNC_VAR_STREAM_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_invsync_results[] = {
    ngx_null_string,
    ngx_string("accepted"),
    ngx_string("duplicate"),
    ngx_string("ignored"),
    ngx_string("rejected"),
    ngx_string("error")
};


ngx_int_t
ngx_http_invsync_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_invsync_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_invsync_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                  *p;
    size_t                   len;
    ngx_http_invsync_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_INVSYNC_VAR_RESULT:
        p = ngx_http_invsync_results[ctx->result].data;
        len = ngx_http_invsync_results[ctx->result].len;
        break;

    case NGX_HTTP_INVSYNC_VAR_TOPIC:
        p = ctx->meta.topic;
        len = ctx->meta.topic_len;
        break;

    case NGX_HTTP_INVSYNC_VAR_EVENT:
        p = ctx->meta.event;
        len = ctx->meta.event_len;
        break;

    default: /* NGX_HTTP_INVSYNC_VAR_STREAM_ID */
        p = ctx->stream_id.data;
        len = ctx->stream_id.len;
        break;
    }

    if (len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = p;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
