
/*
 * One connection attempt as a state machine: connect, AUTH, SCRIPT LOAD
 * and the epoch check (ngx_http_invsync_epoch.c), queued at once and
 * answered in order; the connection is ready when the epoch is verified,
 * and is lost when Redis has lost its data.  Failures leave it to
 * hiredis's cleanup hook, which schedules the next attempt.
 */


#include "ngx_http_invsync_redis.h"


static const char *ngx_http_invsync_redis_setup(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac);
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


void
ngx_http_invsync_redis_connect(ngx_http_invsync_redis_t *rd)
{
    const char                    *why;
    redisAsyncContext             *ac;
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

    if (ngx_http_invsync_redis_attach(rd, ac) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_invsync_redis_schedule(rd);
        return;
    }

    redisAsyncSetConnectCallback(ac, ngx_http_invsync_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_http_invsync_redis_on_disconnect);

    why = ngx_http_invsync_redis_setup(rd, ac);
    if (why != NULL) {
        ngx_http_invsync_redis_drop(rd, why);
        return;
    }

    ngx_add_timer(&rd->connect_timer, imcf->timeout);
}


/*
 * Queues what makes a new connection ready, in the order Redis answers
 * it: AUTH, SCRIPT LOAD, the epoch call.  NULL, or why it could not.
 */

static const char *
ngx_http_invsync_redis_setup(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac)
{
    const char                    *argv[3];
    size_t                         argvlen[3];
    int                            argc;
    ngx_http_invsync_main_conf_t  *imcf = rd->imcf;

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
            return "cannot queue AUTH";
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
        return "cannot queue SCRIPT LOAD";
    }

    /* the connection is ready only once its epoch is the one remembered */
    if (ngx_http_invsync_epoch_query(imcf, ac,
                                     ngx_http_invsync_redis_epoch_done, NULL,
                                     &rd->epoch_mode)
        != NGX_OK)
    {
        return "cannot queue the epoch call";
    }

    return NULL;
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

void
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
