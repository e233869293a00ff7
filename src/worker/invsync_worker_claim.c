
/*
 * Claims: what a crashed or hung consumer left pending is taken over by a
 * live worker.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"


/*
 * Entries another consumer has held for claim_idle_ms: it crashed or hangs.
 * XCLAIM with the same idle bound lets only one live worker take each.  An
 * entry delivered far more often than the retries allow keeps killing its
 * consumers: it goes to the dead letters instead of round again.
 */

int
invsync_consumer_claim(invsync_worker_t *w)
{
    char         stream[INVSYNC_KEY_LEN];
    size_t       si, i;
    redisReply  *p, *c, *e;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        p = invsync_cmd(w, "XPENDING %s %s IDLE %d - + %d", stream,
                        w->conf->group, w->conf->claim_idle_ms,
                        w->conf->batch);
        if (p == NULL) {
            return -1;
        }

        for (i = 0; p->type == REDIS_REPLY_ARRAY && i < p->elements; i++) {
            e = p->element[i];

            if (e->type != REDIS_REPLY_ARRAY || e->elements != 4) {
                continue;
            }

            c = invsync_cmd(w, "XCLAIM %s %s %s %d %s", stream,
                            w->conf->group, w->conf->consumer,
                            w->conf->claim_idle_ms, e->element[0]->str);
            if (c == NULL) {
                freeReplyObject(p);
                return -1;
            }

            if (c->type == REDIS_REPLY_ARRAY && c->elements > 0) {
                w->counters.claimed++;

                invsync_log(INVSYNC_LOG_WARN, "claimed a stalled entry",
                            json_pack("{s:s, s:s, s:s, s:I}",
                                      "stream", w->conf->streams[si],
                                      "entry", e->element[0]->str,
                                      "from", e->element[1]->str,
                                      "deliveries",
                                      (json_int_t) e->element[3]->integer));

                if (e->element[3]->integer > w->conf->retry_attempts + 2
                    && c->element[0]->type == REDIS_REPLY_ARRAY
                    && c->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
                {
                    invsync_envelope_t  ev;
                    char                why[128];

                    invsync_envelope_from(c->element[0]->element[1], si, w,
                                          e->element[0]->str, &ev);
                    snprintf(why, sizeof(why), "delivered %lld times without "
                             "completing: a consumer crashes on it",
                             (long long) e->element[3]->integer);

                    if (invsync_consumer_dead(w, si, c->element[0], &ev, why,
                                              (long) e->element[3]->integer)
                        != 0)
                    {
                        freeReplyObject(c);
                        freeReplyObject(p);
                        return -1;
                    }

                } else if (invsync_consumer_entries(w, si, c, 1) != 0) {
                    freeReplyObject(c);
                    freeReplyObject(p);
                    return -1;
                }
            }

            freeReplyObject(c);
        }

        freeReplyObject(p);
    }

    return 0;
}
