
/*
 * The stock pusher: absolute quantities from the ledger to every channel
 * whose shown quantity differs from what it last acknowledged, coalesced
 * (only the newest value of a SKU goes out), in batches up to the
 * channel's API limit, concurrently across channels (the worker's one
 * libcurl multi), within each channel's rate limit, retried with backoff.
 * What a channel's request and answer look like is the channel's own
 * (push_build, push_parse of its row in the channel table).
 */


#ifndef INVSYNC_WORKER_PUSH_H_INCLUDED
#define INVSYNC_WORKER_PUSH_H_INCLUDED


#include <curl/curl.h>

#include "invsync_runtime.h"
#include "invsync_reconcile.h"
#include "invsync_call.h"


#define INVSYNC_PUSH_MAX_BATCH  250


/* a channel that can push: its row of the channel table and its state */
typedef struct {
    const invsync_channel_conf_t  *conf;
    const invsync_channel_t       *ch;
    char                          *credentials;
    invsync_call_t                 call;        /* call.easy: in flight */
    invsync_push_item_t            items[INVSYNC_PUSH_MAX_BATCH];
    size_t                         nitems;
    char                           idempotency[64];
    int64_t                        not_before_ms;
    int64_t                        failing_since_ms;
    int                            failures;
    int64_t                        sent_ms;
    invsync_latency_t              latency;     /* of its push requests,
                                                 * sent to answered */
    uint64_t                       latency_sum_ms;
    invsync_reconcile_t           *recon;       /* its read-back passes */
    int64_t                        recon_next_ms;
    int                            read_turn;   /* a read goes before the
                                                 * next push */
} invsync_pushchan_t;


typedef struct invsync_push_s {
    invsync_pushchan_t             chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
} invsync_push_t;


/* between the pusher's files */
#define INVSYNC_KEY_LEN          512
#define INVSYNC_PUSH_TIMEOUT_MS  10000
#define INVSYNC_PUSH_RESP_MAX    (4 * 1024 * 1024)
#define INVSYNC_PUSH_ALARM       5       /* failures before an exception */

/* invsync_worker_push.c: the request and its items go */
void invsync_push_release(invsync_worker_t *w, invsync_pushchan_t *pc);

/* invsync_worker_push_send.c */
int invsync_push_start(invsync_worker_t *w, invsync_pushchan_t *pc);
int invsync_push_collect(invsync_worker_t *w, invsync_pushchan_t *pc,
    redisReply *skus);

/* invsync_worker_push_answer.c */
int invsync_push_complete(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
int invsync_push_record(invsync_worker_t *w, invsync_pushchan_t *pc);
int invsync_push_giveback(invsync_worker_t *w, invsync_pushchan_t *pc,
    size_t from);


#endif /* INVSYNC_WORKER_PUSH_H_INCLUDED */
