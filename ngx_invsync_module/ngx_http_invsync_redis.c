
/*
 * The per-worker Redis connection: hiredis's async API driven by nginx's
 * event loop, with connect, AUTH, script loading and the epoch check
 * (ngx_http_invsync_epoch.c) as one state machine, reconnection with
 * backoff, and the ingest command with its NOSCRIPT fallback.  Events
 * that arrive while the connection is not ready wait for it ("parked" in
 * the open batches), each for its request's own timeout, and bring the
 * next attempt forward (rate-limited).
 */


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


static void ngx_http_invsync_redis_connect(ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_schedule(ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_kick(ngx_http_invsync_redis_t *rd);
static ngx_msec_t ngx_http_invsync_redis_kick_delay(
    ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_prune(ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_invsync_redis_drop(ngx_http_invsync_redis_t *rd,
    const char *why);
static void ngx_http_invsync_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_invsync_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_http_invsync_redis_auth_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_invsync_redis_script_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_invsync_redis_epoch_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_invsync_redis_up_now(ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_lose(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac);
static void ngx_http_invsync_pending_cleanup(void *data);
static void ngx_http_invsync_redis_batch_early(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b);
static void ngx_http_invsync_redis_batch_send(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b);
static ngx_int_t ngx_http_invsync_redis_batch_queue(
    ngx_http_invsync_redis_t *rd, ngx_http_invsync_batch_t *b,
    ngx_uint_t eval);
static void ngx_http_invsync_redis_batch_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_invsync_redis_query_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_invsync_redis_read_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_write_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_flush_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_add_read(void *data);
static void ngx_http_invsync_redis_del_read(void *data);
static void ngx_http_invsync_redis_add_write(void *data);
static void ngx_http_invsync_redis_del_write(void *data);
static void ngx_http_invsync_redis_cleanup(void *data);


ngx_int_t
ngx_http_invsync_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_invsync_main_conf_t *imcf)
{
    ngx_http_invsync_redis_t  *rd;

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_invsync_redis_t));
    if (rd == NULL) {
        return NGX_ERROR;
    }

    rd->imcf = imcf;
    rd->log = cycle->log;
    rd->backoff = NGX_HTTP_INVSYNC_BACKOFF_MIN;

    /* our timers must not hold a gracefully stopping worker */
    rd->reconnect.handler = ngx_http_invsync_redis_reconnect_handler;
    rd->reconnect.data = rd;
    rd->reconnect.log = cycle->log;
    rd->reconnect.cancelable = 1;

    rd->flush.handler = ngx_http_invsync_redis_flush_handler;
    rd->flush.data = rd;
    rd->flush.log = cycle->log;

    rd->connect_timer.handler = ngx_http_invsync_redis_connect_timeout;
    rd->connect_timer.data = rd;
    rd->connect_timer.log = cycle->log;
    rd->connect_timer.cancelable = 1;

    rd->epoch.data = rd->epoch_buf;

    if (ngx_http_invsync_epoch_init_process(cycle, imcf) != NGX_OK) {
        return NGX_ERROR;
    }

    imcf->redis = rd;

    ngx_http_invsync_redis_connect(rd);

    return NGX_OK;
}


void
ngx_http_invsync_redis_exit_process(ngx_http_invsync_main_conf_t *imcf)
{
    ngx_http_invsync_batch_t  *b;
    ngx_http_invsync_redis_t  *rd = imcf->redis;

    rd->exiting = 1;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->flush.posted) {
        ngx_delete_posted_event(&rd->flush);
    }

    /* events not yet sent get what those in flight get: no reply */
    while (rd->open != NULL) {
        b = rd->open;
        rd->open = ngx_http_invsync_batch_next(b);
        ngx_http_invsync_batch_answer(b, NULL);
    }

    if (rd->ac != NULL) {
        /* runs every pending callback with a NULL reply, then cleanup */
        redisAsyncFree(rd->ac);
    }

    imcf->redis = NULL;
}


/*
 * Commands may be queued as soon as a connection exists: while it connects
 * they wait behind AUTH and SCRIPT LOAD, so EVALSHA finds the script; if
 * the connection fails, their callbacks answer 503.
 */

ngx_int_t
ngx_http_invsync_redis_ready(ngx_http_invsync_redis_t *rd)
{
    return rd != NULL && rd->ac != NULL
           && !(rd->ac->c.flags & (REDIS_DISCONNECTING|REDIS_FREEING));
}


/* authenticated and the script loaded: what was queued now is sent */

ngx_uint_t
ngx_http_invsync_redis_up(ngx_http_invsync_redis_t *rd)
{
    return rd != NULL && rd->ready;
}


time_t
ngx_http_invsync_redis_retry_after(ngx_http_invsync_redis_t *rd)
{
    if (rd == NULL) {
        return 1;
    }

    return 1 + (time_t) (rd->backoff / 1000);
}


/*
 * The connection's AUTH was refused: the replies still coming on it (to
 * commands queued behind AUTH) are Redis being unavailable to us, whatever
 * their text (NOAUTH, or Redis 7's protocol error for a long command from
 * a client not yet authenticated).
 */

ngx_uint_t
ngx_http_invsync_redis_auth_refused(ngx_http_invsync_redis_t *rd)
{
    return rd->auth_refused;
}


/* Redis lost its data, and this connection has not found the epoch again */

ngx_uint_t
ngx_http_invsync_redis_lost(ngx_http_invsync_redis_t *rd)
{
    return rd != NULL && rd->lost;
}


static void
ngx_http_invsync_redis_connect(ngx_http_invsync_redis_t *rd)
{
    const char                    *argv[3];
    size_t                         argvlen[3];
    int                            argc;
    redisAsyncContext             *ac;
    ngx_connection_t              *c;
    ngx_http_invsync_main_conf_t  *imcf = rd->imcf;

    rd->auth_refused = 0;
    rd->attempted = ngx_current_msec;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: connecting, auth %s", &imcf->addr,
                   imcf->password.len ? "first" : "none");

    if (imcf->unix_path.len) {
        ac = redisAsyncConnectUnix((char *) imcf->unix_path.data);

    } else {
        ac = redisAsyncConnect((char *) imcf->host.data, (int) imcf->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "invsync: redis %V: cannot allocate a context",
                      &imcf->addr);
        ngx_http_invsync_redis_schedule(rd);
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0, "invsync: redis %V: %s",
                      &imcf->addr, ac->errstr);
        redisAsyncFree(ac);
        ngx_http_invsync_redis_schedule(rd);
        return;
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_invsync_redis_schedule(rd);
        return;
    }

    c->data = rd;
    c->read->handler = ngx_http_invsync_redis_read_handler;
    c->write->handler = ngx_http_invsync_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    rd->ac = ac;
    rd->conn = c;
    rd->ready = 0;
    rd->inflight = 0;

    ac->data = rd;
    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_invsync_redis_add_read;
    ac->ev.delRead = ngx_http_invsync_redis_del_read;
    ac->ev.addWrite = ngx_http_invsync_redis_add_write;
    ac->ev.delWrite = ngx_http_invsync_redis_del_write;
    ac->ev.cleanup = ngx_http_invsync_redis_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_http_invsync_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_http_invsync_redis_on_disconnect);

    /* queued now, written once the socket connects: AUTH, then the script */
    if (imcf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (imcf->user.len) {
            argv[argc] = (char *) imcf->user.data;
            argvlen[argc++] = imcf->user.len;
        }

        argv[argc] = (char *) imcf->password.data;
        argvlen[argc++] = imcf->password.len;

        if (redisAsyncCommandArgv(ac, ngx_http_invsync_redis_auth_done, NULL,
                                  argc, argv, argvlen)
            != REDIS_OK)
        {
            ngx_http_invsync_redis_drop(rd, "cannot queue AUTH");
            return;
        }
    }

    argv[0] = "SCRIPT";
    argvlen[0] = 6;
    argv[1] = "LOAD";
    argvlen[1] = 4;
    argv[2] = invsync_script_ingest;
    argvlen[2] = invsync_script_ingest_len;

    if (redisAsyncCommandArgv(ac, ngx_http_invsync_redis_script_done, NULL,
                              3, argv, argvlen)
        != REDIS_OK)
    {
        ngx_http_invsync_redis_drop(rd, "cannot queue SCRIPT LOAD");
        return;
    }

    /* the connection is ready only once its epoch is the one remembered */
    if (ngx_http_invsync_epoch_query(imcf, ac,
                                     ngx_http_invsync_redis_epoch_done, NULL,
                                     &rd->epoch_mode)
        != NGX_OK)
    {
        ngx_http_invsync_redis_drop(rd, "cannot queue the epoch call");
        return;
    }

    ngx_add_timer(&rd->connect_timer, imcf->timeout);
}


static void
ngx_http_invsync_redis_schedule(ngx_http_invsync_redis_t *rd)
{
    ngx_msec_t  delay;

    if (rd->exiting || rd->reconnect.timer_set) {
        return;
    }

    /* jitter keeps the workers of many nginx hosts from knocking at once */
    delay = rd->backoff / 2 + (ngx_random() % (rd->backoff / 2 + 1));

    /* events waiting: the next attempt as soon as the rate allows */
    ngx_http_invsync_redis_prune(rd);

    if (rd->open != NULL && !rd->auth_failing) {
        delay = ngx_min(delay, ngx_http_invsync_redis_kick_delay(rd));
    }

    ngx_add_timer(&rd->reconnect, delay);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: reconnect in %M ms",
                   &rd->imcf->addr, delay);

    rd->backoff *= 2;

    if (rd->backoff > NGX_HTTP_INVSYNC_BACKOFF_MAX) {
        rd->backoff = NGX_HTTP_INVSYNC_BACKOFF_MAX;
    }
}


/*
 * An event arrived while no connection is being made: the next attempt
 * now, rather than at the end of the backoff (up to 2 s, while Redis may
 * be back already), but not sooner than NGX_HTTP_INVSYNC_KICK_MIN after
 * the last one, so that a dead Redis sees at most five attempts a second
 * from each worker process however many webhooks come.  Through the timer,
 * never from inside a request's handler.
 */

static void
ngx_http_invsync_redis_kick(ngx_http_invsync_redis_t *rd)
{
    ngx_msec_t  delay;

    if (rd->exiting || rd->ac != NULL) {
        return;     /* an attempt is under way: when it ends, schedule() */
    }

    delay = ngx_http_invsync_redis_kick_delay(rd);

    if (rd->reconnect.timer_set) {
        if ((ngx_msec_int_t) (rd->reconnect.timer.key
                              - (ngx_current_msec + delay)) <= 0)
        {
            return;
        }

        /* ngx_add_timer() would keep a timer under 300 ms off */
        ngx_del_timer(&rd->reconnect);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: events waiting, reconnect in %M ms",
                   &rd->imcf->addr, delay);

    ngx_add_timer(&rd->reconnect, delay);
}


static ngx_msec_t
ngx_http_invsync_redis_kick_delay(ngx_http_invsync_redis_t *rd)
{
    ngx_msec_t  since;

    since = ngx_current_msec - rd->attempted;

    return since >= NGX_HTTP_INVSYNC_KICK_MIN
           ? 0 : NGX_HTTP_INVSYNC_KICK_MIN - since;
}


/* waiting batches whose requests have all been answered (their timeout,
 * their client gone) are dropped: never written */

static void
ngx_http_invsync_redis_prune(ngx_http_invsync_redis_t *rd)
{
    ngx_http_invsync_batch_t  *b, *next;

    if (rd->ready) {
        return;     /* they are sent at the flush, as a sent command is */
    }

    for (b = rd->open; b != NULL; b = next) {
        next = ngx_http_invsync_batch_next(b);

        if (ngx_http_invsync_batch_abandoned(b)) {
            ngx_http_invsync_batch_unlink(&rd->open, b);
            ngx_http_invsync_batch_answer(b, NULL);
        }
    }
}


static void
ngx_http_invsync_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_invsync_redis_t *rd = ev->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "invsync redis reconnect timer, exiting:%ui connected:%ui",
                   (ngx_uint_t) rd->exiting, (ngx_uint_t) (rd->ac != NULL));

    if (rd->exiting || rd->ac != NULL) {
        return;
    }

    ngx_http_invsync_redis_connect(rd);
}


static void
ngx_http_invsync_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_invsync_redis_t *rd = ev->data;

    if (rd->ac != NULL && !rd->ready) {
        ngx_http_invsync_redis_drop(rd, "connect timed out");
    }
}


/*
 * Frees the context: hiredis runs every pending callback with a NULL reply
 * (their requests get 503) and then our cleanup hook, which schedules the
 * reconnection.  Must not be called from inside a hiredis callback for a
 * context other than the current one; hiredis defers it for the current.
 */

static void
ngx_http_invsync_redis_drop(ngx_http_invsync_redis_t *rd, const char *why)
{
    ngx_log_error(NGX_LOG_ERR, rd->log, 0, "invsync: redis %V: %s, "
                  "reconnecting", &rd->imcf->addr, why);

    if (rd->ac != NULL) {
        rd->ready = 0;
        redisAsyncFree(rd->ac);
    }
}


/*
 * Called when a request's own timer fired: a reply is overdue.  If nothing
 * at all came back for a whole timeout while commands were waiting, the
 * connection is stuck (a stalled server, a silently dropped link): drop it.
 */

void
ngx_http_invsync_redis_timed_out(ngx_http_invsync_redis_t *rd)
{
    if (rd == NULL) {
        return;
    }

    ngx_http_invsync_redis_prune(rd);

    if (rd->ac == NULL || rd->inflight == 0) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis: in flight:%ui, last reply %M ms ago",
                   rd->inflight, ngx_current_msec - rd->last_reply);

    if (ngx_current_msec - rd->last_reply >= rd->imcf->timeout) {
        ngx_http_invsync_redis_drop(rd, "no reply within the timeout");
    }
}


static void
ngx_http_invsync_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_http_invsync_redis_t *rd = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context after this; cleanup reschedules */
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "invsync: redis %V: connect failed: %s",
                      &rd->imcf->addr, ac->errstr);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: connected", &rd->imcf->addr);

    rd->last_reply = ngx_current_msec;
}


static void
ngx_http_invsync_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_invsync_redis_t *rd = ac->data;

    ngx_http_invsync_shctx_t  *sh;

    if (status != REDIS_OK && !rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "invsync: redis %V: connection lost: %s",
                      &rd->imcf->addr, ac->errstr);
    }

    sh = rd->imcf->sh;
    if (sh != NULL) {
        (void) ngx_atomic_fetch_add(&sh->redis_disconnects, 1);
    }
}


static void
ngx_http_invsync_redis_auth_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                *rp = reply;
    ngx_http_invsync_redis_t  *rd = ac->data;

    if (rp == NULL) {
        return;
    }

    if (rp->type == REDIS_REPLY_ERROR) {
        /* the server's message names the problem; it never echoes the key */
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "invsync: redis %V: AUTH refused: %s",
                      &rd->imcf->addr, rp->str);
        rd->auth_refused = 1;
        rd->auth_failing = 1;
        redisAsyncDisconnect(ac);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: AUTH accepted", &rd->imcf->addr);
}


static void
ngx_http_invsync_redis_script_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                *rp = reply;
    ngx_http_invsync_redis_t  *rd = ac->data;

    /* after a refused AUTH the connection is going: not ready, no reset */
    if (rp == NULL || (ac->c.flags & REDIS_DISCONNECTING)) {
        return;
    }

    rd->last_reply = ngx_current_msec;

    if (rp->type != REDIS_REPLY_STRING || rp->len != 40
        || ngx_strncmp(rp->str, rd->imcf->script_sha, 40) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "invsync: redis %V: SCRIPT LOAD failed: %s",
                      &rd->imcf->addr,
                      rp->type == REDIS_REPLY_ERROR ? rp->str : "bad reply");
        redisAsyncDisconnect(ac);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: script loaded", &rd->imcf->addr);
}


static void
ngx_http_invsync_redis_epoch_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    ngx_int_t                  rc;
    redisReply                *rp = reply;
    ngx_http_invsync_redis_t  *rd = ac->data;

    /* the connection is going (a refused AUTH, a failed SCRIPT LOAD) */
    if (rp == NULL || (ac->c.flags & REDIS_DISCONNECTING)) {
        return;
    }

    rd->last_reply = ngx_current_msec;

    rc = ngx_http_invsync_epoch_verdict(rd->imcf, rd->log, rd->epoch_mode,
                                        rp, rd->epoch_buf, &rd->epoch.len);

    if (rc == NGX_OK) {
        ngx_http_invsync_redis_up_now(rd);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_invsync_redis_lose(rd, ac);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "invsync: redis %V: the epoch call failed: %s",
                  &rd->imcf->addr,
                  rp->type == REDIS_REPLY_ERROR ? rp->str : "bad reply");
    redisAsyncDisconnect(ac);
}


/* authenticated, the script loaded, the epoch verified: webhooks go */

static void
ngx_http_invsync_redis_up_now(ngx_http_invsync_redis_t *rd)
{
    ngx_http_invsync_shctx_t  *sh;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    rd->ready = 1;
    rd->lost = 0;
    rd->auth_failing = 0;
    rd->backoff = NGX_HTTP_INVSYNC_BACKOFF_MIN;

    ngx_log_error(NGX_LOG_INFO, rd->log, 0, "invsync: redis %V: ready",
                  &rd->imcf->addr);

    /* the events that waited for this connection go now */
    if (rd->open != NULL && !rd->flush.posted) {
        ngx_post_event(&rd->flush, &ngx_posted_events);
    }

    sh = rd->imcf->sh;
    if (sh != NULL) {
        (void) ngx_atomic_fetch_add(&sh->redis_connects, 1);
    }
}


/*
 * Redis lost its data (ngx_http_invsync_epoch_lost() said so): webhooks
 * get 503 "redis data lost" at once, those that waited for this
 * connection too, and the connection goes, to be tried again with the
 * backoff until the epoch is back.  Called from a reply callback of ac.
 */

static void
ngx_http_invsync_redis_lose(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac)
{
    ngx_http_invsync_batch_t  *b;

    /* the answer the ingest script gives when it finds the epoch changed */
    static redisReply  lost = {
        .type = REDIS_REPLY_ERROR,
        .str = "EPOCH redis lost its data",
        .len = sizeof("EPOCH redis lost its data") - 1
    };

    rd->lost = 1;
    rd->ready = 0;

    while (rd->open != NULL) {
        b = rd->open;
        rd->open = ngx_http_invsync_batch_next(b);
        ngx_http_invsync_batch_answer(b, &lost);
    }

    redisAsyncDisconnect(ac);
}


/*
 * Gives a request's claim on one Redis reply, with the request cleanup that
 * detaches it, as ctx->pending: done will answer r, unless r goes first.
 * The token is the caller's until a command takes it; if none does, the
 * caller frees it and sets ctx->pending to NULL.  NULL if memory ran out.
 */

ngx_http_invsync_pending_t *
ngx_http_invsync_pending_new(ngx_http_request_t *r,
    ngx_http_invsync_ctx_t *ctx, ngx_http_invsync_done_pt done)
{
    ngx_http_cleanup_t          *cln;
    ngx_http_invsync_pending_t  *p;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    p = ngx_alloc(sizeof(ngx_http_invsync_pending_t), r->connection->log);
    if (p == NULL) {
        return NULL;
    }

    p->request = r;
    p->cleanup = cln;
    p->done = done;

    ctx->pending = p;
    cln->handler = ngx_http_invsync_pending_cleanup;
    cln->data = ctx;

    return p;
}


/* the request is going away: its command's reply must not find it */

static void
ngx_http_invsync_pending_cleanup(void *data)
{
    ngx_http_invsync_ctx_t *ctx = data;

    if (ctx->pending != NULL) {
        ngx_log_error(NGX_LOG_INFO, ctx->timeout.log, 0,
                      "invsync: client closed the connection while waiting "
                      "for redis");
        ctx->pending->request = NULL;
        ctx->pending = NULL;
    }

    if (ctx->timeout.timer_set) {
        ngx_del_timer(&ctx->timeout);
    }
}


/*
 * Queues a request's event: it joins its stream's batch of this turn, which
 * the posted flush sends once the turn's I/O events are handled.  While the
 * connection is not ready, the batch waits for it (bounded by the request's
 * own timer) and the next attempt is brought forward.  The pending token is
 * owned by the batch from here on: the batch's answer frees it.
 */

ngx_int_t
ngx_http_invsync_redis_ingest(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_pending_t *p, const ngx_http_invsync_event_t *ev)
{
    ngx_http_invsync_batch_t  *b;

    /* a refused AUTH is a mistake of configuration, not an outage: no
     * waiting, and no attempts brought forward that Redis would refuse;
     * nor while Redis has lost its data: its return is not to be waited
     * for by each webhook, the backoff retries */
    if (rd == NULL || rd->exiting || (rd->auth_failing && !rd->ready)
        || (rd->lost && !rd->ready))
    {
        return NGX_DECLINED;
    }

    b = ngx_http_invsync_batch_add(&rd->open, p, ev, &rd->imcf->prefix,
                                   rd->log);
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (!rd->ready) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "invsync batch %p waits for the connection%s", b,
                       rd->auth_failing ? ", AUTH refused before" : "");

        ngx_http_invsync_redis_kick(rd);
        return NGX_OK;
    }

    if (!rd->flush.posted) {
        ngx_post_event(&rd->flush, &ngx_posted_events);
    }

    /* an older batch of the stream still waiting goes first, at the flush */
    if (ngx_http_invsync_batch_full(b) && rd->ready
        && ngx_http_invsync_batch_first(rd->open, b))
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "invsync batch %p full: sent at once", b);

        ngx_http_invsync_redis_batch_early(rd, b);
    }

    return NGX_OK;
}


/*
 * A full batch is written at once, while nginx goes on with the rest of
 * its turn, so that Redis works on it meanwhile.  This runs inside a
 * request's handler, where answering requests is not safe: nothing here
 * may fail a batch.  A batch that cannot be sealed or queued stays for the
 * flush, and a write error is left in the context for the flush to find.
 */

static void
ngx_http_invsync_redis_batch_early(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b)
{
    int  done;

    if (ngx_http_invsync_redis_batch_queue(rd, b, 0) != NGX_OK) {
        return;
    }

    ngx_http_invsync_batch_unlink(&rd->open, b);

    (void) redisBufferWrite(&rd->ac->c, &done);
}


/*
 * Sends a batch from the posted flush, where answering a request is safe:
 * if the connection went meanwhile, or memory ran out, its events are
 * answered at once.
 */

static void
ngx_http_invsync_redis_batch_send(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b)
{
    if (!ngx_http_invsync_redis_ready(rd)
        || ngx_http_invsync_redis_batch_queue(rd, b, 0) != NGX_OK)
    {
        ngx_http_invsync_batch_answer(b, NULL);
    }
}


/*
 * Seals a batch as EVALSHA (or, after NOSCRIPT, EVAL with the script) and
 * queues it on the connection.  Whoever calls this writes it: the flush,
 * the early send, or a flush posted by the caller.
 */

static ngx_int_t
ngx_http_invsync_redis_batch_queue(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b, ngx_uint_t eval)
{
    int      rc;
    size_t   len;
    u_char  *cmd;

    if (eval) {
        rc = ngx_http_invsync_batch_seal(b, "EVAL",
                                         (u_char *) invsync_script_ingest,
                                         invsync_script_ingest_len,
                                         &rd->epoch, &cmd, &len);

    } else {
        rc = ngx_http_invsync_batch_seal(b, "EVALSHA", rd->imcf->script_sha,
                                         40, &rd->epoch, &cmd, &len);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    rd->sealing = 1;
    rc = redisAsyncFormattedCommand(rd->ac, ngx_http_invsync_redis_batch_done,
                                    b, (char *) cmd, len);
    rd->sealing = 0;

    if (rc != REDIS_OK) {
        return NGX_ERROR;
    }

    if (rd->inflight++ == 0) {
        /* the clock for a stuck connection starts with the first command */
        rd->last_reply = ngx_current_msec;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync batch %p queued, in flight:%ui",
                   b, rd->inflight);

    return NGX_OK;
}


static void
ngx_http_invsync_redis_batch_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                *rp = reply;
    ngx_http_invsync_batch_t  *b = data;
    ngx_http_invsync_redis_t  *rd = ac->data;
    ngx_http_invsync_shctx_t  *sh;

    if (rd->inflight) {
        rd->inflight--;
    }

    if (rp != NULL) {
        rd->last_reply = ngx_current_msec;
    }

    if (rp != NULL && rp->type == REDIS_REPLY_ERROR
        && ngx_strncmp(rp->str, "NOSCRIPT", 8) == 0)
    {
        /* a restarted or flushed server: send the script itself, once */
        sh = rd->imcf->sh;
        if (sh != NULL) {
            (void) ngx_atomic_fetch_add(&sh->redis_noscript, 1);
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "invsync batch %p: NOSCRIPT, sending the script", b);

        if (!(ac->c.flags & REDIS_DISCONNECTING)
            && ngx_http_invsync_batch_retry(b)
            && ngx_http_invsync_redis_batch_queue(rd, b, 1) == NGX_OK)
        {
            if (!rd->flush.posted) {
                ngx_post_event(&rd->flush, &ngx_posted_events);
            }

            return;
        }
    }

    /* the stream's marker is not our epoch: Redis lost its data since
     * this connection looked (FLUSHALL keeps connections); nothing of the
     * call was written */
    if (rp != NULL && rp->type == REDIS_REPLY_ERROR
        && ngx_strncmp(rp->str, "EPOCH", 5) == 0 && !rd->lost)
    {
        ngx_http_invsync_epoch_lost(rd->imcf, rd->log,
                                    "marker of a stream missing or changed");
        ngx_http_invsync_redis_lose(rd, ac);
    }

    ngx_http_invsync_batch_answer(b, rp);
}


/*
 * A read-only command for a request (the status page's look at the worker
 * heartbeats); p->done gets the reply, or NULL, unless the request left.
 */

ngx_int_t
ngx_http_invsync_redis_query(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_pending_t *p, int argc, const char **argv,
    const size_t *argvlen)
{
    if (!ngx_http_invsync_redis_ready(rd)) {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis query %s", argv[0]);

    if (redisAsyncCommandArgv(rd->ac, ngx_http_invsync_redis_query_done, p,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    if (rd->inflight++ == 0) {
        rd->last_reply = ngx_current_msec;
    }

    return NGX_OK;
}


static void
ngx_http_invsync_redis_query_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_invsync_redis_t    *rd = ac->data;
    ngx_http_invsync_pending_t  *p = data;

    if (rd->inflight) {
        rd->inflight--;
    }

    if (reply != NULL) {
        rd->last_reply = ngx_current_msec;
    }

    r = p->request;

    if (r != NULL) {
        p->cleanup->handler = NULL;
        c = r->connection;
        p->done(r, reply);
        ngx_http_run_posted_requests(c);
    }

    ngx_free(p);
}


static void
ngx_http_invsync_redis_flush_handler(ngx_event_t *ev)
{
    ngx_http_invsync_redis_t *rd = ev->data;

    ngx_http_invsync_batch_t  *b, *next;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "invsync redis flush, ready:%ui, batches:%s",
                   (ngx_uint_t) rd->ready, rd->open ? "yes" : "none");

    /* not ready: the batches wait for the connection (script_done posts
     * this again), or for their requests' timers */
    if (!rd->ready) {
        return;
    }

    b = rd->open;
    rd->open = NULL;

    while (b != NULL) {
        next = ngx_http_invsync_batch_next(b);
        ngx_http_invsync_redis_batch_send(rd, b);
        b = next;
    }

    if (rd->ac == NULL || !rd->ready) {
        return;
    }

    /* an addWrite from hiredis now means: the socket is full, wait */
    rd->flushing = 1;
    redisAsyncHandleWrite(rd->ac);

    if (rd->ac != NULL) {
        rd->flushing = 0;
    }
}


static void
ngx_http_invsync_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c = ev->data;
    ngx_http_invsync_redis_t  *rd = c->data;

    if (rd->ac != NULL) {
        redisAsyncHandleRead(rd->ac);
    }
}


static void
ngx_http_invsync_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c = ev->data;
    ngx_http_invsync_redis_t  *rd = c->data;

    if (rd->ac != NULL) {
        redisAsyncHandleWrite(rd->ac);
    }
}


/* hiredis's event hooks: level-triggered, idempotent as hiredis expects */

static void
ngx_http_invsync_redis_add_read(void *data)
{
    ngx_http_invsync_redis_t *rd = data;

    if (!rd->conn->read->active) {
        if (ngx_add_event(rd->conn->read, NGX_READ_EVENT, 0) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "invsync: cannot watch the redis socket");
        }
    }
}


static void
ngx_http_invsync_redis_del_read(void *data)
{
    ngx_http_invsync_redis_t *rd = data;

    if (rd->conn->read->active) {
        (void) ngx_del_event(rd->conn->read, NGX_READ_EVENT, 0);
    }
}


/*
 * Commands queued while nginx handles this turn's events are written
 * together once the turn's I/O events are done (a posted event): one
 * write() carries every request's command of the turn, with no epoll
 * change.  Only a write the socket could not take at once (or one before
 * the connection is up) waits for a write event.
 */

static void
ngx_http_invsync_redis_add_write(void *data)
{
    ngx_http_invsync_redis_t *rd = data;

    if (!rd->flushing && rd->ready) {
        /* a batch being sealed is written by the flush sealing it */
        if (!rd->sealing && !rd->flush.posted) {
            ngx_post_event(&rd->flush, &ngx_posted_events);
        }

        return;
    }

    if (!rd->conn->write->active) {
        if (ngx_add_event(rd->conn->write, NGX_WRITE_EVENT, 0) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "invsync: cannot watch the redis socket");
        }
    }
}


static void
ngx_http_invsync_redis_del_write(void *data)
{
    ngx_http_invsync_redis_t *rd = data;

    if (rd->conn->write->active) {
        (void) ngx_del_event(rd->conn->write, NGX_WRITE_EVENT, 0);
    }
}


/*
 * hiredis is freeing the context (error, disconnect, or our free) and will
 * close the socket right after: release our connection wrapper, forget the
 * context and plan the next connection.
 */

static void
ngx_http_invsync_redis_cleanup(void *data)
{
    ngx_http_invsync_redis_t *rd = data;

    ngx_connection_t  *c;

    c = rd->conn;

    if (c != NULL) {
        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        /* the close that follows removes the socket from epoll */
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }

        c->read->closed = 1;
        c->write->closed = 1;
        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "invsync redis %V: context freed", &rd->imcf->addr);

    rd->conn = NULL;
    rd->ac = NULL;
    rd->ready = 0;
    rd->inflight = 0;
    rd->flushing = 0;
    rd->sealing = 0;

    /* events still to be sent wait for the next connection */
    if (rd->flush.posted) {
        ngx_delete_posted_event(&rd->flush);
    }

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    ngx_http_invsync_redis_schedule(rd);
}
