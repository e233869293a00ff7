
/*
 * The consumer's acknowledgements: the ids of the entries whose effects
 * are in Redis, sent as one XACK per stream and batch (or when the list
 * fills), never before the effect.
 */


#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"
#include "invsync_worker_acks.h"


/* acknowledged with the next XACK of the batch; sent when the list fills */

int
invsync_acks_add(invsync_worker_t *w, size_t si, invsync_acks_t *acks,
    const char *id, size_t len)
{
    acks->ids[acks->n] = id;
    acks->lens[acks->n++] = len;

    if (acks->n == sizeof(acks->ids) / sizeof(char *)) {
        return invsync_acks_flush(w, si, acks);
    }

    return 0;
}


int
invsync_acks_flush(invsync_worker_t *w, size_t si, invsync_acks_t *acks)
{
    char          key[INVSYNC_KEY_LEN];
    size_t        i, *lens;
    const char  **argv;
    redisReply   *r;

    if (acks->n == 0) {
        return 0;
    }

    argv = malloc((acks->n + 3) * sizeof(char *));
    lens = malloc((acks->n + 3) * sizeof(size_t));

    if (argv == NULL || lens == NULL) {
        free(argv);
        free(lens);
        return -1;
    }

    argv[0] = "XACK";
    argv[1] = key;
    argv[2] = w->conf->group;
    lens[0] = 4;
    lens[1] = invsync_stream_key(w, si, key, sizeof(key));
    lens[2] = strlen(w->conf->group);

    for (i = 0; i < acks->n; i++) {
        argv[i + 3] = acks->ids[i];
        lens[i + 3] = acks->lens[i];
    }

    r = invsync_redis_cmd(w, (int) acks->n + 3, argv, lens);

    free(argv);
    free(lens);

    acks->n = 0;

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
