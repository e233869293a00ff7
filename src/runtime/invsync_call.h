
/*
 * One request of a channel's, sent by an engine on a libcurl multi: the
 * channel's build operation fills c->rq, invsync_call_start() authorizes
 * it and makes the transfer, invsync_call_verdict() reads the answer with
 * the one policy every channel shares (transport errors, HTTP 429 and
 * Retry-After, 5xx) before the channel's parse operation sees it.
 */


#ifndef INVSYNC_CALL_H_INCLUDED
#define INVSYNC_CALL_H_INCLUDED


#include <curl/curl.h>

#include "invsync_runtime.h"


#define INVSYNC_CALL_TIMEOUT_MS    10000
#define INVSYNC_CALL_HEADER_MAX    16384  /* longest answer header kept */
#define INVSYNC_CALL_THROTTLE_MS   2000   /* 429 without Retry-After */
#define INVSYNC_CALL_DELAY_MAX_MS  3600000


typedef struct invsync_call_s  invsync_call_t;

/* called once when the call's transfer ended; -1: the Redis session was
 * lost (the engine's step ends) */
typedef int (*invsync_call_done_pt)(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);

struct invsync_call_s {
    const invsync_channel_t  *ch;
    invsync_channel_ctx_t     ctx;
    invsync_request_t         rq;
    CURL                     *easy;           /* in flight, or NULL */
    struct curl_slist        *headers;
    char                     *body;           /* the answer's, capped */
    size_t                    len;
    size_t                    max;
    char                      retry_after[32];
    char                     *values[INVSYNC_ANSWER_HEADERS];
    unsigned                  cut;            /* bit i: values[i] too long */
    int                       inflight;       /* easy is on the multi */
    invsync_call_done_pt      done;
    void                     *owner;          /* the engine's */
};


void invsync_call_init(invsync_call_t *c, const invsync_channel_t *ch,
    const invsync_channel_conf_t *cc, const char *credentials);
/* the request in c->rq, authorized, as a new easy handle, sent on the
 * worker's multi (w->multi); done and owner are the caller's: 0, or -1
 * (out of memory, or authorize refused; nothing was sent) */
int invsync_call_start(invsync_worker_t *w, invsync_call_t *c, size_t max,
    long timeout_ms, invsync_call_done_pt done, void *owner);
/* the transfers of w->multi go on; each that ended has its done called
 * (the handle is off the multi then).  -1 when a done returned -1 */
int invsync_calls_step(invsync_worker_t *w);
/* as _step(), after waiting up to timeout_ms for one to move (a program
 * with nothing else to do meanwhile: invsyncctl) */
int invsync_calls_wait(invsync_worker_t *w, int timeout_ms);
/*
 * The ended transfer: DONE when the channel's parse is to read *a (valid
 * until invsync_call_release()), else RETRY (why says what failed) or
 * THROTTLED (*delay_ms from Retry-After).
 */
invsync_channel_rc_e invsync_call_verdict(invsync_call_t *c, CURLcode code,
    invsync_answer_t *a, int64_t *delay_ms, char *why, size_t len);
/* the request, the handle (taken off the multi if in flight), answer */
void invsync_call_release(invsync_worker_t *w, invsync_call_t *c);
/* Retry-After, seconds or an HTTP date, as milliseconds from now; 0 when
 * absent or malformed */
int64_t invsync_call_retry_after_ms(const char *v);

#endif /* INVSYNC_CALL_H_INCLUDED */
