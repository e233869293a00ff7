
/*
 * What the status page's two formats share: the names of the counters
 * (ngx_http_invsync_status.c), the JSON (_status_page.c) and Prometheus
 * text (_status_prometheus.c) writers.
 */


#ifndef NGX_HTTP_INVSYNC_STATUS_H_INCLUDED
#define NGX_HTTP_INVSYNC_STATUS_H_INCLUDED


#include <jansson.h>

#include "ngx_http_invsync_module.h"


extern ngx_str_t  ngx_http_invsync_result_names[];
extern ngx_str_t  ngx_http_invsync_reason_names[];


/* ngx_http_invsync_status_page.c */
ngx_int_t ngx_http_invsync_status_json(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b);

/* ngx_http_invsync_status_prometheus.c */
ngx_int_t ngx_http_invsync_status_prometheus(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b);
void ngx_http_invsync_status_workers_prometheus(ngx_buf_t *b,
    json_t *workers, u_char *end);
ngx_int_t ngx_http_invsync_status_label(const char *s);

/* ngx_http_invsync_status_metrics.c */
void ngx_http_invsync_status_metrics(ngx_buf_t *b, json_t *workers,
    u_char *end);


#endif /* NGX_HTTP_INVSYNC_STATUS_H_INCLUDED */
