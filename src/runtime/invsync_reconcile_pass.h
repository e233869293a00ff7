
/*
 * Between the files of one reconciliation pass (invsync_reconcile*.c):
 * their limits and the functions they call of each other.  Not for the
 * pass's callers, who include invsync_reconcile.h.
 */


#ifndef INVSYNC_RECONCILE_PASS_H_INCLUDED
#define INVSYNC_RECONCILE_PASS_H_INCLUDED


#include "invsync_reconcile.h"


#define INVSYNC_KEY_LEN               512
#define INVSYNC_RECONCILE_TIMEOUT_MS  10000
#define INVSYNC_RECONCILE_RESP_MAX    (8 * 1024 * 1024)
#define INVSYNC_RECONCILE_ATTEMPTS    3      /* of one page */
#define INVSYNC_RECONCILE_THROTTLES   20     /* waits for one page */
#define INVSYNC_RECONCILE_STEPS       4      /* requests of one page */
#define INVSYNC_RECONCILE_SCAN        "100"  /* SSCAN COUNT */

typedef enum {
    INVSYNC_RECONCILE_ANSWERED = 0,  /* items carry what was read */
    INVSYNC_RECONCILE_THROTTLED,     /* ask again after the delay */
    INVSYNC_RECONCILE_FAILED         /* ask again, a few times */
} invsync_reconcile_answer_e;


/* invsync_reconcile_queue.c */
int invsync_reconcile_fill(invsync_worker_t *w, invsync_reconcile_t *rc);
void invsync_reconcile_item(invsync_reconcile_t *rc, const char *sku,
    size_t len, const redisReply *ref);
int invsync_reconcile_request(invsync_reconcile_t *rc);

/* invsync_reconcile_compare.c */
int invsync_reconcile_snapshot(invsync_worker_t *w, invsync_reconcile_t *rc);
int invsync_reconcile_compare(invsync_worker_t *w, invsync_reconcile_t *rc);

/* invsync_reconcile_drift.c */
int invsync_reconcile_drift(invsync_worker_t *w, invsync_reconcile_t *rc,
    invsync_read_item_t *it, int64_t should, const char *shown);
void invsync_reconcile_missing_id(invsync_reconcile_t *rc,
    const invsync_read_item_t *it, char *id, size_t cap);
int invsync_reconcile_missing(invsync_worker_t *w, invsync_reconcile_t *rc,
    invsync_read_item_t *it);

/* invsync_reconcile_should.c */
int64_t invsync_reconcile_raw(const invsync_channel_conf_t *cc,
    const redisReply *stock, int *err);


#endif /* INVSYNC_RECONCILE_PASS_H_INCLUDED */
