
/*
 * The consumer's wait for its stream and for curl's transfers at once
 * (invsync_consumer_next): its own file, the read and the batch's
 * handling being invsync_worker_consumer.c's.
 */


#include <curl/curl.h>

#include "invsync_worker_consumer.h"


#define INVSYNC_BUSY_WAIT_MS  5   /* a wait on curl's transfers, at most */


/* the last read had entries (one loop a process: one flag) */
static int  invsync_flowing;


/*
 * The stream's new entries, or a wait for them.  With requests on curl's
 * multi the wait is not Redis's: a BLOCK ends on Redis's clock (hz 10: a
 * BLOCK of 2 ms lasts up to 100 ms when nothing is added), and the
 * answers wait for it.  So after a read that found nothing the next
 * does not block, and when it finds nothing either the worker waits on
 * the transfers' sockets instead, for at most INVSYNC_BUSY_WAIT_MS (the
 * latency a new entry can get meanwhile): an answer is handled as soon
 * as it is in, not a Redis tick later.  While entries come, the short
 * BLOCK stays: the next XADD ends it at once, sooner than a poll would
 * (the price: one BLOCK of Redis's length when the stream stops).
 */

int
invsync_consumer_next(invsync_worker_t *w)
{
    int       running, wait;
    uint64_t  read;

    running = 0;

    if (w->multi != NULL && w->busy_ms > 0) {
        curl_multi_perform(w->multi, &running);
    }

    read = w->counters.read;

    /* with nothing in flight, or the stream flowing (its next entry ends
     * a BLOCK sooner than anything: Redis wakes a blocked read at once) */
    if (running == 0 || invsync_flowing) {
        if (invsync_consumer_read(w, ">", w->busy_ms ? w->busy_ms
                                                     : w->conf->block_ms)
            != 0)
        {
            return -1;
        }

        invsync_flowing = w->counters.read != read;

        return 0;
    }

    if (invsync_consumer_read(w, ">", -1) != 0) {
        return -1;
    }

    invsync_flowing = w->counters.read != read;

    if (!invsync_flowing && w->redis != NULL) {
        wait = w->conf->block_ms < INVSYNC_BUSY_WAIT_MS ? w->conf->block_ms
                                                        : INVSYNC_BUSY_WAIT_MS;
        curl_multi_poll(w->multi, NULL, 0, wait, NULL);
    }

    return 0;
}
