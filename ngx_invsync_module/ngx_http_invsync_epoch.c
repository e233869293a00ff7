
/*
 * The deployment's epoch as the module sees it (docs/keys.md, "The
 * epoch"): which Redis this is.  Each connection, once the ingest script
 * is loaded, asks epoch.lua for it; the epoch it saw is remembered in the
 * status zone, shared by the worker processes and kept across reloads.
 * A Redis that has none, or another, lost the data invsync wrote (it
 * restarted empty, a replica that had not caught up took over, someone
 * ran FLUSHALL): the connection is not made ready, webhooks get 503 so
 * that channels keep retrying, until the epoch is back or an operator
 * accepts the new state (invsyncctl epoch reset, then a reload).  With
 * "invsync_epoch require" nginx never makes the epoch: it must have been
 * made (invsyncctl epoch init) before webhooks are taken.
 */


#include <openssl/rand.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_invsync_module.h"


#define NGX_HTTP_INVSYNC_EPOCH_RANDOM  16      /* bytes, INVSYNC_EPOCH_HEX */


static ngx_int_t ngx_http_invsync_epoch_add_stream(ngx_conf_t *cf,
    ngx_http_invsync_main_conf_t *imcf, const char *stream);
static ngx_uint_t ngx_http_invsync_epoch_mode(
    ngx_http_invsync_main_conf_t *imcf, u_char *want, size_t *len);
static ngx_int_t ngx_http_invsync_epoch_store(
    ngx_http_invsync_main_conf_t *imcf, ngx_uint_t mode, redisReply *rp);
static ngx_uint_t ngx_http_invsync_epoch_by_operator(redisReply *rp);


static const char  *ngx_http_invsync_epoch_modes[] = {
    "create", "check", "adopt"
};


/*
 * Configuration time, for a location that ingests: the streams it may
 * write to (its invsync_dispatch rows, its scheme's table, and "other"),
 * whose markers each connection sets.
 */

ngx_int_t
ngx_http_invsync_epoch_add_streams(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf)
{
    ngx_uint_t                     i;
    const invsync_route_t         *route;
    ngx_http_invsync_dispatch_t   *d;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_invsync_module);

    if (ngx_http_invsync_epoch_add_stream(cf, imcf, "other") != NGX_OK) {
        return NGX_ERROR;
    }

    if (conf->dispatch != NULL) {
        d = conf->dispatch->elts;

        for (i = 0; i < conf->dispatch->nelts; i++) {
            if (ngx_http_invsync_epoch_add_stream(cf, imcf,
                                                  (char *) d[i].stream.data)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    for (route = conf->scheme->routes;
         route != NULL && route->topic != NULL;
         route++)
    {
        if (ngx_http_invsync_epoch_add_stream(cf, imcf, route->stream)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_invsync_epoch_add_stream(ngx_conf_t *cf,
    ngx_http_invsync_main_conf_t *imcf, const char *stream)
{
    size_t      len;
    ngx_str_t  *s;
    ngx_uint_t  i;

    if (imcf->streams == NULL) {
        imcf->streams = ngx_array_create(cf->pool, 8, sizeof(ngx_str_t));
        if (imcf->streams == NULL) {
            return NGX_ERROR;
        }
    }

    len = ngx_strlen(stream);
    s = imcf->streams->elts;

    for (i = 0; i < imcf->streams->nelts; i++) {
        if (s[i].len == len && ngx_strncmp(s[i].data, stream, len) == 0) {
            return NGX_OK;
        }
    }

    s = ngx_array_push(imcf->streams);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = (u_char *) stream;
    s->len = len;

    return NGX_OK;
}


/*
 * In the master, at every (re)load, for the status zone: the epoch kept
 * belongs to a Redis address and prefix.  A reload is how an operator
 * accepts the epoch Redis has now (after invsyncctl epoch reset): the next
 * connection adopts it, if there is one.  A reload to another Redis or
 * prefix is another deployment: its epoch is learnt as at a start.
 */

void
ngx_http_invsync_epoch_init_zone(ngx_http_invsync_main_conf_t *imcf,
    ngx_http_invsync_shctx_t *sh, ngx_log_t *log)
{
    uint32_t  crc;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, imcf->addr.data, imcf->addr.len);
    ngx_crc32_update(&crc, (u_char *) " ", 1);
    ngx_crc32_update(&crc, imcf->prefix.data, imcf->prefix.len);
    ngx_crc32_final(crc);

    if (sh->epoch_len != 0 && sh->epoch_of != crc) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0, "invsync: redis %V, prefix "
                      "\"%V\": another deployment than before, its epoch "
                      "is learnt anew", &imcf->addr, &imcf->prefix);
        sh->epoch_len = 0;
        sh->epoch_lost = 0;
    }

    sh->epoch_of = crc;
    sh->epoch_adopt = sh->epoch_len != 0;
}


/*
 * Worker process start: the keys of the epoch call, the epoch first and
 * the markers of every stream this configuration writes, built once.
 */

ngx_int_t
ngx_http_invsync_epoch_init_process(ngx_cycle_t *cycle,
    ngx_http_invsync_main_conf_t *imcf)
{
    size_t       len;
    ngx_str_t   *key, *s;
    ngx_uint_t   i, n;

    n = imcf->streams ? imcf->streams->nelts : 0;

    imcf->epoch_keys = ngx_array_create(cycle->pool, 1 + n,
                                        sizeof(ngx_str_t));
    if (imcf->epoch_keys == NULL) {
        return NGX_ERROR;
    }

    key = ngx_array_push(imcf->epoch_keys);
    if (key == NULL) {
        return NGX_ERROR;
    }

    len = invsync_key_deployment_len(imcf->prefix.len);
    key->data = ngx_pnalloc(cycle->pool, len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = invsync_key_deployment(key->data, imcf->prefix.data,
                                 imcf->prefix.len);

    s = n ? imcf->streams->elts : NULL;

    for (i = 0; i < n; i++) {
        key = ngx_array_push(imcf->epoch_keys);
        if (key == NULL) {
            return NGX_ERROR;
        }

        len = invsync_key_marker_len(imcf->prefix.len, s[i].len);
        key->data = ngx_pnalloc(cycle->pool, len);
        if (key->data == NULL) {
            return NGX_ERROR;
        }

        key->len = invsync_key_marker(key->data, imcf->prefix.data,
                                      imcf->prefix.len, s[i].data, s[i].len);
    }

    return NGX_OK;
}


/*
 * Queues the epoch call on a new connection, behind SCRIPT LOAD: "create"
 * with a fresh random epoch while none is remembered, "check" against the
 * remembered one, "adopt" after a reload (how an operator accepts a new
 * epoch; a missing one is never accepted).  *mode is the caller's, for
 * ngx_http_invsync_epoch_verdict().
 */

ngx_int_t
ngx_http_invsync_epoch_query(ngx_http_invsync_main_conf_t *imcf,
    redisAsyncContext *ac, redisCallbackFn *fn, void *data, ngx_uint_t *mode)
{
    int          argc, rc;
    size_t       len, *argvlen;
    ngx_str_t   *keys;
    ngx_uint_t   i, n;
    const char **argv;
    u_char       want[NGX_HTTP_INVSYNC_EPOCH_LEN];
    u_char       nkeys[NGX_INT_T_LEN];

    keys = imcf->epoch_keys->elts;
    n = imcf->epoch_keys->nelts;

    if (imcf->sh == NULL) {
        return NGX_ERROR;
    }

    argv = ngx_alloc((5 + n) * (sizeof(char *) + sizeof(size_t)),
                     ngx_cycle->log);
    if (argv == NULL) {
        return NGX_ERROR;
    }

    argvlen = (size_t *) (argv + 5 + n);

    *mode = ngx_http_invsync_epoch_mode(imcf, want, &len);

    if (len == 0) {
        ngx_free(argv);
        return NGX_ERROR;
    }

    argc = 0;
    argv[argc] = "EVAL";
    argvlen[argc++] = 4;
    argv[argc] = invsync_script_epoch;
    argvlen[argc++] = invsync_script_epoch_len;
    argv[argc] = (char *) nkeys;
    argvlen[argc++] = ngx_sprintf(nkeys, "%ui", n) - nkeys;

    for (i = 0; i < n; i++) {
        argv[argc] = (char *) keys[i].data;
        argvlen[argc++] = keys[i].len;
    }

    argv[argc] = ngx_http_invsync_epoch_modes[*mode];
    argvlen[argc] = ngx_strlen(argv[argc]);
    argc++;
    argv[argc] = (char *) want;
    argvlen[argc++] = len;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "invsync redis %V: epoch %s", &imcf->addr,
                   ngx_http_invsync_epoch_modes[*mode]);

    /* hiredis copies the arguments into its output buffer */
    rc = redisAsyncCommandArgv(ac, fn, data, argc, argv, argvlen);

    ngx_free(argv);

    return rc == REDIS_OK ? NGX_OK : NGX_ERROR;
}


/* the call to make, read under the zone's lock; *len 0 if none can be */

static ngx_uint_t
ngx_http_invsync_epoch_mode(ngx_http_invsync_main_conf_t *imcf, u_char *want,
    size_t *len)
{
    u_char                    rnd[NGX_HTTP_INVSYNC_EPOCH_RANDOM];
    ngx_uint_t                mode;
    ngx_slab_pool_t          *shpool;
    ngx_http_invsync_shctx_t *sh = imcf->sh;

    shpool = (ngx_slab_pool_t *) imcf->shm_zone->shm.addr;
    *len = 0;

    ngx_shmtx_lock(&shpool->mutex);

    if (sh->epoch_len != 0) {
        mode = sh->epoch_adopt ? NGX_HTTP_INVSYNC_EPOCH_ADOPT
                               : NGX_HTTP_INVSYNC_EPOCH_CHECK;
        *len = sh->epoch_len;
        ngx_memcpy(want, sh->epoch, sh->epoch_len);

    } else {
        mode = imcf->epoch_require ? NGX_HTTP_INVSYNC_EPOCH_ADOPT
                                   : NGX_HTTP_INVSYNC_EPOCH_CREATE;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (*len != 0) {
        return mode;
    }

    if (mode == NGX_HTTP_INVSYNC_EPOCH_ADOPT) {
        /* require: epoch.lua only reads, but takes a value all the same */
        *len = ngx_cpymem(want, "-", 1) - want;
        return mode;
    }

    /* another process may create it first: epoch.lua keeps the first */
    if (RAND_bytes(rnd, sizeof(rnd)) == 1) {
        *len = ngx_hex_dump(want, rnd, sizeof(rnd)) - want;
    }

    return mode;
}


/*
 * The answer of epoch.lua for a connection made in mode: NGX_OK if the
 * connection may be used, with the epoch copied into epoch (*len bytes);
 * NGX_DECLINED if Redis lost its data (logged once for all processes and
 * counted); NGX_ERROR if the reply is not an epoch (the caller logs it).
 */

ngx_int_t
ngx_http_invsync_epoch_verdict(ngx_http_invsync_main_conf_t *imcf,
    ngx_log_t *log, ngx_uint_t mode, redisReply *rp, u_char *epoch,
    size_t *len)
{
    ngx_int_t                  rc;
    ngx_http_invsync_shctx_t  *sh = imcf->sh;

    if (rp->type == REDIS_REPLY_NIL) {
        ngx_http_invsync_epoch_lost(imcf, log,
                                    mode != NGX_HTTP_INVSYNC_EPOCH_CREATE
                                    && sh->epoch_len == 0
                                    ? "missing, and \"invsync_epoch "
                                      "require\" makes none (a new "
                                      "deployment: invsyncctl epoch init)"
                                    : "missing");
        return NGX_DECLINED;
    }

    if (rp->type != REDIS_REPLY_STRING || rp->len == 0
        || rp->len > NGX_HTTP_INVSYNC_EPOCH_LEN)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_invsync_epoch_store(imcf, mode, rp);

    if (rc != NGX_OK) {
        ngx_http_invsync_epoch_lost(imcf, log, "changed");
        return NGX_DECLINED;
    }

    ngx_memcpy(epoch, rp->str, rp->len);
    *len = rp->len;

    if (ngx_atomic_cmp_set(&sh->epoch_lost, 1, 0)) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "invsync: redis %V: epoch %s, accepting webhooks again",
                      &imcf->addr,
                      mode == NGX_HTTP_INVSYNC_EPOCH_ADOPT
                      ? "adopted at reload" : "found again");
    }

    return NGX_OK;
}


/*
 * Remembers the epoch Redis answered, or finds it is another than the one
 * remembered: NGX_OK, or NGX_DECLINED for another.  Whoever remembers one
 * first wins; an adoption replaces it, once per reload, and only by one an
 * operator made: a worker started on the empty Redis makes one too, and a
 * routine reload must not take that for the operator's decision.
 */

static ngx_int_t
ngx_http_invsync_epoch_store(ngx_http_invsync_main_conf_t *imcf,
    ngx_uint_t mode, redisReply *rp)
{
    ngx_int_t                  rc;
    ngx_slab_pool_t           *shpool;
    ngx_http_invsync_shctx_t  *sh = imcf->sh;

    shpool = (ngx_slab_pool_t *) imcf->shm_zone->shm.addr;
    rc = NGX_OK;

    ngx_shmtx_lock(&shpool->mutex);

    if (sh->epoch_len == 0
        || (mode == NGX_HTTP_INVSYNC_EPOCH_ADOPT && sh->epoch_adopt
            && ngx_http_invsync_epoch_by_operator(rp)))
    {
        ngx_memcpy(sh->epoch, rp->str, rp->len);
        sh->epoch_len = rp->len;
        sh->epoch_adopt = 0;

    } else if (sh->epoch_len != rp->len
               || ngx_memcmp(sh->epoch, rp->str, rp->len) != 0)
    {
        rc = NGX_DECLINED;

    } else {
        sh->epoch_adopt = 0;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/*
 * Redis lost its data: said once at error, by the first process to find
 * it, and counted; the others, and the retries, say it at debug.
 */

void
ngx_http_invsync_epoch_lost(ngx_http_invsync_main_conf_t *imcf,
    ngx_log_t *log, const char *what)
{
    ngx_http_invsync_shctx_t  *sh = imcf->sh;

    if (!ngx_atomic_cmp_set(&sh->epoch_lost, 0, 1)) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                       "invsync redis %V: epoch %s, still", &imcf->addr,
                       what);
        return;
    }

    (void) ngx_atomic_fetch_add(&sh->redis_epoch_lost, 1);

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "invsync: redis %V: epoch %s: redis lost its data "
                  "(restarted empty, a stale replica, FLUSHALL); answering "
                  "503 until it is restored, or accepted with \"invsyncctl "
                  "epoch reset\" and a reload (docs/operations.md)",
                  &imcf->addr, what);
}


/* made by invsyncctl epoch init or reset: INVSYNC_EPOCH_OP before it */

static ngx_uint_t
ngx_http_invsync_epoch_by_operator(redisReply *rp)
{
    return rp->len > sizeof(INVSYNC_EPOCH_OP) - 1
           && ngx_strncmp(rp->str, INVSYNC_EPOCH_OP,
                          sizeof(INVSYNC_EPOCH_OP) - 1) == 0;
}
