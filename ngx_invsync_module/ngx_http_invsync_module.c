
/*
 * ngx_http_invsync_module: the module definition, its directives, the
 * creation and merging of configuration, and per-process start and stop.
 */


#include <openssl/evp.h>

#include "ngx_http_invsync_module.h"


/* the read buffer of ngx_http_invsync_read_file(): the larger of a signing
 * secret (and one byte to see it longer) and a Redis credentials file */
#define NGX_HTTP_INVSYNC_FILE_MAX                                           \
    ngx_max(INVSYNC_MAX_SECRET + 1, INVSYNC_CREDENTIALS_FILE_MAX)


typedef struct {
    ngx_str_t           data;
} ngx_http_invsync_wipe_t;


static ngx_int_t ngx_http_invsync_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_invsync_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_invsync_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_invsync_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_invsync_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_invsync_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_invsync_merge_headers(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf);
static ngx_int_t ngx_http_invsync_add_header(ngx_conf_t *cf,
    ngx_array_t *headers, ngx_str_t *name);
static ngx_int_t ngx_http_invsync_register_channel(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf);
static ngx_int_t ngx_http_invsync_valid_name(ngx_str_t *name);
static char *ngx_http_invsync_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_invsync_parse_redis(ngx_conf_t *cf,
    ngx_http_invsync_main_conf_t *imcf, ngx_str_t *addr);
static char *ngx_http_invsync_redis_auth_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_invsync_webhook(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_invsync_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_invsync_dispatch(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_invsync_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_invsync_read_file(ngx_conf_t *cf, ngx_str_t *file,
    size_t max, ngx_str_t *out);
static ngx_int_t ngx_http_invsync_read_secret(ngx_conf_t *cf, ngx_str_t *file,
    ngx_str_t *out);
static void ngx_http_invsync_wipe(void *data);
static ngx_int_t ngx_http_invsync_init_process(ngx_cycle_t *cycle);
static void ngx_http_invsync_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_invsync_encodings[] = {
    { ngx_string("base64"), INVSYNC_ENC_BASE64 },
    { ngx_string("hex"), INVSYNC_ENC_HEX },
    { ngx_null_string, 0 }
};


/* whether a worker process that knows no epoch may make one */
static ngx_conf_enum_t  ngx_http_invsync_epoch_modes[] = {
    { ngx_string("create"), 0 },
    { ngx_string("require"), 1 },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_invsync_commands[] = {

    { ngx_string("invsync_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_invsync_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_redis_auth_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_invsync_redis_auth_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_invsync_main_conf_t, timeout),
      NULL },

    { ngx_string("invsync_epoch"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_invsync_main_conf_t, epoch_require),
      &ngx_http_invsync_epoch_modes },

    { ngx_string("invsync_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_invsync_main_conf_t, prefix),
      NULL },

    { ngx_string("invsync_webhook"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_invsync_webhook,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_channel"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, channel),
      NULL },

    { ngx_string("invsync_secret_file"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_invsync_secret_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_tolerance"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, tolerance),
      NULL },

    { ngx_string("invsync_dedupe_ttl"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, dedupe_ttl),
      NULL },

    { ngx_string("invsync_dispatch"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_invsync_dispatch,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_hmac_header"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, hmac_header),
      NULL },

    { ngx_string("invsync_hmac_encoding"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, hmac_encoding),
      &ngx_http_invsync_encodings },

    { ngx_string("invsync_id_header"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, id_header),
      NULL },

    { ngx_string("invsync_topic_header"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, topic_header),
      NULL },

    { ngx_string("invsync_notification_url"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, notification_url),
      NULL },

    { ngx_string("invsync_app_key"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, app_key),
      NULL },

    { ngx_string("invsync_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_invsync_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_console"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_invsync_console_set,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("invsync_console_operator"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_invsync_loc_conf_t, console_operator),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_invsync_module_ctx = {
    ngx_http_invsync_preconfiguration,     /* preconfiguration */
    ngx_http_invsync_postconfiguration,    /* postconfiguration */

    ngx_http_invsync_create_main_conf,     /* create main configuration */
    ngx_http_invsync_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_invsync_create_loc_conf,      /* create location configuration */
    ngx_http_invsync_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_invsync_module = {
    NGX_MODULE_V1,
    &ngx_http_invsync_module_ctx,          /* module context */
    ngx_http_invsync_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_invsync_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_invsync_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_invsync_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_invsync_add_variables(cf);
}


static ngx_int_t
ngx_http_invsync_postconfiguration(ngx_conf_t *cf)
{
    ngx_str_t                      name = ngx_string("invsync_status");
    ngx_http_handler_pt           *h;
    ngx_http_core_main_conf_t     *cmcf;
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_invsync_module);
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* counts what nginx refused while reading a body for us (413) */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_invsync_status_log;

    /* one page-rounded zone; reused across reloads while its size holds */
    imcf->shm_zone = ngx_shared_memory_add(cf, &name,
                                       8 * ngx_pagesize
                                       + sizeof(ngx_http_invsync_shctx_t),
                                       &ngx_http_invsync_module);
    if (imcf->shm_zone == NULL) {
        return NGX_ERROR;
    }

    imcf->shm_zone->init = ngx_http_invsync_status_init_zone;
    imcf->shm_zone->data = imcf;
    imcf->shm_zone->noreuse = 0;

    return NGX_OK;
}


/*
 * ngx_pcalloc() zeroes: addr, host, unix_path, port, user, password,
 * prefix, shm_zone, script_sha, streams, epoch_keys, redis, enabled.
 */

static void *
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


static char *
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

static void *
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


static char *
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

static ngx_int_t
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


static char *
ngx_http_invsync_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_invsync_main_conf_t *imcf = conf;

    ngx_str_t  *value;

    if (imcf->addr.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_invsync_parse_redis(cf, imcf, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* "host:port" (numeric once parsed) or "unix:/path" */

static ngx_int_t
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


static char *
ngx_http_invsync_redis_auth_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_invsync_main_conf_t *imcf = conf;

    ngx_str_t              *value, content;
    const char             *reason;
    invsync_credentials_t   cr;

    if (imcf->password.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* the file as it is: the core's parser decides (the worker's too) */
    if (ngx_http_invsync_read_file(cf, &value[1],
                                   INVSYNC_CREDENTIALS_FILE_MAX, &content)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    reason = invsync_credentials_parse((const char *) content.data,
                                       content.len, &cr);
    if (reason != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"invsync_redis_auth_file\" \"%V\": %s",
                           &value[1], reason);
        return NGX_CONF_ERROR;
    }

    imcf->user.data = (u_char *) cr.user;
    imcf->user.len = cr.user_len;
    imcf->password.data = (u_char *) cr.password;
    imcf->password.len = cr.password_len;

    return NGX_CONF_OK;
}


static char *
ngx_http_invsync_webhook(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_invsync_loc_conf_t *ilcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (ilcf->scheme != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ilcf->scheme = invsync_scheme_find((char *) value[1].data, value[1].len);

    if (ilcf->scheme == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown invsync_webhook scheme \"%V\", "
                           "known: %s", &value[1], invsync_scheme_names());
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_invsync_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_invsync_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_invsync_loc_conf_t *ilcf = conf;

    ngx_str_t         *value, content;
    invsync_secret_t  *s;

    if (ilcf->secrets == NGX_CONF_UNSET_PTR) {
        ilcf->secrets = ngx_array_create(cf->pool, 2,
                                         sizeof(invsync_secret_t));
        if (ilcf->secrets == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    if (ngx_http_invsync_read_secret(cf, &value[1], &content) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    s = ngx_array_push(ilcf->secrets);
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    s->data = content.data;
    s->len = content.len;

    return NGX_CONF_OK;
}


static char *
ngx_http_invsync_dispatch(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_invsync_loc_conf_t *ilcf = conf;

    ngx_str_t                    *value;
    ngx_http_invsync_dispatch_t  *d;

    if (ilcf->dispatch == NGX_CONF_UNSET_PTR) {
        ilcf->dispatch = ngx_array_create(cf->pool, 4,
                                          sizeof(ngx_http_invsync_dispatch_t));
        if (ilcf->dispatch == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    if (!ngx_http_invsync_valid_name(&value[2])) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"invsync_dispatch\" stream \"%V\": use "
                           "letters, digits and \"-_.:\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    d = ngx_array_push(ilcf->dispatch);
    if (d == NULL) {
        return NGX_CONF_ERROR;
    }

    d->topic = value[1];
    d->stream = value[2];

    return NGX_CONF_OK;
}


static char *
ngx_http_invsync_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_invsync_main_conf_t  *imcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_invsync_status_handler;

    /* the status page reads the worker heartbeats from Redis */
    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_invsync_module);
    imcf->enabled = 1;

    return NGX_CONF_OK;
}


/*
 * Reads a secret file once, at configuration time, as nginx reads its
 * session ticket keys: the kept copy is wiped by a pool cleanup, the stack
 * buffer before returning.  A trailing newline is not part of the secret.
 */

/* a signing secret: trailing newlines removed, at most INVSYNC_MAX_SECRET
 * bytes then */

static ngx_int_t
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

static ngx_int_t
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


static ngx_int_t
ngx_http_invsync_init_process(ngx_cycle_t *cycle)
{
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_invsync_module);

    if (imcf == NULL || !imcf->enabled) {
        return NGX_OK;
    }

    return ngx_http_invsync_redis_init_process(cycle, imcf);
}


static void
ngx_http_invsync_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_invsync_main_conf_t  *imcf;

    /* nginx unloads the module after this: nothing of ours may outlive it */
    invsync_crypto_cleanup();
    invsync_json_cleanup();

    imcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_invsync_module);

    if (imcf == NULL || imcf->redis == NULL) {
        return;
    }

    ngx_http_invsync_redis_exit_process(imcf);
}
