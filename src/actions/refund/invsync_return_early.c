
/*
 * What a channel says of its return before the request that opens its
 * RMA.  A channel may not keep its webhooks in order (its retries
 * interleave), so a return's close, decline, cancel or label may come
 * before its request:
 * each is remembered in K rmaearly:<rma> (the first end state, every
 * label), and applied by the request (or approval) right after it opens
 * the RMA.  docs/returns.md, "Out of order".
 *
 * Either side writes before it reads: the early webhook writes the record
 * and then looks for the RMA, the request opens the RMA and then reads
 * the record.  Redis runs one command at a time, so of two at once at
 * least one sees the other; if both do, the step's cause (the RMA's
 * history) keeps it to one.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refund/invsync_return_int.h"


/*
 * 30 days: a channel retries a webhook for up to two days (docs/
 * channels/), and a request
 * held as return_unknown (its order not recorded yet) waits for a person's
 * `invsyncctl exceptions retry`; both well within it.  After that a
 * request that never came is not coming, and the record would only grow
 * Redis.
 */
#define INVSYNC_RETURN_EARLY_TTL  "2592000"


/* field := val, unless the field is there (the first end state wins) */
int
invsync_return_early_keep(invsync_worker_t *w, const char *rma,
    const char *field, json_t *val, char *err, size_t len)
{
    int          ok;
    char         key[INVSYNC_ACTION_KEY_LEN], *s;
    const char  *argv[5];
    redisReply  *r;

    invsync_key_rmaearly(key, sizeof(key), w->conf, rma);
    s = json_dumps(val, JSON_COMPACT | JSON_SORT_KEYS);
    if (s == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_RETURN_LOST;
    }

    argv[0] = "HSETNX";
    argv[1] = key;
    argv[2] = field;
    argv[3] = s;
    argv[4] = NULL;
    r = invsync_redis_cmdv(w, argv);
    free(s);
    ok = r != NULL && r->type == REDIS_REPLY_INTEGER;
    if (r != NULL) {
        freeReplyObject(r);
    }

    if (ok) {
        /* again on each delivery: a retry after a lost connection sets it */
        argv[0] = "EXPIRE";
        argv[2] = INVSYNC_RETURN_EARLY_TTL;
        argv[3] = NULL;
        r = invsync_redis_cmdv(w, argv);
        ok = r != NULL && r->type == REDIS_REPLY_INTEGER;
        if (r != NULL) {
            freeReplyObject(r);
        }
    }

    if (!ok) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    return INVSYNC_RETURN_DONE;
}


/* {field: decoded value}, {} when nothing came early, NULL when lost */
json_t *
invsync_return_early_get(invsync_worker_t *w, const char *rma)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    size_t       i;
    json_t      *out, *v;
    const char  *argv[3];
    redisReply  *r;

    invsync_key_rmaearly(key, sizeof(key), w->conf, rma);
    argv[0] = "HGETALL";
    argv[1] = key;
    argv[2] = NULL;
    r = invsync_redis_cmdv(w, argv);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        if (r != NULL) {
            freeReplyObject(r);
        }
        return NULL;
    }

    out = json_object();

    for (i = 0; i + 1 < r->elements; i += 2) {
        if (r->element[i]->type != REDIS_REPLY_STRING
            || r->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        v = json_loads(r->element[i + 1]->str, 0, NULL);
        if (v != NULL) {
            json_object_set_new(out, r->element[i]->str, v);
        }
    }

    freeReplyObject(r);

    return out;
}
