
/*
 * The stock pusher: absolute quantities from the ledger to every channel
 * whose shown quantity differs from what it last acknowledged, coalesced
 * (only the newest value of a SKU goes out), in batches up to the
 * channel's API limit, concurrently across channels (libcurl multi),
 * within each channel's rate limit, retried with backoff.
 */


#ifndef INVSYNC_WORKER_PUSH_H_INCLUDED
#define INVSYNC_WORKER_PUSH_H_INCLUDED


#include <curl/curl.h>

#include "invsync_runtime.h"
#include "invsync_reconcile.h"


#define INVSYNC_PUSH_MAX_BATCH  250


typedef enum {
    INVSYNC_PUSH_DONE = 0,      /* items carry ok / err each */
    INVSYNC_PUSH_RETRY,         /* nothing applied: try all again later */
    INVSYNC_PUSH_THROTTLED      /* the same, after the channel's delay */
} invsync_push_rc_e;


typedef struct invsync_pushchan_s  invsync_pushchan_t;

/* what differs between channels: one file each, one row in the table */
typedef struct {
    const char          *type;
    size_t               max_batch;
    /* url, headers and body of one batch; items share one endpoint, the
     * ones that cannot go with the first are handed back (returns n sent) */
    size_t             (*build)(invsync_pushchan_t *pc, char *url,
                                size_t urllen, char **body);
    invsync_push_rc_e  (*parse)(invsync_pushchan_t *pc, long status,
                                const char *body, size_t len,
                                int64_t *delay_ms);
} invsync_pushops_t;


struct invsync_pushchan_s {
    const invsync_channel_conf_t  *conf;
    const invsync_pushops_t       *ops;
    char                          *credentials;
    CURL                          *easy;        /* in flight, or NULL */
    struct curl_slist             *headers;
    char                          *body;
    invsync_http_answer_t          answer;
    invsync_push_item_t            items[INVSYNC_PUSH_MAX_BATCH];
    size_t                         nitems;
    char                           idempotency[64];
    int64_t                        not_before_ms;
    int64_t                        failing_since_ms;
    int                            failures;
    int64_t                        sent_ms;
    invsync_reconcile_t           *recon;       /* its read-back passes */
    int64_t                        recon_next_ms;
    int                            read_turn;   /* a read goes before the
                                                 * next push */
};


typedef struct invsync_push_s {
    CURLM                         *multi;
    invsync_pushchan_t             chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
} invsync_push_t;


extern const invsync_pushops_t  invsync_pushops_shopify;
extern const invsync_pushops_t  invsync_pushops_woocommerce;


#endif /* INVSYNC_WORKER_PUSH_H_INCLUDED */
