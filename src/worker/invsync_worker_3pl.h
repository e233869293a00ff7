
/*
 * The 3PL path of the fulfilment engine (docs/fulfilment.md, "3PL"): a
 * shipment at a location of kind 3pl is sent to the 3PL named by the
 * location's fulfilment.channel, asked about again, given up on, or its
 * 3PL order cancelled.  The driver (invsync_worker_fulfil.c) hands it
 * each due shipment of kind 3pl; every step is one request on
 * w->multi, never blocking, and its outcome is written only if the
 * shipment is still where the step found it (ship_3pl.lua).
 */


#ifndef INVSYNC_WORKER_3PL_H_INCLUDED
#define INVSYNC_WORKER_3PL_H_INCLUDED


#include "invsync_call.h"
#include "invsync_provider.h"
#include "invsync_routing.h"


#ifndef INVSYNC_KEY_LEN
#define INVSYNC_KEY_LEN           512
#endif
#define INVSYNC_3PL_RESP_MAX      (256 * 1024)
#define INVSYNC_3PL_LEASE_MS      (2 * INVSYNC_CALL_TIMEOUT_MS)
#define INVSYNC_3PL_BACKOFF_MS    2000       /* first retry of a failure */
#define INVSYNC_3PL_FINDS         3          /* look-ups after a 422 */


typedef enum {
    INVSYNC_3PL_FIND = 0,       /* look before create, and after a 422 */
    INVSYNC_3PL_CREATE,
    INVSYNC_3PL_GET,            /* ask again */
    INVSYNC_3PL_CANCEL
} invsync_3pl_op_e;


/* one shipment's step in flight, on the engine's list while it is */
typedef struct invsync_3pl_job_s  invsync_3pl_job_t;

struct invsync_3pl_job_s {
    invsync_call_t               call;
    invsync_3pl_job_t           *next, *prev;
    invsync_3pl_op_e             op;
    const invsync_3pl_t         *p;
    const invsync_location_t    *loc;
    const invsync_channel_conf_t *cc;
    const char                  *credentials;   /* the engine's */
    json_t                      *sh;        /* the shipment hash */
    json_t                      *order;     /* its canonical order, or NULL */
    char                         id[256];
    char                         state[16]; /* where the step found it */
    int                          finds;
    int64_t                      ask_after_ms, deadline_after_ms;
    int64_t                      deadline_ms;   /* 0: not requested yet */
};


/* the shipment's next step started: 1, 0 nothing to do (it leaves
 * fulfil:due) or could not start (tried again later), -1 Redis lost */
int invsync_3pl_due(invsync_worker_t *w, const char *id);
/* steps in flight */
int invsync_3pl_busy(invsync_worker_t *w);
/* every step in flight taken off the multi and freed (a reload, the end):
 * their shipments are due again when their leases end */
void invsync_3pl_drop(invsync_worker_t *w);

/* invsync_worker_3pl_record.c: what became of a step */
int invsync_3pl_record(invsync_worker_t *w, invsync_3pl_job_t *j,
    int64_t next_ms, ...);
int invsync_3pl_requested(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o);
int invsync_3pl_shipped(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o);
int invsync_3pl_failed(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *why, int64_t delay_ms);
int invsync_3pl_stalled(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *why);
int invsync_3pl_cancelled(invsync_worker_t *w, invsync_3pl_job_t *j,
    const invsync_3pl_order_t *o);
int invsync_3pl_unstall(invsync_worker_t *w, invsync_3pl_job_t *j,
    const char *why);
const char *invsync_3pl_field(const invsync_3pl_job_t *j, const char *key);


#endif /* INVSYNC_WORKER_3PL_H_INCLUDED */
