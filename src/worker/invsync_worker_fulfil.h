
/*
 * The fulfilment engine (docs/fulfilment.md): shipments due in K
 * fulfil:due, each claimed for one slot (ship_claim.lua), up to
 * "fulfilment.carrier_slots" labels and "threepl_slots" 3PL steps in
 * flight at once, every request on the worker's multi (invsync_call),
 * never blocking the loop.  invsync_worker_fulfil.c is the turn, the
 * claim and the requests; invsync_worker_fulfil_answer.c the answers;
 * invsync_worker_fulfil_label.c what a label is bought for (addresses,
 * parcel, the rate).
 */


#ifndef INVSYNC_WORKER_FULFIL_H_INCLUDED
#define INVSYNC_WORKER_FULFIL_H_INCLUDED


#include "invsync_call.h"
#include "invsync_provider.h"
#include "fulfil/invsync_fulfil.h"


#define INVSYNC_FULFIL_CHECK_MS   25      /* fulfil:due looked at */
#define INVSYNC_FULFIL_LEASE_MS   (2 * INVSYNC_CALL_TIMEOUT_MS)
#define INVSYNC_FULFIL_WINDOW     128     /* due members read per look */
#define INVSYNC_FULFIL_PAGES      4       /* windows read while slots wait */
#define INVSYNC_FULFIL_BACKOFF_MS 1000    /* doubled per attempt */
#define INVSYNC_FULFIL_MAX_MS     60000
#define INVSYNC_FULFIL_ANSWER     (256 * 1024)


typedef enum {
    INVSYNC_FULFIL_LOOKUP = 0,  /* the shipment by its reference */
    INVSYNC_FULFIL_CREATE,
    INVSYNC_FULFIL_BUY,
    INVSYNC_FULFIL_VOID
} invsync_fulfil_step_e;


/* one slot: one shipment's requests, one at a time */
typedef struct {
    invsync_call_t               call;
    invsync_fulfil_step_e        step;
    char                         id[INVSYNC_SHIP_ID_LEN];
    json_t                      *ship;      /* shipment:<id>'s fields */
    const invsync_location_t    *loc;
    const invsync_provider_t    *pv;
    invsync_channel_conf_t       cc;        /* the location's API */
    const char                  *cred;      /* the engine's, per location */
    int                          by_channel; /* a void after the channel
                                              * shipped it: state stays */
} invsync_fulfil_t;


struct invsync_fulfil_s {
    invsync_fulfil_t            *slots;
    int                          nslots;
    int64_t                      next_ms;   /* fulfil:due looked at */
    /* each routing location's credentials (a warehouse's carrier key, a
     * 3PL's account token) by its index, read once at configuration
     * load and reload, as the channels' are; NULL: none or unreadable */
    char                       **cred;
    size_t                       ncred;
    /* the 3PL steps in flight: this engine's, so that a reload, which
     * frees the configuration they point into, takes them off the multi
     * and starts the count again */
    struct invsync_3pl_job_s    *jobs;
    int                          threepl_inflight;
};


/* the credentials of a location of w->conf->routing, or NULL */
const char *invsync_fulfil_cred(invsync_worker_t *w,
    const invsync_location_t *loc);


/* invsync_worker_fulfil.c */
int invsync_fulfil_init(invsync_worker_t *w, char *err, size_t len);
void invsync_fulfil_free(invsync_worker_t *w);
int invsync_fulfil_step(invsync_worker_t *w);
int invsync_fulfil_busy(invsync_worker_t *w);
int invsync_fulfil_send(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_fulfil_step_e step, const char *arg);
int invsync_fulfil_cmd(invsync_worker_t *w, const char *cmd,
    const char *key, const char *a, const char *b, const char *c,
    const char *d);

/* invsync_worker_fulfil_answer.c */
int invsync_fulfil_done(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);
int invsync_fulfil_failed(invsync_worker_t *w, invsync_fulfil_t *f,
    const char *why);

/* invsync_worker_fulfil_label.c */
int invsync_fulfil_label_req(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_req_t *req, char *err, size_t len);
const invsync_rate_t *invsync_fulfil_rate(invsync_worker_t *w,
    invsync_fulfil_t *f, const invsync_label_t *l, char *err, size_t len);
const char *invsync_fulfil_field(invsync_fulfil_t *f, const char *name);


#endif /* INVSYNC_WORKER_FULFIL_H_INCLUDED */
