
/*
 * A batch of refunds' jobs, shared by its reads
 * (invsync_refund_batch_read.c) and its rows (invsync_refund_batch.c).
 */


#ifndef INVSYNC_REFUND_BATCH_H_INCLUDED
#define INVSYNC_REFUND_BATCH_H_INCLUDED


#include "invsync_actions.h"
#include "invsync_refund_steps.h"


typedef enum {
    INVSYNC_RB_READ = 0,        /* a plain read: no script */
    INVSYNC_RB_RECORD,          /* refund_record.lua */
    INVSYNC_RB_LEDGER,
    INVSYNC_RB_JOURNAL
} invsync_rb_call_e;


typedef struct {
    json_t              *line;
    char                 refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    size_t               nrefs;
    char                 sku[256];
    int                  found;
    json_t              *tags;
    json_t              *move;          /* the ledger's lines, and */
    char                *why;           /* the decision, while appended */
    char                 cause[1024];
} invsync_rb_line_t;


typedef struct {
    invsync_refund_in_t     *in;
    invsync_refund_order_t   o;
    char                     order[INVSYNC_ACTION_KEY_LEN];
    int                      alone;     /* by the rows, in its turn */
    int                      redo;      /* by the rows, after its part */
    int                      live;      /* the next row runs */
    int                      released;
    invsync_shipped_t        shipped;
    invsync_rb_line_t       *lines;
    size_t                   nlines;
    invsync_refund_count_t  *count;
    json_t                  *costs;
    invsync_journal_w_t      j;
    json_t                  *out;
} invsync_rb_job_t;


typedef struct {
    invsync_rb_job_t    *job;
    invsync_rb_line_t   *line;      /* a ledger's or a cost's line */
    invsync_rb_call_e    what;
    redisReply          *r;
} invsync_rb_call_t;


/* what the refund names; 0, or -1 out of memory */
int invsync_rb_prepare(invsync_worker_t *w, invsync_rb_job_t *job);
/* the two pipelines of reads; 0, or -1 the session was lost */
int invsync_rb_reads(invsync_worker_t *w, invsync_rb_job_t *jobs, size_t n);
int invsync_rb_more(invsync_worker_t *w, invsync_rb_job_t *jobs, size_t n);


#endif /* INVSYNC_REFUND_BATCH_H_INCLUDED */
