
/*
 * The ingest command: a turn's events in batches per stream (their
 * building is ngx_http_invsync_batch.c), sealed as EVALSHA with the
 * NOSCRIPT fallback to EVAL, written once per turn by a posted flush, and
 * their replies handed to the batches, which answer each request.
 */


#include "ngx_http_invsync_redis.h"


static void ngx_http_invsync_redis_batch_early(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b);
static void ngx_http_invsync_redis_batch_send(ngx_http_invsync_redis_t *rd,
    ngx_http_invsync_batch_t *b);
static ngx_int_t ngx_http_invsync_redis_batch_queue(
    ngx_http_invsync_redis_t *rd, ngx_http_invsync_batch_t *b,
    ngx_uint_t eval);
static void ngx_http_invsync_redis_batch_done(redisAsyncContext *ac,
    void *reply, void *data);


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


void
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
