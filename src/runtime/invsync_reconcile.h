
/*
 * Reconciliation, shared by invsync-worker and invsyncctl: what a channel
 * should show of a SKU by the ledger and the channel's rules, and the
 * read-back pass that asks the channel's API what it really shows, page by
 * page, and audits each difference and hands it to the pusher.
 */


#ifndef INVSYNC_RECONCILE_H_INCLUDED
#define INVSYNC_RECONCILE_H_INCLUDED


#include <curl/curl.h>

#include "invsync_runtime.h"
#include "invsync_call.h"


#define INVSYNC_RECONCILE_PAGE     100      /* SKUs in one read, at most */


typedef enum {
    INVSYNC_RECONCILE_READY = 0,    /* the next page may be asked for */
    INVSYNC_RECONCILE_FLIGHT,       /* a request is out: rc->easy */
    INVSYNC_RECONCILE_OVER          /* the pass ended: counts are final */
} invsync_reconcile_state_e;


typedef struct {
    uint64_t                    pages;      /* answers used */
    uint64_t                    checked;    /* read and compared */
    uint64_t                    drifted;    /* showed something else */
    uint64_t                    missing;    /* unknown to the channel */
    uint64_t                    unreadable; /* no usable answer */
    uint64_t                    skipped;    /* a push of it was pending */
} invsync_reconcile_counts_t;


/*
 * One channel's pass; invsync_reconcile_new() gives, _free() releases.
 * The pass is driven by its caller: _begin(), then _next() sends a page's
 * request on the worker's curl multi, whose done callback (the caller's)
 * calls _done() with its result, until the state is OVER.  What the
 * requests and answers look like is the channel's (read_item, read_build
 * and read_parse of its row in the channel table).
 */
typedef struct {
    const invsync_channel_conf_t  *conf;         /* borrowed */
    const invsync_channel_t       *ch;
    const char                    *credentials;  /* borrowed */
    char                           owner[INVSYNC_NAME_LEN];
    char                           lock[512];
    char                           event[INVSYNC_NAME_LEN + 48];
    invsync_reconcile_state_e      state;
    int64_t                        lock_ms;     /* its lifetime */
    char                           cursor[32];  /* SSCAN of the SKU set */
    int                            scanned;     /* the scan is complete */
    invsync_read_item_t           *queue;       /* mapped, not read yet */
    size_t                         nqueue;
    size_t                         cap;
    invsync_read_item_t            batch[INVSYNC_RECONCILE_PAGE];
    size_t                         nbatch;      /* the page in hand */
    int                            failures;    /* of this page */
    int                            throttled;   /* the last answer said */
    int                            throttles;   /* in a row, this page */
    int                            more;        /* the page's requests
                                                 * answered MORE so far */
    int64_t                        not_before_ms;
    int64_t                        started_ms;
    int64_t                        finished_ms;
    int                            complete;    /* every SKU was read */
    int                            abandoned;   /* another took the lock */
    char                           error[160];
    invsync_reconcile_counts_t     counts;
    json_t                        *drifts;      /* NULL, or collected */
    invsync_call_t                 call;        /* the page's request */
} invsync_reconcile_t;


invsync_reconcile_t *invsync_reconcile_new(const invsync_channel_conf_t *cc,
    const char *credentials, const char *owner);
void invsync_reconcile_free(invsync_worker_t *w, invsync_reconcile_t *rc);
int invsync_reconcile_supported(const invsync_channel_conf_t *cc);
int invsync_reconcile_begin(invsync_worker_t *w, invsync_reconcile_t *rc,
    int64_t lock_ms, int take);
int invsync_reconcile_next(invsync_worker_t *w, invsync_reconcile_t *rc,
    invsync_call_done_pt done, void *owner);
int invsync_reconcile_done(invsync_worker_t *w, invsync_reconcile_t *rc,
    CURLcode code);
int invsync_reconcile_stop(invsync_worker_t *w, invsync_reconcile_t *rc,
    const char *why);

int64_t invsync_reconcile_should(invsync_worker_t *w,
    const invsync_channel_conf_t *cc, const redisReply *stock,
    const redisReply *components, int *err);



#endif /* INVSYNC_RECONCILE_H_INCLUDED */
