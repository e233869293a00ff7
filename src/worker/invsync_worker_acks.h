
/*
 * The consumer's batched acknowledgements (invsync_worker_acks.c).
 */


#ifndef INVSYNC_WORKER_ACKS_H
#define INVSYNC_WORKER_ACKS_H


#include "invsync_worker_consumer.h"


typedef struct {
    const char   *ids[1024];
    size_t        lens[1024];
    size_t        n;
} invsync_acks_t;


int invsync_acks_add(invsync_worker_t *w, size_t si, invsync_acks_t *acks,
    const char *id, size_t len);
int invsync_acks_flush(invsync_worker_t *w, size_t si, invsync_acks_t *acks);


#endif /* INVSYNC_WORKER_ACKS_H */
