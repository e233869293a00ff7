
/*
 * hiredis's async API driven by nginx's event loop: the context's socket
 * wrapped in an nginx connection, and every ev hook the installed hiredis
 * has, in the manner of hiredis's own adapters/ folder.
 */


#include "ngx_http_invsync_redis.h"


static void ngx_http_invsync_redis_read_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_write_handler(ngx_event_t *ev);
static void ngx_http_invsync_redis_add_read(void *data);
static void ngx_http_invsync_redis_del_read(void *data);
static void ngx_http_invsync_redis_add_write(void *data);
static void ngx_http_invsync_redis_del_write(void *data);
static void ngx_http_invsync_redis_cleanup(void *data);


/*
 * Wraps a new context's socket in an nginx connection and gives hiredis
 * our event hooks (the adapter of hiredis's adapters/ folder, for nginx).
 */

ngx_int_t
ngx_http_invsync_redis_attach(ngx_http_invsync_redis_t *rd,
    redisAsyncContext *ac)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        return NGX_ERROR;
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

    return NGX_OK;
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
