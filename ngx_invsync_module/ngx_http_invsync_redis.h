
/*
 * The per-worker Redis connection's state, shared by the files that drive
 * it: its life cycle (ngx_http_invsync_redis.c), the connection's state
 * machine (_redis_connect.c), hiredis's event hooks (_redis_adapter.c) and
 * the ingest batches (_redis_ingest.c).  Nothing outside them sees it.
 */


#ifndef NGX_HTTP_INVSYNC_REDIS_H_INCLUDED
#define NGX_HTTP_INVSYNC_REDIS_H_INCLUDED


#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_invsync_module.h"


#define NGX_HTTP_INVSYNC_BACKOFF_MIN   100
#define NGX_HTTP_INVSYNC_BACKOFF_MAX   2000
#define NGX_HTTP_INVSYNC_KICK_MIN      200     /* ms between attempts that
                                                  waiting events bring on */


struct ngx_http_invsync_redis_s {
    redisAsyncContext             *ac;          /* NULL while disconnected */
    ngx_connection_t              *conn;        /* wraps ac's socket */
    ngx_http_invsync_main_conf_t  *imcf;
    ngx_log_t                     *log;
    ngx_event_t                    reconnect;
    ngx_event_t                    connect_timer;
    ngx_event_t                    flush;       /* posted: write once a turn */
    ngx_http_invsync_batch_t      *open;        /* events of this turn */
    ngx_msec_t                     backoff;
    ngx_msec_t                     attempted;   /* last connect() */
    ngx_msec_t                     last_reply;
    ngx_uint_t                     inflight;
    ngx_uint_t                     epoch_mode;  /* of this connection */
    ngx_str_t                      epoch;       /* verified, in epoch_buf */
    u_char                         epoch_buf[NGX_HTTP_INVSYNC_EPOCH_LEN];
    unsigned                       ready:1;     /* authenticated, loaded,
                                                   epoch verified */
    unsigned                       lost:1;      /* redis lost its data */
    unsigned                       auth_refused:1; /* this connection's */
    unsigned                       auth_failing:1; /* since the last ready */
    unsigned                       exiting:1;
    unsigned                       flushing:1;
    unsigned                       sealing:1;
};


/* ngx_http_invsync_redis.c */
void ngx_http_invsync_redis_schedule(ngx_http_invsync_redis_t *rd);
void ngx_http_invsync_redis_kick(ngx_http_invsync_redis_t *rd);
void ngx_http_invsync_redis_drop(ngx_http_invsync_redis_t *rd,
    const char *why);

/* ngx_http_invsync_redis_connect.c */
void ngx_http_invsync_redis_connect(ngx_http_invsync_redis_t *rd);
void ngx_http_invsync_redis_lose(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac);

/* ngx_http_invsync_redis_adapter.c */
ngx_int_t ngx_http_invsync_redis_attach(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac);

/* ngx_http_invsync_redis_ingest.c */
void ngx_http_invsync_redis_flush_handler(ngx_event_t *ev);


#endif /* NGX_HTTP_INVSYNC_REDIS_H_INCLUDED */
