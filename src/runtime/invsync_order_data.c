
/*
 * An order as order.record keeps it (K order:<channel>:<id>, field data):
 * its canonical JSON, decoded.  The returns, the 3PL driver and routing's
 * retry each read it so.
 */


#include <stdio.h>

#include "invsync_runtime.h"


/*
 * The recorded canonical order of order ("<channel>:<order id>"), a new
 * reference, or NULL: not recorded (or not JSON), or *lost = 1 when the
 * Redis session was lost.
 */

json_t *
invsync_order_data(invsync_worker_t *w, const char *order, int *lost)
{
    char         key[512];
    json_t      *data;
    redisReply  *r;

    *lost = 0;

    /* a key too long names no order */
    if (invsync_key_order(key, sizeof(key), w->conf, order) == 0) {
        return NULL;
    }

    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "data",
                                                 NULL });
    if (r == NULL) {
        *lost = 1;
        return NULL;
    }

    data = r->type == REDIS_REPLY_STRING
           ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);

    return data;
}
