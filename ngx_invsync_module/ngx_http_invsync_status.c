
/*
 * Counters per channel and result, kept in a shared-memory zone so that
 * every worker process adds to the same numbers, and the invsync_status
 * location that shows them as JSON or Prometheus text.
 */


#include "ngx_http_invsync_module.h"


static ngx_http_invsync_channel_stats_t *ngx_http_invsync_status_slot(
    ngx_http_invsync_shctx_t *sh, ngx_str_t *name);
static ngx_int_t ngx_http_invsync_status_json(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b);
static ngx_int_t ngx_http_invsync_status_prometheus(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b);


static ngx_str_t  ngx_http_invsync_result_names[] = {
    ngx_null_string,
    ngx_string("accepted"),
    ngx_string("duplicate"),
    ngx_string("ignored"),
    ngx_string("rejected"),
    ngx_string("error")
};


static ngx_str_t  ngx_http_invsync_reason_names[] = {
    ngx_string("method"),
    ngx_string("signature"),
    ngx_string("timestamp"),
    ngx_string("format"),
    ngx_string("redis_down"),
    ngx_string("redis_timeout"),
    ngx_string("redis_error"),
    ngx_string("internal")
};


/*
 * Runs in the master at every (re)load.  A zone kept from the previous
 * configuration keeps its counters; channels are matched by name.
 */

ngx_int_t
ngx_http_invsync_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_invsync_main_conf_t *imcf = shm_zone->data;

    ngx_str_t                         *names;
    ngx_uint_t                         i;
    ngx_slab_pool_t                   *shpool;
    ngx_http_invsync_shctx_t          *sh;
    ngx_http_invsync_channel_stats_t  *slot;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data != NULL || shm_zone->shm.exists) {
        sh = shpool->data;

    } else {
        sh = ngx_slab_calloc(shpool, sizeof(ngx_http_invsync_shctx_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        shpool->data = sh;
    }

    imcf->sh = sh;
    names = imcf->channels.elts;

    for (i = 0; i < imcf->channels.nelts; i++) {
        slot = ngx_http_invsync_status_slot(sh, &names[i]);
        if (slot == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "invsync: no room for the counters of channel "
                          "\"%V\"", &names[i]);
            return NGX_ERROR;
        }

        imcf->slots[i] = slot;
    }

    return NGX_OK;
}


static ngx_http_invsync_channel_stats_t *
ngx_http_invsync_status_slot(ngx_http_invsync_shctx_t *sh, ngx_str_t *name)
{
    ngx_uint_t                         i;
    ngx_http_invsync_channel_stats_t  *slot;

    for (i = 0; i < sh->nchannels; i++) {
        slot = &sh->channels[i];

        if (slot->name_len == name->len
            && ngx_strncmp(slot->name, name->data, name->len) == 0)
        {
            return slot;
        }
    }

    if (sh->nchannels == NGX_HTTP_INVSYNC_MAX_CHANNELS) {
        return NULL;
    }

    slot = &sh->channels[sh->nchannels++];
    ngx_memcpy(slot->name, name->data, name->len);
    slot->name_len = name->len;

    return slot;
}


ngx_http_invsync_shctx_t *
ngx_http_invsync_status_shctx(ngx_http_invsync_main_conf_t *imcf)
{
    return imcf->sh;
}


/* reason < 0: none beyond the result */

void
ngx_http_invsync_status_count(ngx_http_request_t *r,
    ngx_http_invsync_result_e result, ngx_int_t reason)
{
    ngx_http_invsync_loc_conf_t       *ilcf;
    ngx_http_invsync_main_conf_t      *imcf;
    ngx_http_invsync_channel_stats_t  *slot;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    if (imcf->sh == NULL) {
        return;
    }

    slot = imcf->slots[ilcf->channel_index];

    (void) ngx_atomic_fetch_add(&slot->results[result], 1);

    if (reason >= 0) {
        (void) ngx_atomic_fetch_add(&slot->reasons[reason], 1);
    }
}


ngx_int_t
ngx_http_invsync_status_handler(ngx_http_request_t *r)
{
    size_t                         size;
    ngx_int_t                      rc, prometheus;
    ngx_str_t                      format;
    ngx_buf_t                     *b;
    ngx_http_invsync_shctx_t      *sh;
    ngx_http_invsync_main_conf_t  *imcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);
    sh = imcf->sh;

    if (sh == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    prometheus = 0;

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
        && format.len == 10
        && ngx_strncmp(format.data, "prometheus", 10) == 0)
    {
        prometheus = 1;
    }

    size = 1024 + sh->nchannels
                  * (NGX_HTTP_INVSYNC_NRESULTS + NGX_HTTP_INVSYNC_NREASONS)
                  * (NGX_HTTP_INVSYNC_CHANNEL_LEN + 128);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (prometheus) {
        rc = ngx_http_invsync_status_prometheus(r, sh, b);
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4");

    } else {
        rc = ngx_http_invsync_status_json(r, sh, b);
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &(ngx_chain_t) { b, NULL });
}


static ngx_int_t
ngx_http_invsync_status_json(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b)
{
    ngx_uint_t                         i, k;
    ngx_http_invsync_channel_stats_t  *s;

    b->last = ngx_sprintf(b->last, "{\"redis\":{\"connects\":%uA,"
                          "\"disconnects\":%uA,\"noscript\":%uA},"
                          "\"channels\":{",
                          sh->redis_connects, sh->redis_disconnects,
                          sh->redis_noscript);

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        b->last = ngx_sprintf(b->last, "%s\"%*s\":{", i ? "," : "",
                              s->name_len, s->name);

        for (k = 1; k < NGX_HTTP_INVSYNC_NRESULTS; k++) {
            b->last = ngx_sprintf(b->last, "\"%V\":%uA,",
                                  &ngx_http_invsync_result_names[k],
                                  s->results[k]);
        }

        b->last = ngx_sprintf(b->last, "\"reasons\":{");

        for (k = 0; k < NGX_HTTP_INVSYNC_NREASONS; k++) {
            b->last = ngx_sprintf(b->last, "%s\"%V\":%uA", k ? "," : "",
                                  &ngx_http_invsync_reason_names[k],
                                  s->reasons[k]);
        }

        b->last = ngx_sprintf(b->last, "}}");
    }

    b->last = ngx_sprintf(b->last, "}}\n");

    return NGX_OK;
}


static ngx_int_t
ngx_http_invsync_status_prometheus(ngx_http_request_t *r,
    ngx_http_invsync_shctx_t *sh, ngx_buf_t *b)
{
    ngx_uint_t                         i, k;
    ngx_http_invsync_channel_stats_t  *s;

    b->last = ngx_sprintf(b->last,
        "# HELP invsync_requests_total Webhook requests by channel and "
        "result.\n"
        "# TYPE invsync_requests_total counter\n");

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        for (k = 1; k < NGX_HTTP_INVSYNC_NRESULTS; k++) {
            b->last = ngx_sprintf(b->last, "invsync_requests_total"
                                  "{channel=\"%*s\",result=\"%V\"} %uA\n",
                                  s->name_len, s->name,
                                  &ngx_http_invsync_result_names[k],
                                  s->results[k]);
        }
    }

    b->last = ngx_sprintf(b->last,
        "# HELP invsync_refusals_total Refused or failed webhook requests "
        "by channel and reason.\n"
        "# TYPE invsync_refusals_total counter\n");

    for (i = 0; i < sh->nchannels; i++) {
        s = &sh->channels[i];

        for (k = 0; k < NGX_HTTP_INVSYNC_NREASONS; k++) {
            b->last = ngx_sprintf(b->last, "invsync_refusals_total"
                                  "{channel=\"%*s\",reason=\"%V\"} %uA\n",
                                  s->name_len, s->name,
                                  &ngx_http_invsync_reason_names[k],
                                  s->reasons[k]);
        }
    }

    b->last = ngx_sprintf(b->last,
        "# HELP invsync_redis_connects_total Redis connections made "
        "ready.\n"
        "# TYPE invsync_redis_connects_total counter\n"
        "invsync_redis_connects_total %uA\n"
        "# HELP invsync_redis_disconnects_total Redis connections lost.\n"
        "# TYPE invsync_redis_disconnects_total counter\n"
        "invsync_redis_disconnects_total %uA\n"
        "# HELP invsync_redis_noscript_total Ingest script reloads.\n"
        "# TYPE invsync_redis_noscript_total counter\n"
        "invsync_redis_noscript_total %uA\n",
        sh->redis_connects, sh->redis_disconnects, sh->redis_noscript);

    return NGX_OK;
}
