
/*
 * Counters per channel and result, kept in a shared-memory zone so that
 * every worker process adds to the same numbers: the zone, a request's
 * count, and the log phase that counts what nginx refused for us.  The
 * invsync_status location that shows them is ngx_http_invsync_status_page.c.
 */


#include "ngx_http_invsync_status.h"


static ngx_http_invsync_channel_stats_t *ngx_http_invsync_status_slot(
    ngx_http_invsync_shctx_t *sh, ngx_str_t *name);


/* the names of ngx_http_invsync_result_e and _reason_e, in the JSON and
 * Prometheus output */
ngx_str_t  ngx_http_invsync_result_names[] = {
    ngx_null_string,
    ngx_string("accepted"),
    ngx_string("duplicate"),
    ngx_string("ignored"),
    ngx_string("rejected"),
    ngx_string("error")
};


ngx_str_t  ngx_http_invsync_reason_names[] = {
    ngx_string("method"),
    ngx_string("signature"),
    ngx_string("timestamp"),
    ngx_string("format"),
    ngx_string("redis_down"),
    ngx_string("redis_timeout"),
    ngx_string("redis_error"),
    ngx_string("internal"),
    ngx_string("unusable"),
    ngx_string("redis_epoch")
};


/*
 * Runs in the master at every (re)load.  A zone kept from the previous
 * configuration keeps its counters and the epoch seen
 * (ngx_http_invsync_epoch_init_zone()); channels are matched by name.
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
    ngx_http_invsync_epoch_init_zone(imcf, sh, shm_zone->shm.log);
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


/*
 * The log phase: count the 413s and 400s nginx answered for our locations
 * itself, before the handler ran (Content-Length over
 * client_max_body_size) or while it read the body (a chunked body over
 * the limit or malformed).
 */

ngx_int_t
ngx_http_invsync_status_log(ngx_http_request_t *r)
{
    ngx_http_invsync_ctx_t       *ctx;
    ngx_http_invsync_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    if (ilcf->scheme == NULL
        || (r->headers_out.status != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
            && r->headers_out.status != NGX_HTTP_BAD_REQUEST))
    {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_invsync_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_invsync_ctx_t));
        if (ctx == NULL) {
            return NGX_OK;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_invsync_module);

    } else if (ctx->result != NGX_HTTP_INVSYNC_NONE) {
        return NGX_OK;
    }

    ctx->result = NGX_HTTP_INVSYNC_REJECTED;
    ngx_http_invsync_status_count(r, ctx->result, NGX_HTTP_INVSYNC_R_FORMAT);

    return NGX_OK;
}
