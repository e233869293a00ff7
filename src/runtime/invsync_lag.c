
/*
 * What the worker's heartbeat and invsyncctl status share about the
 * consumer group: its lag, counted from what it was delivered rather than
 * taken from Redis (lag.lua, docs/worker.md "Lag"), and the heartbeats
 * of workers gone for limits.worker_forget_s, forgotten (forget.lua).
 */


#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "invsync_runtime.h"


#define INVSYNC_LAG_COUNT_MAX  4000   /* entries lag.lua reads at most */
#define INVSYNC_LAG_KEY_LEN    512


static const char *invsync_script_sha(const char *script, size_t len,
    char *sha);


/*
 * The lag of group on stream into *lag, *exact 0 when both sides of the
 * group's last-delivered-id are longer than INVSYNC_LAG_COUNT_MAX / 2
 * (Redis's own lag then, within what was counted).  0, 1: no such group,
 * -1: Redis failed or the session was lost.
 */

int
invsync_stream_lag(invsync_worker_t *w, const char *stream,
    const char *group, int64_t *lag, int *exact)
{
    int          rc;
    char         max[16];
    size_t       lens[3];
    const char  *argv[3];
    redisReply  *r;
    static char  sha[41];

    snprintf(max, sizeof(max), "%d", INVSYNC_LAG_COUNT_MAX);

    argv[0] = stream;
    argv[1] = group;
    argv[2] = max;

    for (rc = 0; rc < 3; rc++) {
        lens[rc] = strlen(argv[rc]);
    }

    r = invsync_redis_eval(w, invsync_script_sha(invsync_script_lag,
                                                 invsync_script_lag_len, sha),
                           invsync_script_lag, invsync_script_lag_len, 1, 3,
                           argv, lens);
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_NIL) {
        rc = 1;

    } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2
               && r->element[0]->type == REDIS_REPLY_INTEGER
               && r->element[1]->type == REDIS_REPLY_INTEGER)
    {
        *lag = (int64_t) r->element[0]->integer;
        *exact = r->element[1]->integer != 0;
        rc = 0;

    } else {
        /* e.g. WRONGTYPE, or no such key: no group either */
        rc = (r->type == REDIS_REPLY_ERROR
              && strstr(r->str, "no such key") != NULL) ? 1 : -1;
    }

    freeReplyObject(r);

    return rc;
}


/*
 * The heartbeats older than limits.worker_forget_s removed, each logged;
 * the number removed, -1 if Redis failed.
 */

int
invsync_workers_forget(invsync_worker_t *w, int64_t now)
{
    int          n;
    char         key[INVSYNC_LAG_KEY_LEN], at[32], after[32];
    size_t       i, lens[3];
    const char  *argv[3];
    redisReply  *r;
    static char  sha[41];

    invsync_key_workers(key, sizeof(key), w->conf);
    snprintf(at, sizeof(at), "%lld", (long long) now);
    snprintf(after, sizeof(after), "%lld",
             (long long) w->conf->worker_forget_s * 1000);

    argv[0] = key;
    argv[1] = at;
    argv[2] = after;

    for (i = 0; i < 3; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, invsync_script_sha(invsync_script_forget,
                                                 invsync_script_forget_len,
                                                 sha),
                           invsync_script_forget, invsync_script_forget_len,
                           1, 3, argv, lens);
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY) {
        invsync_log(INVSYNC_LOG_WARN, "forgetting gone workers failed",
                    json_pack("{s:s}", "err", r->type == REDIS_REPLY_ERROR
                                              ? r->str : "unexpected reply"));
        freeReplyObject(r);
        return -1;
    }

    for (i = 0; i < r->elements; i++) {
        if (r->element[i]->type == REDIS_REPLY_STRING) {
            invsync_log(INVSYNC_LOG_INFO, "gone worker forgotten",
                        json_pack("{s:s, s:I}", "worker", r->element[i]->str,
                                  "after_s",
                                  (json_int_t) w->conf->worker_forget_s));
        }
    }

    n = (int) r->elements;
    freeReplyObject(r);

    return n;
}


/* the SHA-1 Redis names a script by, computed once into sha */

static const char *
invsync_script_sha(const char *script, size_t len, char *sha)
{
    unsigned       i, n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (sha[0] != '\0') {
        return sha;
    }

    if (EVP_Digest(script, len, md, &n, EVP_sha1(), NULL) != 1 || n != 20) {
        /* EVALSHA answers NOSCRIPT and the script is sent whole */
        return "0000000000000000000000000000000000000000";
    }

    for (i = 0; i < n; i++) {
        snprintf(sha + 2 * i, 3, "%02x", md[i]);
    }

    return sha;
}
