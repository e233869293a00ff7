
/*
 * The refund driver's parts (invsync_worker_refund_out.c runs the turns
 * and the requests, invsync_worker_refund_out_record.c what an attempt
 * leaves behind).
 */


#ifndef INVSYNC_WORKER_REFUND_OUT_H_INCLUDED
#define INVSYNC_WORKER_REFUND_OUT_H_INCLUDED


#include "invsync_worker_push.h"
#include "invsync_refund_out.h"
#include "invsync_refund_push.h"


#define INVSYNC_REFUND_ALARM     5      /* failures before the exception */
#define INVSYNC_REFUND_STEPS     8      /* requests an attempt may make */
#define INVSYNC_REFUND_LEASE_MS  60000  /* a claimed request's hold */
#define INVSYNC_REFUND_RESP_MAX  (1024 * 1024)
#define INVSYNC_REFUND_SCAN_MS   20     /* the due set read at most every */


typedef struct {
    const invsync_channel_conf_t  *conf;
    const invsync_channel_t       *ch;
    char                          *credentials;
    invsync_call_t                 call;
    invsync_refund_push_t          r;
    char                           order[INVSYNC_REFUND_KEY_LEN];
    int                            busy;        /* r is being made */
    int                            steps;
    int64_t                        not_before_ms;
} invsync_refundchan_t;


struct invsync_refund_drv_s {
    invsync_refundchan_t           chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
    int64_t                        next_scan_ms;
};

typedef struct invsync_refund_drv_s  invsync_refund_drv_t;


/* invsync_worker_refund_out_record.c: made (or found made, or covered by
 * the channel's own), or not (refused 1: the channel said no; 0: a
 * failure; -1: throttled, due again after delay) */
int invsync_refund_drv_told(invsync_worker_t *w, invsync_refundchan_t *rc);
int invsync_refund_drv_failed(invsync_worker_t *w, invsync_refundchan_t *rc,
    const char *why, int refused, int64_t delay);


#endif /* INVSYNC_WORKER_REFUND_OUT_H_INCLUDED */
