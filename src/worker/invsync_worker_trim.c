
/*
 * Trimming: the streams stay bounded, below the oldest entry any group
 * still needs and the replay window.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"


static int invsync_id_less(const char *a, const char *b);

/*
 * Bounded streams: trim below the oldest entry any group still needs
 * (its oldest pending entry, or what it has not been delivered yet), and
 * keep the entries of the last stream_retain_s seconds for replays.
 */

int
invsync_consumer_trim(invsync_worker_t *w)
{
    char         stream[INVSYNC_KEY_LEN], safe[64], keep[64];
    size_t       si, g, k;
    redisReply  *groups, *grp, *pend, *old;
    const char  *name, *last;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        groups = invsync_cmd(w, "XINFO GROUPS %s", stream);
        if (groups == NULL) {
            return -1;
        }

        safe[0] = '\0';

        for (g = 0; groups->type == REDIS_REPLY_ARRAY
                    && g < groups->elements; g++)
        {
            grp = groups->element[g];
            name = NULL;
            last = NULL;

            for (k = 0; k + 1 < grp->elements; k += 2) {
                if (strcmp(grp->element[k]->str, "name") == 0) {
                    name = grp->element[k + 1]->str;

                } else if (strcmp(grp->element[k]->str, "last-delivered-id")
                           == 0)
                {
                    last = grp->element[k + 1]->str;
                }
            }

            if (name == NULL || last == NULL) {
                continue;
            }

            if (safe[0] == '\0' || invsync_id_less(last, safe)) {
                snprintf(safe, sizeof(safe), "%s", last);
            }

            pend = invsync_cmd(w, "XPENDING %s %s", stream, name);
            if (pend == NULL) {
                freeReplyObject(groups);
                return -1;
            }

            if (pend->type == REDIS_REPLY_ARRAY && pend->elements >= 2
                && pend->element[1]->type == REDIS_REPLY_STRING
                && invsync_id_less(pend->element[1]->str, safe))
            {
                snprintf(safe, sizeof(safe), "%s", pend->element[1]->str);
            }

            freeReplyObject(pend);
        }

        freeReplyObject(groups);

        if (safe[0] == '\0' || strcmp(safe, "0-0") == 0) {
            continue;
        }

        /* entries younger than the retention window stay for replays */
        if (w->conf->stream_retain_s > 0) {
            snprintf(keep, sizeof(keep), "%lld-0",
                     (long long) (invsync_now_ms()
                                  - w->conf->stream_retain_s * 1000));

            if (invsync_id_less(keep, safe)) {
                snprintf(safe, sizeof(safe), "%s", keep);
            }
        }

        old = invsync_cmd(w, "XTRIM %s MINID %s", stream, safe);
        if (old == NULL) {
            return -1;
        }

        if (old->type == REDIS_REPLY_INTEGER && old->integer > 0) {
            w->counters.trimmed += (uint64_t) old->integer;
        }

        freeReplyObject(old);
    }

    return 0;
}


/* stream ids "ms-seq" compared numerically */

static int
invsync_id_less(const char *a, const char *b)
{
    unsigned long long  ams, aseq, bms, bseq;

    if (sscanf(a, "%llu-%llu", &ams, &aseq) != 2
        || sscanf(b, "%llu-%llu", &bms, &bseq) != 2)
    {
        return 0;
    }

    return ams < bms || (ams == bms && aseq < bseq);
}
