
/*
 * Exceptions the programs resolve on their own, shared by invsync-worker
 * and invsyncctl (which runs the reconciliation pass too).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_worker.h"


#define INVSYNC_KEY_LEN  512


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

    invsync_key(keys[0], INVSYNC_KEY_LEN, w->conf, "exception:%s", id);
    invsync_key(keys[1], INVSYNC_KEY_LEN, w->conf, "exceptions:open");
    invsync_key(keys[2], INVSYNC_KEY_LEN, w->conf, "audit");
    invsync_key(keys[3], INVSYNC_KEY_LEN, w->conf, "audit:event:%s:%s",
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
