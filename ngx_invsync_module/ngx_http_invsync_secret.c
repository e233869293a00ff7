
/*
 * Secret files, signing secrets and Redis credentials, read once, at
 * configuration time, as nginx reads its session ticket keys: the kept
 * copy is wiped by a pool cleanup, the stack buffer before returning.
 */


#include "ngx_http_invsync_module.h"


/* the read buffer of ngx_http_invsync_read_file(): the larger of a signing
 * secret (and one byte to see it longer) and a Redis credentials file */
#define NGX_HTTP_INVSYNC_FILE_MAX                                           \
    ngx_max(INVSYNC_MAX_SECRET + 1, INVSYNC_CREDENTIALS_FILE_MAX)


typedef struct {
    ngx_str_t           data;
} ngx_http_invsync_wipe_t;


static void ngx_http_invsync_wipe(void *data);


/* a signing secret: trailing newlines removed (they are not part of the
 * secret), at most INVSYNC_MAX_SECRET bytes then */

ngx_int_t
ngx_http_invsync_read_secret(ngx_conf_t *cf, ngx_str_t *file, ngx_str_t *out)
{
    if (ngx_http_invsync_read_file(cf, file, INVSYNC_MAX_SECRET + 1, out)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    while (out->len
           && (out->data[out->len - 1] == '\n'
               || out->data[out->len - 1] == '\r'))
    {
        out->len--;
    }

    if (out->len > INVSYNC_MAX_SECRET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is larger than %d bytes",
                           file, INVSYNC_MAX_SECRET);
        return NGX_ERROR;
    }

    if (out->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is empty", file);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* The first max bytes of a file, in the configuration pool and wiped
 * with it; max over the buffer is a bug of ours.  A longer file is seen by
 * the caller as longer than it accepts. */

ngx_int_t
ngx_http_invsync_read_file(ngx_conf_t *cf, ngx_str_t *file, size_t max,
    ngx_str_t *out)
{
    u_char                   buf[NGX_HTTP_INVSYNC_FILE_MAX];
    ssize_t                  n;
    ngx_fd_t                 fd;
    ngx_str_t                name;
    ngx_int_t                rc;
    ngx_pool_cleanup_t      *cln;
    ngx_http_invsync_wipe_t *w;

    rc = NGX_ERROR;
    name = *file;

    if (max > sizeof(buf)) {
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &name);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, buf, max);
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &name);
        goto failed;
    }

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_http_invsync_wipe_t));
    if (cln == NULL) {
        goto failed;
    }

    w = cln->data;
    w->data.len = 0;
    w->data.data = ngx_pnalloc(cf->pool, n ? n : 1);
    if (w->data.data == NULL) {
        goto failed;
    }

    ngx_memcpy(w->data.data, buf, n);
    w->data.len = n;
    cln->handler = ngx_http_invsync_wipe;

    *out = w->data;
    rc = NGX_OK;

failed:

    ngx_explicit_memzero(buf, sizeof(buf));

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", &name);
    }

    return rc;
}


static void
ngx_http_invsync_wipe(void *data)
{
    ngx_http_invsync_wipe_t *w = data;

    if (w->data.len) {
        ngx_explicit_memzero(w->data.data, w->data.len);
    }
}
