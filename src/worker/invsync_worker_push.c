
/*
 * The stock pusher; see invsync_worker_push.h.  Each turn of the worker's
 * loop: completed requests are recorded (push.lua: what the channel now
 * shows, with the audit entry), and every idle channel whose rate limit
 * allows takes a batch of its dirty SKUs, computes what it should show now
 * and sends only what differs.  Dirty sets coalesce: a SKU moved ten times
 * before its turn is pushed once, with its newest value.  The channel's
 * read-back passes (src/runtime/invsync_reconcile.c) go through the same
 * curl multi, taking turns with the pushes of their channel.  The channel
 * table says which channels can push and how their requests look.
 *
 * This file runs the pusher's turns; what a push sends and what its answer
 * does are the files beside it (invsync_worker_push_send.c, _answer.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_push.h"
#include "invsync_worker_fulfil.h"


static int invsync_push_read(invsync_worker_t *w, invsync_pushchan_t *pc,
    int64_t now);
static int invsync_push_readback(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);


int
invsync_push_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_push_t                *p;
    invsync_pushchan_t            *pc;
    const invsync_channel_t       *ch;
    const invsync_channel_conf_t  *cc;

    p = calloc(1, sizeof(invsync_push_t));
    if (p == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];
        ch = invsync_channel_find(cc->type);

        /* a channel without an API is only listened to */
        if (cc->api_base == NULL || !invsync_channel_can(ch, push_build)) {
            continue;
        }

        pc = &p->chans[p->nchans++];
        pc->conf = cc;
        pc->ch = ch;
        pc->credentials = invsync_channel_credentials(cc->credentials_file);
        pc->read_turn = 1;
        invsync_call_init(&pc->call, ch, cc, pc->credentials);

        if (invsync_reconcile_supported(cc)) {
            pc->recon = invsync_reconcile_new(cc, pc->credentials,
                                              w->conf->consumer);

            if (pc->recon == NULL) {
                w->push = p;
                invsync_push_free(w);
                snprintf(err, len, "out of memory");
                return -1;
            }
        }
    }

    w->push = p;

    return 0;
}


void
invsync_push_free(invsync_worker_t *w)
{
    size_t           i;
    invsync_push_t  *p = w->push;

    if (p == NULL) {
        return;
    }

    for (i = 0; i < p->nchans; i++) {
        /*
         * A push in flight may or may not have reached the channel: its
         * SKUs go back to the dirty set (their shown value is not updated,
         * so the next pusher sends them again; values are absolute).
         * Without Redis they stay for the reconciliation pass to find.
         */
        if (p->chans[i].nitems > 0 && w->redis != NULL) {
            (void) invsync_push_giveback(w, &p->chans[i], 0);
        }

        invsync_push_release(w, &p->chans[i]);

        if (p->chans[i].recon != NULL) {
            /* a pass cut short here is begun anew at a later turn */
            invsync_reconcile_free(w, p->chans[i].recon);
        }

        invsync_channel_credentials_free(p->chans[i].credentials);
    }

    free(p);
    w->push = NULL;
}


/*
 * One turn; -1 when the Redis session was lost.  Leaves in w->busy_ms how
 * soon the loop should come back (0: nothing in flight or waiting).
 */

int
invsync_push_step(invsync_worker_t *w)
{
    int                  running, busy, rc, read;
    size_t               i;
    int64_t              now;
    invsync_push_t      *p = w->push;
    invsync_pushchan_t  *pc;

    w->push_ms = invsync_now_ms();

    /* every ended request of the multi: pushes, reads, polls */
    if (invsync_calls_step(w) != 0) {
        return -1;
    }

    /* an order poll's pages are on the multi too */
    busy = invsync_poll_busy(w) || invsync_fulfil_busy(w) ? 2 : 0;

    if (p == NULL || p->nchans == 0) {
        w->busy_ms = busy;
        return 0;
    }
    read = 0;
    now = invsync_now_ms();

    for (i = 0; i < p->nchans; i++) {
        pc = &p->chans[i];

        if (pc->call.inflight
            || (pc->recon != NULL
                && pc->recon->state == INVSYNC_RECONCILE_FLIGHT))
        {
            busy = 2;
            continue;
        }

        if (now < pc->not_before_ms) {
            if (busy == 0 || busy > 20) {
                busy = 20;
            }

            continue;
        }

        /*
         * A read of the channel and its pushes take turns, one request at
         * a time: a push acknowledged while its SKU is read would make the
         * read look like a drift, and reads and pushes share the channel's
         * rate limit.  One read starts per call at most.
         */
        if (pc->read_turn && !read) {
            rc = invsync_push_read(w, pc, now);

            if (rc < 0) {
                return -1;
            }

            if (rc > 0) {
                pc->read_turn = 0;
                read = 1;
                busy = 2;
                continue;
            }
        }

        rc = invsync_push_start(w, pc);

        if (rc < 0) {
            return -1;
        }

        pc->read_turn = 1;

        if (rc > 0) {
            busy = 2;

        } else if (pc->recon != NULL
                   && pc->recon->state == INVSYNC_RECONCILE_READY
                   && (busy == 0 || busy > 20))
        {
            /* a pass waits for its channel's bucket or backoff */
            busy = 20;
        }
    }

    if (busy == 2) {
        curl_multi_perform(w->multi, &running);
    }

    w->busy_ms = busy;

    return 0;
}


/*
 * The read-back pass of a channel (the safety net: a change the channel
 * made and never told, a lost webhook, one deduplicated with an identical
 * earlier one) every limits.reconcile_s, a page a request.  Its requests
 * go through the pusher's multi rather than blocking the loop as the
 * order poller's do: a pass reads every mapped SKU, so it has many pages,
 * and each may wait for the channel's rate limit; none of that may hold
 * the consumer's entries back.  1 a request went out, 0 none, -1 Redis
 * lost.
 */

static int
invsync_push_read(invsync_worker_t *w, invsync_pushchan_t *pc, int64_t now)
{
    int                   rc;
    int64_t               interval;
    invsync_reconcile_t  *r = pc->recon;

    interval = w->conf->reconcile_s * 1000;

    if (r == NULL || interval == 0) {
        return 0;
    }

    if (r->state == INVSYNC_RECONCILE_OVER) {
        if (now < pc->recon_next_ms) {
            return 0;
        }

        pc->recon_next_ms = now + interval;

        /* the lock outlives the pass: the other workers skip this turn */
        rc = invsync_reconcile_begin(w, r, interval * 9 / 10, 0);

        if (rc <= 0) {
            return rc;
        }
    }

    return invsync_reconcile_next(w, r, invsync_push_readback, pc);
}


static int
invsync_push_readback(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code)
{
    invsync_pushchan_t   *pc = c->owner;
    invsync_reconcile_t  *r = pc->recon;

    if (invsync_reconcile_done(w, r, code) != 0) {
        return -1;
    }

    /* the channel asked to wait: its pushes wait too */
    if (r->throttled && r->not_before_ms > pc->not_before_ms) {
        pc->not_before_ms = r->not_before_ms;
    }

    return 0;
}


void
invsync_push_release(invsync_worker_t *w, invsync_pushchan_t *pc)
{
    size_t  i;

    invsync_call_release(w, &pc->call);

    for (i = 0; i < pc->nitems; i++) {
        json_decref(pc->items[i].ref);
        pc->items[i].ref = NULL;
    }

    pc->nitems = 0;
}
