
/*
 * libFuzzer target: invsync_redis_pairs() (src/runtime/invsync_redis_pairs.c),
 * the reader of a ledger's HGETALL that routing uses, which gives hiredis's
 * parser functions of its own for one reply.  The input is what Redis
 * would have sent: any bytes, fed to a context of hiredis's that does not
 * block (so that a reply cut short is answered, not waited for), read
 * reply after reply, our reader and hiredis's own (invsync_redis_reply)
 * in turn as a pipeline of routing's mixes them, until the session ends.
 *
 * Checks besides the sanitizers (LeakSanitizer too): an answer is -1, 0
 * or 1; 1 says why, without a control byte; -1 leaves no session; the
 * pairs a 0 gives are a field within its 255 bytes, NUL-ended where its
 * length says (it may hold NULs: Redis's strings are binary), and a
 * value; a reply hiredis reads after ours is one of its own objects,
 * whole (freeReplyObject takes it: the reader's state is its own again).
 * The first reply is held against hiredis's own reading of the same
 * bytes: the same pairs, all of them; or refused; or no whole reply.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_runtime.h"


#define T_READS  64


typedef struct {
    size_t             n;             /* pairs given */
    const redisReply  *want;          /* hiredis's reading, or NULL */
} t_pairs_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static redisContext *t_context(const uint8_t *data, size_t size);
static redisReply *t_first(const uint8_t *data, size_t size);
static void t_against(int rc, const char *err, const t_pairs_t *p);
static int t_pair(void *ctx, const char *field, size_t field_len,
    const char *value, size_t value_len);
static void t_printable(const char *s);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc, i;
    char               err[256];
    t_pairs_t          p;
    redisReply        *r;
    invsync_worker_t   w;

    memset(&w, 0, sizeof(w));
    w.redis = t_context(data, size);

    if (w.redis == NULL) {
        return 0;
    }

    /* the first reply as hiredis reads it, to hold ours against */
    r = t_first(data, size);

    for (i = 0; i < T_READS && w.redis != NULL; i++) {
        if (i % 2 == 1) {
            /* hiredis's own functions after ours: a whole object of its
             * own, or nothing (a cut, the session closed by us) */
            r = NULL;

            if (redisGetReply(w.redis, (void **) &r) != REDIS_OK) {
                invsync_redis_close(&w);
                break;
            }

            if (r == NULL) {
                break;
            }

            freeReplyObject(r);
            r = NULL;
            continue;
        }

        memset(&p, 0, sizeof(p));
        p.want = i == 0 ? r : NULL;
        err[0] = '\0';
        rc = invsync_redis_pairs(&w, t_pair, &p, err, sizeof(err));

        if (i == 0) {
            t_against(rc, err, &p);
            freeReplyObject(r);
            r = NULL;
        }

        if (rc < -1 || rc > 1) {
            abort();
        }

        if (rc == 1) {
            if (err[0] == '\0') {
                abort();
            }

            t_printable(err);
        }

        if (rc == -1 && w.redis != NULL) {
            abort();
        }
    }

    freeReplyObject(r);
    invsync_redis_close(&w);

    return 0;
}


/* hiredis's own reading of the first reply: NULL when there is none whole
 * (or the bytes are no protocol) */

static redisReply *
t_first(const uint8_t *data, size_t size)
{
    void         *r;
    redisReader  *reader;

    reader = redisReaderCreate();
    r = NULL;

    if (reader == NULL
        || redisReaderFeed(reader, (const char *) data, size) != REDIS_OK
        || redisReaderGetReply(reader, &r) != REDIS_OK)
    {
        r = NULL;
    }

    redisReaderFree(reader);

    return r;
}


/* our answer to the first reply against hiredis's reading of it: pairs
 * of strings are given, each as it is (t_pair), all of them; an error
 * says its text; anything else is refused; no whole reply ends the
 * session */

static void
t_against(int rc, const char *err, const t_pairs_t *p)
{
    size_t             i;
    int                pairs;
    const redisReply  *r = p->want;

    if (r == NULL) {
        if (rc != -1) {
            abort();
        }

        return;
    }

    pairs = r->type == REDIS_REPLY_ARRAY && r->elements % 2 == 0;

    for (i = 0; pairs && i < r->elements; i++) {
        pairs = r->element[i]->type == REDIS_REPLY_STRING
                && (i % 2 == 1 || r->element[i]->len <= 255);
    }

    if (pairs) {
        if (rc != 0 || p->n != r->elements / 2) {
            abort();
        }

        return;
    }

    if (rc != 1) {
        abort();
    }

    /* an error's text as the server gave it, up to its control bytes
     * (an empty one is said in words) */
    for (i = 0; r->type == REDIS_REPLY_ERROR && r->len > 0 && err[i] != '\0';
         i++)
    {
        if (err[i] != r->str[i] && err[i] != '?') {
            abort();
        }
    }
}


/* a context of hiredis's with the bytes in its reader, no socket */

static redisContext *
t_context(const uint8_t *data, size_t size)
{
    redisContext  *c;

    c = calloc(1, sizeof(redisContext));
    if (c == NULL) {
        return NULL;
    }

    c->fd = -1;
    c->reader = redisReaderCreate();

    if (c->reader == NULL
        || redisReaderFeed(c->reader, (const char *) data, size) != REDIS_OK)
    {
        redisFree(c);
        return NULL;
    }

    return c;
}


static int
t_pair(void *ctx, const char *field, size_t field_len, const char *value,
    size_t value_len)
{
    t_pairs_t  *p = ctx;

    /* a field is binary: NUL-ended at its length, and may hold NULs */
    if (field_len > 255 || field[field_len] != '\0'
        || (value_len > 0 && value == NULL))
    {
        abort();
    }

    /* the pair as hiredis reads it: the same bytes in the same place */
    if (p->want != NULL
        && (p->want->element[2 * p->n]->len != field_len
            || memcmp(p->want->element[2 * p->n]->str, field, field_len) != 0
            || p->want->element[2 * p->n + 1]->len != value_len
            || memcmp(p->want->element[2 * p->n + 1]->str, value, value_len)
               != 0))
    {
        abort();
    }

    p->n++;

    return 0;
}


/* a reason without a control byte (a Redis error's text is the server's:
 * they are made '?') */

static void
t_printable(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            abort();
        }
    }
}
