
/*
 * Lag: the entries of each stream the group has not been delivered yet.
 */


#include <string.h>

#include "invsync_worker_consumer.h"


/* entries of each stream the group has not been delivered yet (Redis 7) */

void
invsync_consumer_lag(invsync_worker_t *w)
{
    char         stream[INVSYNC_KEY_LEN];
    size_t       si, g, k;
    redisReply  *r, *grp;
    const char  *name;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        r = invsync_cmd(w, "XINFO GROUPS %s", stream);
        if (r == NULL) {
            return;
        }

        for (g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
            grp = r->element[g];
            name = NULL;

            for (k = 0; k + 1 < grp->elements; k += 2) {
                if (strcmp(grp->element[k]->str, "name") == 0) {
                    name = grp->element[k + 1]->str;

                } else if (strcmp(grp->element[k]->str, "lag") == 0
                           && name != NULL
                           && strcmp(name, w->conf->group) == 0
                           && grp->element[k + 1]->type
                              == REDIS_REPLY_INTEGER)
                {
                    w->lag[si] = (uint64_t) grp->element[k + 1]->integer;
                }
            }
        }

        freeReplyObject(r);
    }
}
