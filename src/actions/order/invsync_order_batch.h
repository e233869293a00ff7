
/*
 * The jobs of a queue of orders (invsync_order_batch.c) and the phases
 * each one goes through (invsync_order_phases.c): apply.lua and the SKU
 * lookups, the ledger, then what needs a person, one by one.
 */


#ifndef INVSYNC_ORDER_BATCH_H_INCLUDED
#define INVSYNC_ORDER_BATCH_H_INCLUDED


#include "invsync_actions.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


typedef struct {
    json_t              *line;
    json_int_t           qty;
    char                 id[64];
    char                 refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    size_t               nrefs;
    char                 sku[256];
    int                  found;
    int                  moved;         /* a ledger call was appended */
    json_t              *detail;        /* {moved, oversold} */
} invsync_job_line_t;


struct invsync_job_s {
    const invsync_envelope_t  *ev;
    json_t                    *canon;
    const char                *oid;
    int                        cancelled;
    int                        redo;    /* through invsync_action_run() */
    int                        npay;    /* payref HSETs appended */
    int                        waited;  /* a refund waits for it */
    int                        route;   /* its order.route row runs */
    int                        refund;  /* a refund: invsync_refund_batch */
    char                       state[INVSYNC_KEY_LEN];
    char                       order[INVSYNC_KEY_LEN];
    invsync_job_line_t        *lines;
    size_t                     nlines;
    invsync_act_rc_e           rc;
    char                       err[INVSYNC_ERR_LEN];
};


/* phase 1 appended, then read in the same order */
int invsync_batch_append_apply(invsync_worker_t *w, invsync_job_t *job);
int invsync_batch_read_apply(invsync_worker_t *w, invsync_job_t *job);
/* phase 2: the reservations or the release, appended then read */
int invsync_batch_append_ledger(invsync_worker_t *w, invsync_job_t *job,
    size_t *appended);
int invsync_batch_read_ledger(invsync_worker_t *w, invsync_job_t *job);
/* phase 3, alone: exceptions, waiting refunds, or the order run again */
void invsync_batch_finish(invsync_worker_t *w, invsync_job_t *job);


#endif /* INVSYNC_ORDER_BATCH_H_INCLUDED */
