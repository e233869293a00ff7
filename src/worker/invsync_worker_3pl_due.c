
/*
 * The 3PL part of the fulfilment driver: due shipments (K fulfil:due) of
 * kind 3pl handed to invsync_3pl_due(), a few a turn.  Until the driver
 * (src/worker/invsync_worker_fulfil.c, helper "ship") dispatches every
 * kind itself, the consumer loop calls this; then it goes.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_3pl.h"
#include "fulfil/invsync_fulfil.h"


#define INVSYNC_3PL_TURN  8         /* steps started in one turn, at most */


int
invsync_3pl_tick(invsync_worker_t *w)
{
    char         due[INVSYNC_KEY_LEN], key[INVSYNC_KEY_LEN], now[32];
    int          started, rc;
    size_t       i;
    redisReply  *r, *k;
    const char  *argv[8];

    invsync_key_fulfil_due(due, sizeof(due), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    argv[0] = "ZRANGEBYSCORE";
    argv[1] = due;
    argv[2] = "-inf";
    argv[3] = now;
    argv[4] = "LIMIT";
    argv[5] = "0";
    /* other kinds are due too (the driver's): look past them */
    argv[6] = "64";
    argv[7] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    started = 0;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements
                && started < INVSYNC_3PL_TURN; i++)
    {
        invsync_key_shipment(key, sizeof(key), w->conf, r->element[i]->str);
        argv[0] = "HGET";
        argv[1] = key;
        argv[2] = "kind";
        argv[3] = NULL;
        k = invsync_redis_cmdv(w, argv);

        if (k == NULL) {
            freeReplyObject(r);
            return -1;
        }

        rc = k->type == REDIS_REPLY_STRING && strcmp(k->str, "3pl") == 0
             ? invsync_3pl_due(w, r->element[i]->str) : 0;
        freeReplyObject(k);

        if (rc < 0) {
            freeReplyObject(r);
            return -1;
        }

        started += rc;
    }

    freeReplyObject(r);

    return 0;
}
