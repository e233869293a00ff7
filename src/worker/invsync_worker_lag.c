
/*
 * Lag: the entries of each stream the group has not been delivered yet,
 * counted by invsync_stream_lag() (docs/worker.md, "Lag"): Redis's own
 * XINFO GROUPS lag is not restored by an append-only file's replay.
 */


#include "invsync_worker_consumer.h"


/* each stream's lag into w->lag; kept as it was when Redis failed */

void
invsync_consumer_lag(invsync_worker_t *w)
{
    int       exact;
    char      stream[INVSYNC_KEY_LEN];
    size_t    si;
    int64_t   lag;

    for (si = 0; si < w->conf->nstreams; si++) {
        invsync_stream_key(w, si, stream, sizeof(stream));

        switch (invsync_stream_lag(w, stream, w->conf->group, &lag, &exact)) {

        case 0:
            w->lag[si] = lag > 0 ? (uint64_t) lag : 0;
            break;

        case 1:
            /* no group yet: nothing was ever delivered, nor can be */
            w->lag[si] = 0;
            break;

        default:
            return;
        }
    }
}
