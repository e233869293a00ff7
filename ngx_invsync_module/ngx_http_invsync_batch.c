
/*
 * Batches of events: the events a worker accepts for one stream within one
 * turn of its event loop go to Redis as ONE call of the ingest script, which
 * stores each of them at most once (its own SET NX and XADD) and answers one
 * reply per event.  Redis pays its per-call costs (command lookup, the
 * script's argument tables, the reply) once per batch rather than once per
 * event: a fifth fewer instructions per event at eight events a call
 * (callgrind, docs/performance.md).
 *
 * An event's bytes are copied into the batch when it is added, so a request
 * that goes away (its client left, its timer fired) leaves nothing dangling:
 * the event is still written, as a command already sent would be, and its
 * answer finds no request.
 *
 * Each call also names its stream's epoch marker and the epoch the
 * connection verified, which the script compares before it writes
 * (ngx_http_invsync_epoch.c).
 */


#include <hiredis/hiredis.h>

#include "ngx_http_invsync_module.h"


#define NGX_HTTP_INVSYNC_BATCH_EVENTS  8
#define NGX_HTTP_INVSYNC_BATCH_BYTES   (1024 * 1024)
#define NGX_HTTP_INVSYNC_BATCH_MIN     4096


typedef struct {
    u_char                      *data;
    size_t                       len;
    size_t                       size;
} ngx_http_invsync_bytes_t;


struct ngx_http_invsync_batch_s {
    ngx_http_invsync_batch_t    *next;
    ngx_log_t                   *log;
    ngx_str_t                    stream;    /* the key, owned */
    ngx_str_t                    marker;    /* its epoch marker, owned */
    time_t                       ttl;
    ngx_uint_t                   n;
    ngx_uint_t                   nalloc;
    ngx_http_invsync_pending_t **pending;   /* one per event, in order */
    ngx_http_invsync_bytes_t     keys;      /* idempotency keys, RESP */
    ngx_http_invsync_bytes_t     values;    /* the events' values, RESP */
    ngx_http_invsync_bytes_t     command;   /* formatted, once sealed */
    size_t                       head;      /* verb and script in command */
    unsigned                     retried:1;
};


static ngx_http_invsync_batch_t *ngx_http_invsync_batch_new(
    const ngx_http_invsync_event_t *ev, const ngx_str_t *prefix,
    ngx_log_t *log);
static void ngx_http_invsync_batch_free(ngx_http_invsync_batch_t *b);
static ngx_uint_t ngx_http_invsync_batch_same_stream(
    ngx_http_invsync_batch_t *b, const ngx_str_t *stream);
static ngx_int_t ngx_http_invsync_batch_reserve(ngx_http_invsync_bytes_t *b,
    size_t more, ngx_log_t *log);
static u_char *ngx_http_invsync_batch_arg(u_char *p, const u_char *data,
    size_t len);
static size_t ngx_http_invsync_batch_arg_len(size_t len);


/*
 * Adds an event to the open batch of its stream and lifetime, opening one
 * if there is none or it is full.  Returns the batch, or NULL if memory ran
 * out (the event was not added).
 */

ngx_http_invsync_batch_t *
ngx_http_invsync_batch_add(ngx_http_invsync_batch_t **open,
    ngx_http_invsync_pending_t *p, const ngx_http_invsync_event_t *ev,
    const ngx_str_t *prefix, ngx_log_t *log)
{
    size_t                        len, more;
    u_char                       *d;
    ngx_uint_t                    i, nalloc;
    ngx_http_invsync_batch_t     *b, *found, **last;
    ngx_http_invsync_pending_t  **pending;

    /*
     * Only the stream's newest batch takes more events, so that its batches
     * go out in the order of its events; a full one, or one of another
     * lifetime, makes a new batch behind it.
     */
    found = NULL;

    for (last = open; *last != NULL; last = &(*last)->next) {
        if (ngx_http_invsync_batch_same_stream(*last, &ev->stream)) {
            found = *last;
        }
    }

    if (found != NULL && found->ttl == ev->ttl
        && !ngx_http_invsync_batch_full(found))
    {
        b = found;

    } else {
        b = ngx_http_invsync_batch_new(ev, prefix, log);
        if (b == NULL) {
            return NULL;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                       "invsync batch %p new for \"%V\", %s",
                       b, &ev->stream,
                       found ? "behind another" : "first of its stream");
    }

    if (b->n == b->nalloc) {
        nalloc = b->nalloc ? 2 * b->nalloc : 16;

        pending = ngx_alloc(nalloc * sizeof(ngx_http_invsync_pending_t *),
                            log);
        if (pending == NULL) {
            goto failed;
        }

        if (b->n) {
            ngx_memcpy(pending, b->pending,
                       b->n * sizeof(ngx_http_invsync_pending_t *));
        }

        ngx_free(b->pending);
        b->pending = pending;
        b->nalloc = nalloc;
    }

    len = 0;

    for (i = 0; i < NGX_HTTP_INVSYNC_VALUES; i++) {
        len += ngx_http_invsync_batch_arg_len(ev->values[i].len);
    }

    /* room for a full batch of events like the first, in one go */
    more = len;

    if (b->values.size == 0
        && len <= NGX_HTTP_INVSYNC_BATCH_BYTES / NGX_HTTP_INVSYNC_BATCH_EVENTS)
    {
        more *= NGX_HTTP_INVSYNC_BATCH_EVENTS;
    }

    if (ngx_http_invsync_batch_reserve(&b->values, more, log) != NGX_OK
        || ngx_http_invsync_batch_reserve(&b->keys,
               ngx_http_invsync_batch_arg_len(ev->key.len), log)
           != NGX_OK)
    {
        goto failed;
    }

    d = b->keys.data + b->keys.len;
    d = ngx_http_invsync_batch_arg(d, ev->key.data, ev->key.len);
    b->keys.len = d - b->keys.data;

    d = b->values.data + b->values.len;

    for (i = 0; i < NGX_HTTP_INVSYNC_VALUES; i++) {
        d = ngx_http_invsync_batch_arg(d, ev->values[i].data,
                                       ev->values[i].len);
    }

    b->values.len = d - b->values.data;

    b->pending[b->n++] = p;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "invsync batch %p event:%ui, values:%uz bytes",
                   b, b->n, b->values.len);

    if (b != found) {
        *last = b;
    }

    return b;

failed:

    if (b != found) {
        ngx_http_invsync_batch_free(b);
    }

    return NULL;
}


ngx_http_invsync_batch_t *
ngx_http_invsync_batch_next(ngx_http_invsync_batch_t *b)
{
    return b->next;
}


/* whether no batch of the same stream is ahead of b in the open list */

ngx_uint_t
ngx_http_invsync_batch_first(ngx_http_invsync_batch_t *open,
    ngx_http_invsync_batch_t *b)
{
    for ( /* void */ ; open != NULL && open != b; open = open->next) {
        if (ngx_http_invsync_batch_same_stream(open, &b->stream)) {
            return 0;
        }
    }

    return 1;
}


/* takes a batch out of the open list, to be sent before the others */

void
ngx_http_invsync_batch_unlink(ngx_http_invsync_batch_t **open,
    ngx_http_invsync_batch_t *b)
{
    ngx_http_invsync_batch_t  **pp;

    for (pp = open; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    }

    b->next = NULL;
}


/*
 * The whole command in the protocol's own form, at its exact size:
 *
 *   EVALSHA <sha1> <2 + n> <stream> <key 1> ... <key n> <marker> <ttl>
 *           <epoch> <7 values of event 1> ... <7 values of event n>
 *
 * or, once Redis said NOSCRIPT, EVAL with the script's text.  The part
 * after the script is kept, so that a retry only changes the head.
 */

ngx_int_t
ngx_http_invsync_batch_seal(ngx_http_invsync_batch_t *b, const char *verb,
    const u_char *script, size_t script_len, const ngx_str_t *epoch,
    u_char **cmd, size_t *len)
{
    size_t       head, tail, vlen;
    u_char      *p, *old, *c;
    u_char       numkeys[NGX_INT_T_LEN], ttl[NGX_TIME_T_LEN];
    ngx_uint_t   argc;

    vlen = ngx_strlen(verb);
    argc = 3 + 1 + b->n + 1 + 2 + NGX_HTTP_INVSYNC_VALUES * b->n;

    head = sizeof("*\r\n") - 1 + NGX_INT_T_LEN
           + ngx_http_invsync_batch_arg_len(vlen)
           + ngx_http_invsync_batch_arg_len(script_len);

    if (b->command.data != NULL) {
        /* a retry: the same tail behind another head */
        tail = b->command.len - b->head;
        old = b->command.data;

    } else {
        tail = ngx_http_invsync_batch_arg_len(NGX_INT_T_LEN)
               + ngx_http_invsync_batch_arg_len(b->stream.len)
               + b->keys.len
               + ngx_http_invsync_batch_arg_len(b->marker.len)
               + ngx_http_invsync_batch_arg_len(NGX_TIME_T_LEN)
               + ngx_http_invsync_batch_arg_len(epoch->len)
               + b->values.len;
        old = NULL;
    }

    c = ngx_alloc(head + tail, b->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(c, "*%ui\r\n", argc);
    p = ngx_http_invsync_batch_arg(p, (u_char *) verb, vlen);
    p = ngx_http_invsync_batch_arg(p, script, script_len);
    head = p - c;

    if (old != NULL) {
        p = ngx_cpymem(p, old + b->head, tail);
        ngx_free(old);

    } else {
        p = ngx_http_invsync_batch_arg(p, numkeys,
                                       ngx_sprintf(numkeys, "%ui", 2 + b->n)
                                       - numkeys);
        p = ngx_http_invsync_batch_arg(p, b->stream.data, b->stream.len);
        p = ngx_cpymem(p, b->keys.data, b->keys.len);
        p = ngx_http_invsync_batch_arg(p, b->marker.data, b->marker.len);
        p = ngx_http_invsync_batch_arg(p, ttl,
                                       ngx_sprintf(ttl, "%T", b->ttl) - ttl);
        p = ngx_http_invsync_batch_arg(p, epoch->data, epoch->len);
        p = ngx_cpymem(p, b->values.data, b->values.len);

        /* the staging copies are in the command now */
        ngx_free(b->keys.data);
        ngx_free(b->values.data);
        ngx_memzero(&b->keys, sizeof(ngx_http_invsync_bytes_t));
        ngx_memzero(&b->values, sizeof(ngx_http_invsync_bytes_t));
    }

    b->command.data = c;
    b->command.len = p - c;
    b->command.size = head + tail;
    b->head = head;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, b->log, 0,
                   "invsync batch %p sealed: %s, events:%ui, %uz bytes",
                   b, verb, b->n, b->command.len);

    *cmd = c;
    *len = b->command.len;

    return NGX_OK;
}


/* every request of the batch has been answered already (or is gone) */

ngx_uint_t
ngx_http_invsync_batch_abandoned(ngx_http_invsync_batch_t *b)
{
    ngx_uint_t  i;

    for (i = 0; i < b->n; i++) {
        if (b->pending[i]->request != NULL) {
            return 0;
        }
    }

    return 1;
}


/* set once: a batch is sent again with EVAL at most once */

ngx_uint_t
ngx_http_invsync_batch_retry(ngx_http_invsync_batch_t *b)
{
    if (b->retried) {
        return 0;
    }

    b->retried = 1;

    return 1;
}


/*
 * Gives each event of the batch its answer, through its pending token's
 * callback: the reply's element of the same rank, or, for a reply about the
 * whole call (an error, a connection lost: NULL), that reply.  Then frees
 * the tokens and the batch.
 */

void
ngx_http_invsync_batch_answer(ngx_http_invsync_batch_t *b, void *reply)
{
    void                        *answer;
    redisReply                  *rp = reply;
    ngx_uint_t                   i, each;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_invsync_pending_t  *p;

    each = rp != NULL && rp->type == REDIS_REPLY_ARRAY
           && rp->elements == b->n;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, b->log, 0,
                   "invsync batch %p answered: events:%ui, %s",
                   b, b->n,
                   each ? "one element each"
                        : (rp == NULL ? "no reply" : "one reply for all"));

    for (i = 0; i < b->n; i++) {
        p = b->pending[i];
        r = p->request;

        if (r != NULL) {
            answer = each ? (void *) rp->element[i] : reply;

            p->cleanup->handler = NULL;     /* p is freed below */
            c = r->connection;              /* finalizing may free r */
            p->done(r, answer);
            ngx_http_run_posted_requests(c);
        }

        ngx_free(p);
    }

    ngx_http_invsync_batch_free(b);
}


static void
ngx_http_invsync_batch_free(ngx_http_invsync_batch_t *b)
{
    ngx_free(b->pending);
    ngx_free(b->keys.data);
    ngx_free(b->values.data);
    ngx_free(b->command.data);
    ngx_free(b);
}


/* the stream key is "<prefix>:<stream>": its marker is built from both */

static ngx_http_invsync_batch_t *
ngx_http_invsync_batch_new(const ngx_http_invsync_event_t *ev,
    const ngx_str_t *prefix, ngx_log_t *log)
{
    size_t                     mlen;
    ngx_http_invsync_batch_t  *b;

    mlen = invsync_key_marker_len(prefix->len,
                                  ev->stream.len - prefix->len - 1);

    b = ngx_calloc(sizeof(ngx_http_invsync_batch_t) + ev->stream.len + mlen,
                   log);
    if (b == NULL) {
        return NULL;
    }

    b->log = log;
    b->ttl = ev->ttl;
    b->stream.data = (u_char *) (b + 1);
    b->stream.len = ev->stream.len;
    ngx_memcpy(b->stream.data, ev->stream.data, ev->stream.len);

    b->marker.data = b->stream.data + b->stream.len;
    b->marker.len = invsync_key_marker(b->marker.data, prefix->data,
                                       prefix->len,
                                       ev->stream.data + prefix->len + 1,
                                       ev->stream.len - prefix->len - 1);

    return b;
}


/* past this, the stream's next event opens another batch */

ngx_uint_t
ngx_http_invsync_batch_full(ngx_http_invsync_batch_t *b)
{
    /* a sealed batch takes nothing more, even if it waits for the flush */
    return b->n >= NGX_HTTP_INVSYNC_BATCH_EVENTS
           || b->values.len >= NGX_HTTP_INVSYNC_BATCH_BYTES
           || b->command.data != NULL;
}


static ngx_uint_t
ngx_http_invsync_batch_same_stream(ngx_http_invsync_batch_t *b,
    const ngx_str_t *stream)
{
    return b->stream.len == stream->len
           && ngx_memcmp(b->stream.data, stream->data, stream->len) == 0;
}


static ngx_int_t
ngx_http_invsync_batch_reserve(ngx_http_invsync_bytes_t *b, size_t more,
    ngx_log_t *log)
{
    size_t   size;
    u_char  *data;

    if (b->size - b->len >= more) {
        return NGX_OK;
    }

    size = ngx_max(2 * b->size, b->len + more);
    size = ngx_max(size, NGX_HTTP_INVSYNC_BATCH_MIN);

    data = ngx_alloc(size, log);
    if (data == NULL) {
        return NGX_ERROR;
    }

    if (b->len) {
        ngx_memcpy(data, b->data, b->len);
    }

    ngx_free(b->data);
    b->data = data;
    b->size = size;

    return NGX_OK;
}


/* "$<len>\r\n<data>\r\n"; the digits by hand: ngx_sprintf() per value was
 * a visible share of the worker's time */

static u_char *
ngx_http_invsync_batch_arg(u_char *p, const u_char *data, size_t len)
{
    u_char  *d, digits[NGX_SIZE_T_LEN];
    size_t   n;

    d = digits + NGX_SIZE_T_LEN;
    n = len;

    do {
        *--d = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    *p++ = '$';
    p = ngx_cpymem(p, d, digits + NGX_SIZE_T_LEN - d);
    *p++ = '\r';
    *p++ = '\n';

    if (len) {
        p = ngx_cpymem(p, data, len);
    }

    *p++ = '\r';
    *p++ = '\n';

    return p;
}


/* at most: "$", the length's digits, CRLF, the bytes, CRLF */

static size_t
ngx_http_invsync_batch_arg_len(size_t len)
{
    return sizeof("$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + len;
}
