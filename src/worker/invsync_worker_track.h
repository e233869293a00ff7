
/*
 * The track driver's parts (invsync_worker_track.c runs the turns and the
 * requests, invsync_worker_track_record.c what an attempt leaves behind).
 */


#ifndef INVSYNC_WORKER_TRACK_H_INCLUDED
#define INVSYNC_WORKER_TRACK_H_INCLUDED


#include "invsync_worker_push.h"
#include "invsync_shipment.h"


#define INVSYNC_TRACK_ALARM     5       /* failures before the exception */
#define INVSYNC_TRACK_STEPS     12      /* requests an attempt may make */
#define INVSYNC_TRACK_LEASE_MS  60000   /* a claimed shipment's hold */
#define INVSYNC_TRACK_RESP_MAX  (1024 * 1024)
#define INVSYNC_TRACK_SCAN_MS   20      /* the due set read at most every */
#define INVSYNC_TRACK_SWEEP_MS  1000    /* ... and at least every, while a
                                           channel that cannot track may
                                           have shipments in it */
#define INVSYNC_TRACK_WINDOW    256     /* due members read per scan */


typedef struct invsync_trackchan_s  invsync_trackchan_t;


/* one slot: one shipment being told, one request at a time */
typedef struct {
    invsync_trackchan_t           *tc;
    invsync_call_t                 call;
    invsync_shipment_t             s;
    int                            busy;        /* s is being told */
    int                            picked;      /* chosen in this turn */
    int                            steps;
    long                           attempts;    /* failed before this one */
} invsync_trackslot_t;


/* a channel: its slots ("fulfilment.track_slots") share its rate limit */
struct invsync_trackchan_s {
    const invsync_channel_conf_t  *conf;
    const invsync_channel_t       *ch;
    char                          *credentials;
    invsync_trackslot_t           *slots;
    int                            nslots;
    int64_t                        not_before_ms;
};


struct invsync_track_s {
    invsync_trackchan_t            chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
    int64_t                        next_scan_ms;
    int64_t                        next_sweep_ms;  /* for channels that
                                                       cannot track */
};

typedef struct invsync_track_s  invsync_track_t;


/* invsync_worker_track.c: the due set read in the next turn */
void invsync_track_wake(invsync_worker_t *w);

/* invsync_worker_track.c: when the channel's pushes may go on */
int64_t invsync_track_push_delay(invsync_worker_t *w,
    const invsync_trackchan_t *tc);

/* invsync_worker_track_claim.c: the due shipments free slots take (their
 * number, picks[i] the slot of ids[i]), and their claim (*out: the
 * claimed ids and their scores) */
int invsync_track_pick(invsync_worker_t *w, invsync_track_t *t,
    redisReply *due, int64_t now, invsync_trackslot_t **picks,
    const char **ids);
int invsync_track_claim(invsync_worker_t *w, const char **ids, size_t n,
    int64_t now, redisReply **out);

/* invsync_worker_track_record.c: told, or not (refused 1: the channel
 * said no; 0: a failure; -1: throttled, due again after delay) */
int invsync_track_told(invsync_worker_t *w, invsync_trackslot_t *ts);
int invsync_track_failed(invsync_worker_t *w, invsync_trackslot_t *ts,
    const char *why, int refused, int64_t delay);


#endif /* INVSYNC_WORKER_TRACK_H_INCLUDED */
