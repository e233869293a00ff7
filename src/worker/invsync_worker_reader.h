
/*
 * The channel reader engine (invsync_worker_reader.c): what the refund
 * reader (invsync_worker_refunds.c) and the disposition reader
 * (invsync_worker_dispose.c) share.  A reader names its due set, the
 * channel operation that reads one due member, what the answer becomes
 * on a stream and its give-up exception (invsync_reader_ops_t); the
 * engine reads the due set, claims each member for a lease through
 * ship_claim.lua (only while still due, so two workers never take one
 * twice), sends its request on the worker's curl multi (one at a time
 * per channel: the loop never waits), and on a failure counts it, logs
 * it, puts the member due again after a backoff and, at the
 * INVSYNC_READER_ALARM-th in a row, asks the reader for its exception.
 */


#ifndef INVSYNC_WORKER_READER_H_INCLUDED
#define INVSYNC_WORKER_READER_H_INCLUDED


#include "invsync_call.h"


#define INVSYNC_READER_KEY_LEN     512
#define INVSYNC_READER_ALARM       5        /* failures before the exception */
#define INVSYNC_READER_LEASE_MS    60000    /* a claimed member's hold */
#define INVSYNC_READER_SCAN_MS     20       /* the due set read at most every */
#define INVSYNC_READER_TIMEOUT_MS  10000
#define INVSYNC_READER_BACKOFF_MS  600000   /* the longest backoff */


typedef struct invsync_reader_ops_s  invsync_reader_ops_t;


/* one channel's read in hand */
typedef struct {
    const invsync_reader_ops_t    *ops;
    const invsync_channel_conf_t  *conf;
    const invsync_channel_t       *ch;
    char                          *credentials;
    char                           account[256];
    invsync_call_t                 call;
    int                            busy;
    char                           member[INVSYNC_READER_KEY_LEN];
    const char                    *id;        /* in member, after "<ch>:" */
    json_t                        *held;      /* the reader's, for this
                                               * read; freed by the engine */
    int64_t                        not_before_ms;
} invsync_readchan_t;


typedef struct {
    const invsync_reader_ops_t    *ops;
    invsync_readchan_t             chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
    int64_t                        next_scan_ms;
} invsync_reader_t;


/*
 * A reader's specifics.  Hooks answer 0, or -1 when the Redis session was
 * lost, unless said otherwise.
 */
struct invsync_reader_ops_s {
    const char  *what;          /* "refunds": logs "refunds not read" */
    const char  *id_field;      /* the logs' name for rc->id: "order" */
    size_t       member_max;    /* longer members are left alone */
    size_t       resp_max;      /* the answer's largest size */
    unsigned     jitter:1;      /* the backoff drawn in [d/2, d] */

    size_t (*due_key)(char *dst, size_t cap, const invsync_conf_t *conf);
    int    (*can)(const invsync_channel_t *ch);

    /* after the claim, before the request (NULL: none): 1 ask, 0 not
     * (the reader did what it takes), -1 on Redis */
    int    (*claimed)(invsync_worker_t *w, invsync_readchan_t *rc);
    /* 0 built, -1 the channel cannot be asked for it */
    int    (*build)(invsync_readchan_t *rc, invsync_request_t *rq);
    /* build said -1: what happens to the member */
    int    (*unasked)(invsync_worker_t *w, invsync_readchan_t *rc);
    invsync_channel_rc_e (*parse)(invsync_readchan_t *rc,
                                  const invsync_answer_t *a, json_t **out,
                                  int64_t *delay_ms);
    /* a DONE answer's out (may be NULL) onto its stream; the reader
     * calls invsync_reader_read or invsync_reader_failed */
    int    (*answer)(invsync_worker_t *w, invsync_readchan_t *rc,
                     json_t *out);
    /* one more failure counted: the count (1 the first), -1 on Redis */
    int64_t (*count)(invsync_worker_t *w, invsync_readchan_t *rc);
    /* the member read: the reader's own state of it gone, its exception
     * resolved; the engine then takes it off the due set */
    int    (*forget)(invsync_worker_t *w, invsync_readchan_t *rc);
    /* the give-up exception, at the alarm-th failure */
    int    (*alarm)(invsync_worker_t *w, invsync_readchan_t *rc,
                    const char *why, int64_t n);
};


int invsync_reader_init(invsync_worker_t *w, invsync_reader_t *t,
    const invsync_reader_ops_t *ops);
void invsync_reader_free(invsync_worker_t *w, invsync_reader_t *t);
int invsync_reader_step(invsync_worker_t *w, invsync_reader_t *t);

/* the member read: forget, then off the due set */
int invsync_reader_read(invsync_worker_t *w, invsync_readchan_t *rc);
/* a read that failed: counted, due again after delay (0: the backoff),
 * the alarm at the INVSYNC_READER_ALARM-th in a row */
int invsync_reader_failed(invsync_worker_t *w, invsync_readchan_t *rc,
    const char *why, int64_t delay);
/* ZADD XX CH at member on the due set: 1 changed, 0 not, -1 on Redis */
int invsync_reader_due(invsync_worker_t *w, const invsync_reader_ops_t *ops,
    const char *member, int64_t at);
/* the exception's common fields filled and opened; 0, or -1 on Redis */
int invsync_reader_open(invsync_worker_t *w, invsync_readchan_t *rc,
    invsync_exception_t *x);


#endif /* INVSYNC_WORKER_READER_H_INCLUDED */
