
/*
 * The deployment's epoch, for the worker and the CLI (docs/keys.md, "The
 * epoch"): one call of epoch.lua, and a fresh random epoch.  The module
 * makes the same call on each of its connections
 * (ngx_invsync_module/ngx_http_invsync_epoch.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "invsync_runtime.h"


#define INVSYNC_EPOCH_KEY_LEN  512


/*
 * 16 random bytes as 32 hex digits, after INVSYNC_EPOCH_OP if an operator
 * makes it, and a NUL: dst holds INVSYNC_EPOCH_MAX + 1 bytes.  -1 if
 * OpenSSL has no random bytes.
 */

int
invsync_epoch_new(char *dst, int operator)
{
    char            *p;
    size_t           i;
    unsigned char    rnd[INVSYNC_EPOCH_HEX / 2];
    static const char  hex[] = "0123456789abcdef";

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return -1;
    }

    p = dst;

    if (operator) {
        memcpy(p, INVSYNC_EPOCH_OP, sizeof(INVSYNC_EPOCH_OP) - 1);
        p += sizeof(INVSYNC_EPOCH_OP) - 1;
    }

    for (i = 0; i < sizeof(rnd); i++) {
        *p++ = hex[rnd[i] >> 4];
        *p++ = hex[rnd[i] & 0x0f];
    }

    *p = '\0';

    return 0;
}


/*
 * epoch.lua in mode ("create", "check", "adopt", "reset") with want, and
 * with markers: the markers of the configuration's streams, set to the
 * epoch when the call goes on with it.  The reply is the caller's to free:
 * the epoch, nil for none, or an error; NULL if the session was lost.
 */

redisReply *
invsync_epoch_call(invsync_worker_t *w, const char *mode, const char *want,
    int markers)
{
    int          argc;
    char         nkeys[16];
    char         keys[1 + INVSYNC_MAX_STREAMS][INVSYNC_EPOCH_KEY_LEN];
    size_t       si, n, plen, slen, argvlen[6 + INVSYNC_MAX_STREAMS];
    const char  *argv[6 + INVSYNC_MAX_STREAMS];
    invsync_conf_t  *conf = w->conf;

    plen = strlen(conf->prefix);
    n = 0;

    if (invsync_key_epoch(keys[n], sizeof(keys[n]), conf) == 0) {
        return NULL;
    }

    n++;

    for (si = 0; markers && si < conf->nstreams; si++) {
        slen = strlen(conf->streams[si]);

        if (invsync_key_marker_len(plen, slen) >= INVSYNC_EPOCH_KEY_LEN) {
            return NULL;
        }

        keys[n][invsync_key_marker((unsigned char *) keys[n],
                                   (unsigned char *) conf->prefix, plen,
                                   (unsigned char *) conf->streams[si],
                                   slen)] = '\0';
        n++;
    }

    snprintf(nkeys, sizeof(nkeys), "%zu", n);

    argc = 0;
    argv[argc++] = "EVAL";
    argv[argc++] = invsync_script_epoch;
    argv[argc++] = nkeys;

    for (si = 0; si < n; si++) {
        argv[argc++] = keys[si];
    }

    argv[argc++] = mode;
    argv[argc++] = want;

    for (si = 0; si < (size_t) argc; si++) {
        argvlen[si] = strlen(argv[si]);
    }

    return invsync_redis_cmd(w, argc, argv, argvlen);
}
