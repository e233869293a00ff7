
/*
 * ngx_http_invsync_module: the module definition, its directives and
 * their handlers, and per-process start and stop.  Configuration is
 * created and merged in ngx_http_invsync_conf.c, secret files are read by
 * ngx_http_invsync_secret.c.
 */


#include "ngx_http_invsync_module.h"


static ngx_int_t ngx_http_invsync_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_invsync_postconfiguration(ngx_conf_t *cf);
static char *ngx_http_invsync_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
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
