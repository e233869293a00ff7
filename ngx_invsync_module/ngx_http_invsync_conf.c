
/*
 * The module's configuration: main and location structures created,
 * defaults set and checked at init and merge (so that nginx -t fails on
 * what cannot work), scheme header names lowercased and hashed, channels
 * given their counter slots, and the invsync_redis address parsed.
 */


#include <openssl/evp.h>

#include "ngx_http_invsync_module.h"


static ngx_int_t ngx_http_invsync_merge_headers(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf);
static ngx_int_t ngx_http_invsync_add_header(ngx_conf_t *cf,
    ngx_array_t *headers, ngx_str_t *name);
static ngx_int_t ngx_http_invsync_register_channel(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf);


/*
 * ngx_pcalloc() zeroes: addr, host, unix_path, port, user, password,
 * prefix, shm_zone, script_sha, streams, epoch_keys, redis, enabled.
 */

void *
ngx_http_invsync_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_invsync_main_conf_t));
    if (imcf == NULL) {
        return NULL;
    }

    imcf->timeout = NGX_CONF_UNSET_MSEC;
    imcf->port = NGX_CONF_UNSET;
    imcf->epoch_require = NGX_CONF_UNSET_UINT;

    if (ngx_array_init(&imcf->channels, cf->pool, 8, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    return imcf;
}


char *
ngx_http_invsync_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_invsync_main_conf_t *imcf = conf;

    u_char         md[EVP_MAX_MD_SIZE];
    unsigned int   mdlen;
    ngx_str_t      dflt = ngx_string("127.0.0.1:6379");

    ngx_conf_init_msec_value(imcf->timeout, 1000);
    ngx_conf_init_uint_value(imcf->epoch_require, 0);

    if (imcf->prefix.data == NULL) {
        ngx_str_set(&imcf->prefix, "invsync");
    }

    if (!ngx_http_invsync_valid_name(&imcf->prefix)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"invsync_prefix\" \"%V\": use letters, "
                           "digits and \"-_.:\"", &imcf->prefix);
        return NGX_CONF_ERROR;
    }

    if (imcf->addr.data == NULL
        && ngx_http_invsync_parse_redis(cf, imcf, &dflt) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (EVP_Digest(invsync_script_ingest, invsync_script_ingest_len, md,
                   &mdlen, EVP_sha1(), NULL)
        != 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invsync: cannot hash the ingest script");
        return NGX_CONF_ERROR;
    }

    ngx_hex_dump(imcf->script_sha, md, mdlen);
    imcf->script_sha[40] = '\0';

    return NGX_CONF_OK;
}


/*
 * ngx_pcalloc() zeroes: scheme, channel, channel_index, app_key,
 * hmac_header, id_header, topic_header.
 */

void *
ngx_http_invsync_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_invsync_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_invsync_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->secrets = NGX_CONF_UNSET_PTR;
    conf->tolerance = NGX_CONF_UNSET;
    conf->dedupe_ttl = NGX_CONF_UNSET;
    conf->dispatch = NGX_CONF_UNSET_PTR;
    conf->headers = NULL;
    conf->hmac_encoding = NGX_CONF_UNSET_UINT;
    conf->notification_url = NGX_CONF_UNSET_PTR;
    conf->console_operator = NGX_CONF_UNSET_PTR;

    return conf;
}


char *
ngx_http_invsync_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_invsync_loc_conf_t *prev = parent;
    ngx_http_invsync_loc_conf_t *conf = child;

    /*
     * conf->scheme is not inherited: a nested location serves what it says
     * (the content handler is set only where invsync_webhook is written).
     */

    ngx_conf_merge_str_value(conf->channel, prev->channel, "");
    ngx_conf_merge_ptr_value(conf->secrets, prev->secrets, NULL);
    ngx_conf_merge_sec_value(conf->tolerance, prev->tolerance, 300);
    ngx_conf_merge_sec_value(conf->dedupe_ttl, prev->dedupe_ttl, 72 * 3600);
    ngx_conf_merge_ptr_value(conf->dispatch, prev->dispatch, NULL);
    ngx_conf_merge_str_value(conf->hmac_header, prev->hmac_header, "");
    ngx_conf_merge_str_value(conf->id_header, prev->id_header, "");
    ngx_conf_merge_str_value(conf->topic_header, prev->topic_header, "");
    ngx_conf_merge_uint_value(conf->hmac_encoding, prev->hmac_encoding,
                              INVSYNC_ENC_HEX);
    ngx_conf_merge_ptr_value(conf->notification_url, prev->notification_url,
                             NULL);
    ngx_conf_merge_str_value(conf->app_key, prev->app_key, "");
    ngx_conf_merge_ptr_value(conf->console_operator, prev->console_operator,
                             NULL);

    if (conf->scheme == NULL) {
        return NGX_CONF_OK;
    }

    if (conf->secrets == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"invsync_webhook %s\" "
                           "requires \"invsync_secret_file\"",
                           conf->scheme->name);
        return NGX_CONF_ERROR;
    }

    if (conf->dedupe_ttl <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"invsync_dedupe_ttl\" must be positive");
        return NGX_CONF_ERROR;
    }

    if (conf->scheme->needs_app_key && conf->app_key.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"invsync_webhook %s\" "
                           "requires \"invsync_app_key\"",
                           conf->scheme->name);
        return NGX_CONF_ERROR;
    }

    if (conf->channel.len == 0) {
        conf->channel.data = (u_char *) conf->scheme->name;
        conf->channel.len = ngx_strlen(conf->scheme->name);
    }

    if (ngx_http_invsync_merge_headers(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_invsync_register_channel(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_invsync_epoch_add_streams(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the lowercased, hashed header names the handler collects for a scheme */

static ngx_int_t
ngx_http_invsync_merge_headers(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf)
{
    ngx_str_t     name;
    const char  **h;

    conf->headers = ngx_array_create(cf->pool, INVSYNC_MAX_HEADERS,
                                     sizeof(ngx_http_invsync_header_t));
    if (conf->headers == NULL) {
        return NGX_ERROR;
    }

    if (conf->scheme->headers == NULL) {
        /* the generic scheme: signature, id and topic, as configured */
        if (conf->hmac_header.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"invsync_webhook %s\" "
                               "requires \"invsync_hmac_header\"",
                               conf->scheme->name);
            return NGX_ERROR;
        }

        if (ngx_http_invsync_add_header(cf, conf->headers, &conf->hmac_header)
            != NGX_OK
            || ngx_http_invsync_add_header(cf, conf->headers,
                                           &conf->id_header)
               != NGX_OK
            || ngx_http_invsync_add_header(cf, conf->headers,
                                           &conf->topic_header)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    for (h = conf->scheme->headers; *h; h++) {

        if (conf->headers->nelts == INVSYNC_MAX_HEADERS) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invsync: scheme \"%s\" lists too many headers",
                               conf->scheme->name);
            return NGX_ERROR;
        }

        name.data = (u_char *) *h;
        name.len = ngx_strlen(*h);

        if (ngx_http_invsync_add_header(cf, conf->headers, &name) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_invsync_add_header(ngx_conf_t *cf, ngx_array_t *headers,
    ngx_str_t *name)
{
    ngx_http_invsync_header_t  *h;

    h = ngx_array_push(headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->name.len = name->len;
    h->name.data = ngx_pnalloc(cf->pool, name->len + 1);
    if (h->name.data == NULL) {
        return NGX_ERROR;
    }

    /* an empty (unset) name never matches: its hash is never compared */
    h->hash = ngx_hash_strlow(h->name.data, name->data, name->len);
    h->name.data[name->len] = '\0';

    return NGX_OK;
}


/* channels get a fixed slot in the shared counters, in first-seen order */

static ngx_int_t
ngx_http_invsync_register_channel(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf)
{
    ngx_str_t                     *names;
    ngx_uint_t                     i;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_invsync_module);
    imcf->enabled = 1;

    if (conf->channel.len >= NGX_HTTP_INVSYNC_CHANNEL_LEN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"invsync_channel\" is longer than %d bytes",
                           NGX_HTTP_INVSYNC_CHANNEL_LEN - 1);
        return NGX_ERROR;
    }

    if (!ngx_http_invsync_valid_name(&conf->channel)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"invsync_channel\" \"%V\": use letters, "
                           "digits and \"-_.:\"", &conf->channel);
        return NGX_ERROR;
    }

    names = imcf->channels.elts;

    for (i = 0; i < imcf->channels.nelts; i++) {
        if (names[i].len == conf->channel.len
            && ngx_strncmp(names[i].data, conf->channel.data,
                           conf->channel.len)
               == 0)
        {
            conf->channel_index = i;
            return NGX_OK;
        }
    }

    if (imcf->channels.nelts == NGX_HTTP_INVSYNC_MAX_CHANNELS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invsync: more than %d channels",
                           NGX_HTTP_INVSYNC_MAX_CHANNELS);
        return NGX_ERROR;
    }

    names = ngx_array_push(&imcf->channels);
    if (names == NULL) {
        return NGX_ERROR;
    }

    *names = conf->channel;
    conf->channel_index = imcf->channels.nelts - 1;

    return NGX_OK;
}


/* names that go into keys and JSON answers unescaped */

ngx_int_t
ngx_http_invsync_valid_name(ngx_str_t *name)
{
    u_char      ch;
    ngx_uint_t  i;

    if (name->len == 0) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        ch = name->data[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'
              || ch == '.' || ch == ':'))
        {
            return 0;
        }
    }

    return 1;
}


/* "host:port" (numeric once parsed) or "unix:/path" */

ngx_int_t
ngx_http_invsync_parse_redis(ngx_conf_t *cf,
    ngx_http_invsync_main_conf_t *imcf, ngx_str_t *addr)
{
    ngx_url_t   u;
    u_char      text[NGX_SOCKADDR_STRLEN];
    size_t      len;

    imcf->addr = *addr;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        len = addr->len - 5;
        imcf->unix_path.data = ngx_pnalloc(cf->pool, len + 1);
        if (imcf->unix_path.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(imcf->unix_path.data, addr->data + 5, len);
        imcf->unix_path.data[len] = '\0';
        imcf->unix_path.len = len;
        return NGX_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *addr;
    u.default_port = 6379;

    /* resolved here, once: hiredis would call getaddrinfo(), which blocks */
    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"invsync_redis\" address \"%V\": %s",
                           addr, u.err ? u.err : "no address");
        return NGX_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                        NGX_SOCKADDR_STRLEN, 0);

    imcf->host.data = ngx_pnalloc(cf->pool, len + 1);
    if (imcf->host.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(imcf->host.data, text, len);
    imcf->host.data[len] = '\0';
    imcf->host.len = len;
    imcf->port = ngx_inet_get_port(u.addrs[0].sockaddr);

    return NGX_OK;
}
