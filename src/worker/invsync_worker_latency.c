
/*
 * Latency: from the stream write to the action's start, one bucket per
 * millisecond, and its percentiles for the heartbeat.
 */



#include "invsync_worker_consumer.h"


void
invsync_latency_add(invsync_latency_t *l, int64_t ms)
{
    if (ms < 0) {
        ms = 0;     /* clocks of Redis and this host differ a little */
    }

    if (ms >= INVSYNC_LATENCY_BUCKETS - 1) {
        ms = INVSYNC_LATENCY_BUCKETS - 1;
    }

    l->buckets[ms]++;
    l->count++;
}


/* the p-th percentile (0 < p <= 1) in ms, -1 when nothing was measured */

long
invsync_latency_percentile(const invsync_latency_t *l, double p)
{
    long      i;
    uint64_t  seen, want;

    if (l->count == 0) {
        return -1;
    }

    want = (uint64_t) (p * (double) l->count);
    if (want == 0) {
        want = 1;
    }

    seen = 0;

    for (i = 0; i < INVSYNC_LATENCY_BUCKETS; i++) {
        seen += l->buckets[i];

        if (seen >= want) {
            return i;
        }
    }

    return INVSYNC_LATENCY_BUCKETS - 1;
}
