
/*
 * Exceptions opened and resolved by the programs themselves, shared by
 * invsync-worker and invsyncctl (which runs the reconciliation pass too).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_runtime.h"


#define INVSYNC_KEY_LEN  512


/*
 * exception.lua: the exception opened once per id (or open again after a
 * failed retry), with its exception.open audit entry listed under the
 * event and, when given, the order and the SKU.  Returns the script's
 * reply for the caller to read and free; NULL when the session was lost
 * or memory ran out.
 */

redisReply *
invsync_exception_open(invsync_worker_t *w, const invsync_exception_t *x)
{
    int          argc, nkeys;
    char         keys[7][INVSYNC_KEY_LEN], now[32], maxlen[32], *data;
    size_t       i, argvlen[32];
    const char  *argv[32];
    redisReply  *r;

    invsync_key_exception(keys[0], INVSYNC_KEY_LEN, w->conf, x->id);
    invsync_key_exceptions_open(keys[1], INVSYNC_KEY_LEN, w->conf);
    invsync_key_exceptions_all(keys[2], INVSYNC_KEY_LEN, w->conf);
    invsync_key_audit(keys[3], INVSYNC_KEY_LEN, w->conf);
    invsync_key_audit_event(keys[4], INVSYNC_KEY_LEN, w->conf,
                            x->channel, x->event);
    nkeys = 5;

    if (x->order[0] != '\0') {
        invsync_key_audit_order(keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                                x->order);
    }

    if (x->sku[0] != '\0') {
        invsync_key_audit_sku(keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                              x->sku);
    }

    data = json_dumps(x->data, JSON_COMPACT);
    if (data == NULL) {
        return NULL;
    }

    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    argc = 0;

    for (i = 0; i < (size_t) nkeys; i++) {
        argv[argc++] = keys[i];
    }

    argv[argc++] = x->id;
    argv[argc++] = now;
    argv[argc++] = maxlen;

#define invsync_field(k, v)  argv[argc++] = (k); argv[argc++] = (v)

    invsync_field("kind", x->kind);
    invsync_field("summary", x->summary);
    invsync_field("channel", x->channel);
    invsync_field("event", x->event);
    invsync_field("topic", x->topic);
    invsync_field("stream", x->stream);
    invsync_field("entry", x->entry);
    invsync_field("order", x->order);

    if (x->sku[0] != '\0') {
        invsync_field("skus", x->sku);
    }

    invsync_field("consumer", x->consumer);
    invsync_field("data", data);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        argvlen[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->exception_sha, invsync_script_exception,
                           invsync_script_exception_len, nkeys, argc, argv,
                           argvlen);
    free(data);

    return r;
}


/*
 * An exception resolved by the worker itself, its cause gone (resolve.lua:
 * nothing when it is not open or retried).  0, -1 the session was lost.
 */

int
invsync_exception_resolve(invsync_worker_t *w, const char *id,
    const char *channel, const char *event, const char *why)
{
    char         keys[4][INVSYNC_KEY_LEN], now[32], maxlen[32];
    size_t       i, argvlen[16];
    const char  *argv[16];
    redisReply  *r;

    invsync_key_exception(keys[0], INVSYNC_KEY_LEN, w->conf, id);
    invsync_key_exceptions_open(keys[1], INVSYNC_KEY_LEN, w->conf);
    invsync_key_audit(keys[2], INVSYNC_KEY_LEN, w->conf);
    invsync_key_audit_event(keys[3], INVSYNC_KEY_LEN, w->conf,
                            channel, event);

    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    for (i = 0; i < 4; i++) {
        argv[i] = keys[i];
    }

    argv[4] = id;
    argv[5] = now;
    argv[6] = maxlen;
    argv[7] = "invsync-worker";
    argv[8] = why;

    for (i = 0; i < 9; i++) {
        argvlen[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->resolve_sha, invsync_script_resolve,
                           invsync_script_resolve_len, 4, 9, argv, argvlen);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
