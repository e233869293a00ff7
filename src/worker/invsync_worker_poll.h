
/*
 * Between the order backfill poller's files (invsync_worker_poll*.c): its
 * limits, its state per channel, and the order writer the rounds call.
 */


#ifndef INVSYNC_WORKER_POLL_H_INCLUDED
#define INVSYNC_WORKER_POLL_H_INCLUDED


#include "invsync_call.h"


#define INVSYNC_KEY_LEN          512
#define INVSYNC_POLL_TIMEOUT_MS  5000
#define INVSYNC_POLL_RESP_MAX    (32 * 1024 * 1024)
#define INVSYNC_POLL_OVERLAP_MS  60000   /* clock skew, same-second edits */
#define INVSYNC_POLL_MAX_PAGES   100
#define INVSYNC_POLL_POLLED_TTL  "86400"


/* what one round found */
typedef struct {
    int64_t                        newest_ms;   /* -1: no order seen */
    long                           seen;
    long                           added;
    long                           pages;
    int                            incomplete;  /* an order not added */
} invsync_poll_round_t;


typedef struct {
    const invsync_channel_conf_t  *conf;        /* borrowed from w->conf */
    const invsync_channel_t       *ch;
    char                          *credentials; /* owned, wiped on free */
    char                           account[256];
    invsync_call_t                 call;        /* a page in flight */
    invsync_page_t                 page;
    int                            round;       /* a round is under way */
    int64_t                        next_ms;     /* the next round */
    int64_t                        page_ms;     /* the round's next page */
    int64_t                        begun_ms;    /* the round began */
    int64_t                        wait_ms;     /* the channel asked to
                                                 * wait until then */
    int64_t                        mark_ms;     /* -1: none yet */
    int                            failures;
    invsync_poll_round_t           rd;
} invsync_pollchan_t;


typedef struct invsync_poll_s {
    invsync_pollchan_t             chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
} invsync_poll_t;


/* invsync_worker_poll_order.c */
int invsync_poll_order(invsync_worker_t *w, invsync_pollchan_t *pc,
    json_t *order);
int invsync_poll_token(const char *s);

/* invsync_worker_poll_held.c */
int invsync_poll_release(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t begun_ms);


#endif /* INVSYNC_WORKER_POLL_H_INCLUDED */
