
/*
 * ngx_http_invsync_module: configuration structures, the request context
 * and the prototypes shared between the module's files.
 */


#ifndef NGX_HTTP_INVSYNC_MODULE_H_INCLUDED
#define NGX_HTTP_INVSYNC_MODULE_H_INCLUDED


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <invsync.h>
#include <invsync_credentials.h>


#define NGX_HTTP_INVSYNC_MAX_CHANNELS   64
#define NGX_HTTP_INVSYNC_CHANNEL_LEN    64
#define NGX_HTTP_INVSYNC_VALUES         7
#define NGX_HTTP_INVSYNC_STREAM_ID_LEN  48
#define NGX_HTTP_INVSYNC_EPOCH_LEN      64      /* longest epoch taken */

/* how a connection asks for the epoch (ngx_http_invsync_epoch.c) */
#define NGX_HTTP_INVSYNC_EPOCH_CREATE   0
#define NGX_HTTP_INVSYNC_EPOCH_CHECK    1
#define NGX_HTTP_INVSYNC_EPOCH_ADOPT    2


/* what happened to a request, for counters and $invsync_result */
typedef enum {
    NGX_HTTP_INVSYNC_NONE = 0,
    NGX_HTTP_INVSYNC_ACCEPTED,
    NGX_HTTP_INVSYNC_DUPLICATE,
    NGX_HTTP_INVSYNC_IGNORED,           /* handshake: answered, not stored */
    NGX_HTTP_INVSYNC_REJECTED,          /* 4xx */
    NGX_HTTP_INVSYNC_ERROR,             /* 5xx */
    NGX_HTTP_INVSYNC_NRESULTS
} ngx_http_invsync_result_e;


/* finer reasons, counted per channel for operators */
typedef enum {
    NGX_HTTP_INVSYNC_R_METHOD = 0,
    NGX_HTTP_INVSYNC_R_SIGNATURE,
    NGX_HTTP_INVSYNC_R_TIMESTAMP,
    NGX_HTTP_INVSYNC_R_FORMAT,
    NGX_HTTP_INVSYNC_R_REDIS_DOWN,
    NGX_HTTP_INVSYNC_R_REDIS_TIMEOUT,
    NGX_HTTP_INVSYNC_R_REDIS_ERROR,
    NGX_HTTP_INVSYNC_R_INTERNAL,
    NGX_HTTP_INVSYNC_R_UNUSABLE,        /* valid JSON the worker refuses */
    NGX_HTTP_INVSYNC_R_REDIS_EPOCH,     /* redis lost its data */
    NGX_HTTP_INVSYNC_NREASONS
} ngx_http_invsync_reason_e;


typedef struct ngx_http_invsync_redis_s  ngx_http_invsync_redis_t;
typedef struct ngx_http_invsync_batch_s  ngx_http_invsync_batch_t;


/* one channel's counters in the shared zone */
typedef struct {
    u_char              name[NGX_HTTP_INVSYNC_CHANNEL_LEN];
    size_t              name_len;
    ngx_atomic_t        results[NGX_HTTP_INVSYNC_NRESULTS];
    ngx_atomic_t        reasons[NGX_HTTP_INVSYNC_NREASONS];
} ngx_http_invsync_channel_stats_t;


/* the shared zone: counters of every worker process */
typedef struct {
    ngx_atomic_t                      redis_connects;
    ngx_atomic_t                      redis_disconnects;
    ngx_atomic_t                      redis_noscript;
    ngx_atomic_t                      redis_epoch_lost; /* found lost */
    ngx_atomic_t                      epoch_lost;  /* 1: said, not found
                                                      again since */
    ngx_uint_t                        epoch_adopt; /* set by a reload */
    uint32_t                          epoch_of;    /* crc32 of the Redis
                                                      address and prefix */
    size_t                            epoch_len;   /* 0: none seen yet */
    u_char                            epoch[NGX_HTTP_INVSYNC_EPOCH_LEN];
    ngx_uint_t                        nchannels;
    ngx_http_invsync_channel_stats_t  channels[NGX_HTTP_INVSYNC_MAX_CHANNELS];
} ngx_http_invsync_shctx_t;


typedef struct {
    ngx_str_t                   addr;       /* as configured, for logs */
    ngx_str_t                   host;       /* numeric, NUL-terminated */
    ngx_str_t                   unix_path;  /* NUL-terminated, or empty */
    ngx_int_t                   port;
    ngx_str_t                   user;       /* from invsync_redis_auth_file */
    ngx_str_t                   password;
    ngx_msec_t                  timeout;
    ngx_uint_t                  epoch_require; /* invsync_epoch require */
    ngx_str_t                   prefix;
    ngx_shm_zone_t             *shm_zone;
    ngx_http_invsync_shctx_t   *sh;
    ngx_http_invsync_channel_stats_t  *slots[NGX_HTTP_INVSYNC_MAX_CHANNELS];
    ngx_array_t                 channels;   /* ngx_str_t, index = stats slot */
    ngx_array_t                *streams;    /* ngx_str_t: written to */
    ngx_array_t                *epoch_keys; /* ngx_str_t, init_process */
    u_char                      script_sha[41];
    ngx_http_invsync_redis_t   *redis;      /* per worker, init_process */
    u_char                      console_key[32];    /* CSRF, see
                                                     * _console_act.c */
    unsigned                    enabled:1;  /* some location ingests */
    unsigned                    console_keyed:1;
} ngx_http_invsync_main_conf_t;


typedef struct {
    ngx_str_t           topic;
    ngx_str_t           stream;             /* short name */
} ngx_http_invsync_dispatch_t;


typedef struct {
    ngx_str_t           name;               /* lowercase */
    ngx_uint_t          hash;
} ngx_http_invsync_header_t;


typedef struct {
    const invsync_scheme_t     *scheme;
    ngx_str_t                   channel;
    ngx_uint_t                  channel_index;
    ngx_array_t                *secrets;    /* invsync_secret_t */
    time_t                      tolerance;
    time_t                      dedupe_ttl;
    ngx_array_t                *dispatch;   /* ngx_http_invsync_dispatch_t */
    ngx_array_t                *headers;    /* ngx_http_invsync_header_t */
    ngx_str_t                   hmac_header;
    ngx_str_t                   id_header;
    ngx_str_t                   topic_header;
    ngx_uint_t                  hmac_encoding;
    ngx_http_complex_value_t   *notification_url;
    ngx_str_t                   app_key;
    ngx_http_complex_value_t   *console_operator;
} ngx_http_invsync_loc_conf_t;


/* answers r with a Redis reply, NULL if none came */
typedef void (*ngx_http_invsync_done_pt)(ngx_http_request_t *r, void *reply);

/*
 * A request's claim on a Redis reply, made by ngx_http_invsync_pending_new():
 * whoever gets the reply calls done unless the request went first (its
 * cleanup, or its timer, detached the token), then frees the token.
 */
typedef struct {
    ngx_http_request_t         *request;    /* NULL once the request is gone */
    ngx_http_cleanup_t         *cleanup;    /* ours, on that request */
    ngx_http_invsync_done_pt    done;       /* set by the token's maker */
} ngx_http_invsync_pending_t;


/* one event for the ingest script; the values in the script's order */
typedef struct {
    ngx_str_t                   stream;     /* full key */
    ngx_str_t                   key;        /* idempotency key */
    time_t                      ttl;
    ngx_str_t                   values[NGX_HTTP_INVSYNC_VALUES];
} ngx_http_invsync_event_t;


typedef struct {
    ngx_http_invsync_pending_t *pending;
    ngx_event_t                 timeout;
    ngx_http_invsync_result_e   result;
    invsync_meta_t              meta;
    invsync_str_t               body;
    ngx_str_t                   stream;     /* full key */
    ngx_str_t                   stream_id;
    unsigned                    prometheus:1;
    u_char                      received[NGX_INT64_LEN];
} ngx_http_invsync_ctx_t;


extern ngx_module_t  ngx_http_invsync_module;


/* ngx_http_invsync_conf.c */
void *ngx_http_invsync_create_main_conf(ngx_conf_t *cf);
char *ngx_http_invsync_init_main_conf(ngx_conf_t *cf, void *conf);
void *ngx_http_invsync_create_loc_conf(ngx_conf_t *cf);
char *ngx_http_invsync_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
ngx_int_t ngx_http_invsync_valid_name(ngx_str_t *name);
ngx_int_t ngx_http_invsync_parse_redis(ngx_conf_t *cf,
    ngx_http_invsync_main_conf_t *imcf, ngx_str_t *addr);

/* ngx_http_invsync_secret.c */
ngx_int_t ngx_http_invsync_read_file(ngx_conf_t *cf, ngx_str_t *file,
    size_t max, ngx_str_t *out);
ngx_int_t ngx_http_invsync_read_secret(ngx_conf_t *cf, ngx_str_t *file,
    ngx_str_t *out);

/* ngx_http_invsync_handler.c */
ngx_int_t ngx_http_invsync_handler(ngx_http_request_t *r);

/* ngx_http_invsync_input.c */
void ngx_http_invsync_collect_headers(ngx_http_request_t *r,
    ngx_http_invsync_loc_conf_t *ilcf, invsync_input_t *in);
ngx_int_t ngx_http_invsync_notification_url(ngx_http_request_t *r,
    ngx_http_invsync_loc_conf_t *ilcf, invsync_str_t *url);

/* ngx_http_invsync_answer.c */
void ngx_http_invsync_ingest_done(ngx_http_request_t *r, void *reply);
ngx_int_t ngx_http_invsync_reject(ngx_http_request_t *r,
    ngx_http_invsync_loc_conf_t *ilcf, invsync_rc_e rc);
ngx_int_t ngx_http_invsync_fail(ngx_http_request_t *r, ngx_int_t reason,
    const char *text);

/* ngx_http_invsync_redis.c */
ngx_int_t ngx_http_invsync_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_invsync_main_conf_t *imcf);
void ngx_http_invsync_redis_exit_process(ngx_http_invsync_main_conf_t *imcf);
ngx_int_t ngx_http_invsync_redis_ready(ngx_http_invsync_redis_t *rd);
ngx_uint_t ngx_http_invsync_redis_up(ngx_http_invsync_redis_t *rd);
ngx_http_invsync_pending_t *ngx_http_invsync_pending_new(
    ngx_http_request_t *r, ngx_http_invsync_ctx_t *ctx,
    ngx_http_invsync_done_pt done);
ngx_int_t ngx_http_invsync_redis_ingest(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_pending_t *p, const ngx_http_invsync_event_t *ev);
ngx_int_t ngx_http_invsync_redis_query(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_pending_t *p, int argc, const char **argv,
    const size_t *argvlen);
void ngx_http_invsync_redis_timed_out(ngx_http_invsync_redis_t *rd);
time_t ngx_http_invsync_redis_retry_after(ngx_http_invsync_redis_t *rd);
ngx_uint_t ngx_http_invsync_redis_auth_refused(ngx_http_invsync_redis_t *rd);
ngx_uint_t ngx_http_invsync_redis_lost(ngx_http_invsync_redis_t *rd);

/* ngx_http_invsync_epoch.c */
ngx_int_t ngx_http_invsync_epoch_add_streams(ngx_conf_t *cf,
    ngx_http_invsync_loc_conf_t *conf);
void ngx_http_invsync_epoch_init_zone(ngx_http_invsync_main_conf_t *imcf,
    ngx_http_invsync_shctx_t *sh, ngx_log_t *log);
ngx_int_t ngx_http_invsync_epoch_init_process(ngx_cycle_t *cycle,
    ngx_http_invsync_main_conf_t *imcf);
ngx_int_t ngx_http_invsync_epoch_query(ngx_http_invsync_main_conf_t *imcf,
    redisAsyncContext *ac, redisCallbackFn *fn, void *data,
    ngx_uint_t *mode);
ngx_int_t ngx_http_invsync_epoch_verdict(ngx_http_invsync_main_conf_t *imcf,
    ngx_log_t *log, ngx_uint_t mode, redisReply *rp, u_char *epoch,
    size_t *len);
void ngx_http_invsync_epoch_lost(ngx_http_invsync_main_conf_t *imcf,
    ngx_log_t *log, const char *what);

/* ngx_http_invsync_batch.c */
ngx_http_invsync_batch_t *ngx_http_invsync_batch_add(
    ngx_http_invsync_batch_t **open, ngx_http_invsync_pending_t *p,
    const ngx_http_invsync_event_t *ev, const ngx_str_t *prefix,
    ngx_log_t *log);
ngx_int_t ngx_http_invsync_batch_seal(ngx_http_invsync_batch_t *b,
    const char *verb, const u_char *script, size_t script_len,
    const ngx_str_t *epoch, u_char **cmd, size_t *len);
ngx_uint_t ngx_http_invsync_batch_full(ngx_http_invsync_batch_t *b);
ngx_uint_t ngx_http_invsync_batch_first(ngx_http_invsync_batch_t *open,
    ngx_http_invsync_batch_t *b);
void ngx_http_invsync_batch_unlink(ngx_http_invsync_batch_t **open,
    ngx_http_invsync_batch_t *b);
ngx_http_invsync_batch_t *ngx_http_invsync_batch_next(
    ngx_http_invsync_batch_t *b);
ngx_uint_t ngx_http_invsync_batch_retry(ngx_http_invsync_batch_t *b);
ngx_uint_t ngx_http_invsync_batch_abandoned(ngx_http_invsync_batch_t *b);
void ngx_http_invsync_batch_answer(ngx_http_invsync_batch_t *b, void *reply);

/* ngx_http_invsync_reply.c */
ngx_int_t ngx_http_invsync_reply(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len, time_t retry_after);
ngx_int_t ngx_http_invsync_reply_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *reason, time_t retry_after);
ngx_int_t ngx_http_invsync_reply_accepted(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx);

/* ngx_http_invsync_status.c */
ngx_int_t ngx_http_invsync_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
void ngx_http_invsync_status_count(ngx_http_request_t *r,
    ngx_http_invsync_result_e result, ngx_int_t reason);
ngx_int_t ngx_http_invsync_status_log(ngx_http_request_t *r);

/* ngx_http_invsync_status_page.c */
ngx_int_t ngx_http_invsync_status_handler(ngx_http_request_t *r);

/* ngx_http_invsync_console.c */
char *ngx_http_invsync_console_set(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_invsync_variables.c */
ngx_int_t ngx_http_invsync_add_variables(ngx_conf_t *cf);


#endif /* NGX_HTTP_INVSYNC_MODULE_H_INCLUDED */
