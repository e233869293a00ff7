
/*
 * The per-worker Redis connection's life cycle: made in init_process and
 * freed in exit_process, its state for the other files (ready, up, lost),
 * and reconnection with backoff: a failed or dropped connection is tried
 * again on a timer, and events that arrive while the connection is not
 * ready wait for it ("parked" in the open batches), each for its
 * request's own timeout, and bring the next attempt forward
 * (rate-limited).  The connection itself is made by
 * ngx_http_invsync_redis_connect.c.
 */


#include "ngx_http_invsync_redis.h"


static ngx_msec_t ngx_http_invsync_redis_kick_delay(
    ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_prune(ngx_http_invsync_redis_t *rd);
static void ngx_http_invsync_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_connect_timeout(ngx_event_t *ev);


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


void
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

void
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

void
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
