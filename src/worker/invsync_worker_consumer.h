
/*
 * The consumer loop's jobs, one file each: read and acknowledge
 * (invsync_worker_consumer.c), retry and dead letters (_retry.c), claim
 * (_claim.c), trim (_trim.c), latency (_latency.c), lag (_lag.c), the
 * heartbeat (_heartbeat.c), the wait for entries and transfers (_wait.c),
 * and what they share (_stream.c).  Private to
 * src/worker; the worker's entry points are in invsync_runtime.h.
 */


#ifndef INVSYNC_WORKER_CONSUMER_H_INCLUDED
#define INVSYNC_WORKER_CONSUMER_H_INCLUDED


#include "invsync_runtime.h"


#define INVSYNC_KEY_LEN  512


/* invsync_worker_consumer.c: XREADGROUP ">" or "0" (block_ms < 0: no
 * BLOCK), and the entries read (retried: a retry or a claim) */
int invsync_consumer_read(invsync_worker_t *w, const char *from,
    int block_ms);
int invsync_consumer_entries(invsync_worker_t *w, size_t si,
    redisReply *entries, int retried);

/* invsync_worker_wait.c: the new entries, or a wait for them and for
 * curl's transfers */
int invsync_consumer_next(invsync_worker_t *w);

/* invsync_worker_retry.c */
int invsync_consumer_fail(invsync_worker_t *w, size_t si, redisReply *entry,
    const invsync_envelope_t *ev, const char *why, int poison);
int invsync_consumer_dead(invsync_worker_t *w, size_t si, redisReply *entry,
    const invsync_envelope_t *ev, const char *why, long attempts);
int invsync_consumer_forget(invsync_worker_t *w, size_t si, const char *id);
int invsync_consumer_retries(invsync_worker_t *w);

/* invsync_worker_claim.c */
int invsync_consumer_claim(invsync_worker_t *w);

/* invsync_worker_trim.c */
int invsync_consumer_trim(invsync_worker_t *w);

/* invsync_worker_metrics.c: the heartbeat's figures for Prometheus */
json_t *invsync_metrics_streams(invsync_worker_t *w);
json_t *invsync_metrics_push(invsync_worker_t *w);
json_t *invsync_metrics_cluster(invsync_worker_t *w);

/* invsync_worker_lag.c */
void invsync_consumer_lag(invsync_worker_t *w);

/* invsync_worker_stream.c */
void invsync_envelope_from(redisReply *fields, size_t si, invsync_worker_t *w,
    const char *id, invsync_envelope_t *ev);
size_t invsync_stream_key(invsync_worker_t *w, size_t si, char *dst,
    size_t cap);
int invsync_stream_index(invsync_worker_t *w, const char *name, size_t len);
/* a command; a lost session is logged and closed (NULL) */
redisReply *invsync_cmd(invsync_worker_t *w, const char *fmt, ...);


#endif /* INVSYNC_WORKER_CONSUMER_H_INCLUDED */
