
/*
 * One reply of the pipeline read as field, value pairs handed to a
 * callback as hiredis parses them (an HGETALL, a hash's fields): no
 * redisReply is built for them.  hiredis builds one object and one copy
 * per element, two allocations each: for a stock:<sku> hash of 50
 * locations (200 elements) that was 7.8 us of the worker's CPU a SKU,
 * more than Redis spends answering it (docs/performance.md, "The ledger
 * read as plain HGETALLs").  The reader's functions are the context's for
 * this one reply only, its documented extension point
 * (redisReaderCreateWithFunctions); every object they "create" is the
 * state on this function's stack, so nothing is freed and nothing can
 * leak.  Only an answer of strings in pairs is taken.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_runtime.h"


/* what the reader's functions see of the reply, across their calls */
typedef struct {
    invsync_redis_pair_pt   fn;
    void                   *ctx;
    int                     type;               /* the reply's, top level */
    int                     bad;                /* a shape not of pairs */
    int                     stop;               /* fn refused a pair */
    char                    field[256];         /* the pair's first half */
    size_t                  field_len;
    char                    err[256];           /* an error's text */
} invsync_pairs_t;


static void *invsync_pairs_string(const redisReadTask *task, char *str,
    size_t len);
static void *invsync_pairs_array(const redisReadTask *task, int elements);
static void *invsync_pairs_integer(const redisReadTask *task,
    long long value);
static void *invsync_pairs_nil(const redisReadTask *task);
static void invsync_pairs_free(void *obj);
static void invsync_pairs_text(char *dst, size_t cap, const char *src,
    size_t len);


static redisReplyObjectFunctions  invsync_pairs_functions = {
    .createString = invsync_pairs_string,
    .createArray = invsync_pairs_array,
    .createInteger = invsync_pairs_integer,
    .createNil = invsync_pairs_nil,
    .freeObject = invsync_pairs_free,
};


/*
 * The next reply: 0 when it was an array of strings in pairs, each pair
 * given to fn (an empty array gives none); 1 when it was something else
 * (an error's text, or what it was, in err; fn saw what came before);
 * -1 when the connection is lost (and closed; so is one that gave no
 * whole reply, which only a context that does not block does).  fn
 * answers 0 to go on, else the rest of the reply is read and not given
 * (answered 1).
 */

int
invsync_redis_pairs(invsync_worker_t *w, invsync_redis_pair_pt fn,
    void *ctx, char *err, size_t len)
{
    int                         rc;
    void                       *obj, *privdata;
    redisReader                *reader;
    invsync_pairs_t             st;
    redisReplyObjectFunctions  *fns;

    if (w->redis == NULL) {
        return -1;
    }

    memset(&st, 0, sizeof(st));
    st.fn = fn;
    st.ctx = ctx;
    st.type = -1;

    reader = w->redis->reader;
    fns = reader->fn;
    privdata = reader->privdata;
    reader->fn = &invsync_pairs_functions;
    reader->privdata = &st;

    obj = NULL;
    rc = redisGetReply(w->redis, &obj);

    /* a reply cut short leaves the state as the reader's pending object:
     * it must not reach the default freeObject when the context goes */
    if (reader->reply == &st) {
        reader->reply = NULL;
    }

    reader->fn = fns;
    reader->privdata = privdata;

    if (rc != REDIS_OK) {
        invsync_log(INVSYNC_LOG_ERROR, "redis connection lost",
                    json_pack("{s:s}", "err", w->redis->errstr));
        invsync_redis_close(w);
        return -1;
    }

    /* no whole reply: only a context that does not block answers so (the
     * worker's blocks until one came).  The reader's half-read tasks
     * point at this stack's state: the session cannot go on */
    if (obj == NULL) {
        invsync_redis_close(w);
        return -1;
    }

    if (st.type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "%s", st.err[0] != '\0' ? st.err
                                 : "an error answered, with no text");
        return 1;
    }

    if (st.type != REDIS_REPLY_ARRAY || st.bad || st.field_len != 0) {
        snprintf(err, len, "an answer that is not field, value pairs");
        return 1;
    }

    if (st.stop) {
        snprintf(err, len, "a field, value pair refused");
        return 1;
    }

    return 0;
}


static void *
invsync_pairs_string(const redisReadTask *task, char *str, size_t len)
{
    invsync_pairs_t  *st = task->privdata;

    if (task->parent == NULL) {
        st->type = task->type;

        if (task->type == REDIS_REPLY_ERROR) {
            invsync_pairs_text(st->err, sizeof(st->err), str, len);
        }

        return st;
    }

    if (st->bad || st->stop) {
        return st;
    }

    if (task->type != REDIS_REPLY_STRING || task->parent->parent != NULL) {
        st->bad = 1;
        return st;
    }

    /* the field is copied: the reader's buffer may move before its value
     * has come (it is fed again while a long reply arrives) */
    if (task->idx % 2 == 0) {
        if (len >= sizeof(st->field)) {
            st->bad = 1;
            return st;
        }

        memcpy(st->field, str, len);
        st->field[len] = '\0';
        st->field_len = len;
        return st;
    }

    st->stop = st->fn(st->ctx, st->field, st->field_len, str, len) != 0;
    st->field_len = 0;

    return st;
}


static void *
invsync_pairs_array(const redisReadTask *task, int elements)
{
    invsync_pairs_t  *st = task->privdata;

    if (task->parent == NULL) {
        st->type = REDIS_REPLY_ARRAY;
        st->bad = elements % 2 != 0;

    } else {
        st->bad = 1;
    }

    return st;
}


static void *
invsync_pairs_integer(const redisReadTask *task, long long value)
{
    invsync_pairs_t  *st = task->privdata;

    (void) value;

    if (task->parent == NULL) {
        st->type = REDIS_REPLY_INTEGER;

    } else {
        st->bad = 1;
    }

    return st;
}


static void *
invsync_pairs_nil(const redisReadTask *task)
{
    invsync_pairs_t  *st = task->privdata;

    if (task->parent == NULL) {
        st->type = REDIS_REPLY_NIL;

    } else {
        st->bad = 1;
    }

    return st;
}


/* an error's text as the reason of a refusal: the server's line, its
 * control bytes (none from Redis; any from what answers in its place) as
 * '?', cut to the buffer */

static void
invsync_pairs_text(char *dst, size_t cap, const char *src, size_t len)
{
    size_t  i;

    for (i = 0; i < len && i + 1 < cap; i++) {
        dst[i] = (unsigned char) src[i] < 0x20 || src[i] == 0x7f ? '?'
                                                                 : src[i];
    }

    dst[i] = '\0';
}


/* every object is the caller's stack state: nothing to free */

static void
invsync_pairs_free(void *obj)
{
    (void) obj;
}
