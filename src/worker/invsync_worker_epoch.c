
/*
 * The deployment's epoch as the worker sees it (docs/keys.md, "The
 * epoch"; docs/operations.md, "Redis that comes back empty").  The worker
 * learns it at its first session (making it if there is none yet), then
 * checks it at every session and heartbeat.  Missing or changed, Redis
 * lost what invsync wrote: the worker stops acting (no reads, claims,
 * acknowledgements, pushes or polls, and it never creates its groups
 * again), says so once at error and in its heartbeat, and checks again at
 * each interval; the epoch back (Redis restored), it resumes.  An operator
 * who accepts the empty state runs invsyncctl epoch reset and restarts the
 * workers, which then learn the new epoch.  With redis.epoch "require" a
 * worker never makes the epoch: one that starts on an empty Redis halts
 * too, until invsyncctl epoch init (or reset) made it.
 */


#include <stdio.h>
#include <string.h>
#include <time.h>

#include "invsync_worker_consumer.h"


static void invsync_epoch_halt(invsync_worker_t *w, const char *why);


/* 0: the epoch is the known one; 1: halted; -1: the session was lost */

int
invsync_worker_epoch(invsync_worker_t *w)
{
    int          known;
    char         want[INVSYNC_EPOCH_MAX + 1];
    redisReply  *r;

    known = w->epoch[0] != '\0';

    if (!known && invsync_epoch_new(want, 0) != 0) {
        invsync_log(INVSYNC_LOG_ERROR, "no random bytes for an epoch", NULL);
        return -1;
    }

    r = invsync_epoch_call(w, known ? "check"
                              : (w->conf->epoch_require ? "adopt" : "create"),
                           known ? w->epoch : want, 0);
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_NIL) {
        freeReplyObject(r);
        invsync_epoch_halt(w, known ? "epoch missing"
                              : "epoch missing, and redis.epoch is "
                                "\"require\" (a new deployment: "
                                "invsyncctl epoch init)");
        return 1;
    }

    if (r->type != REDIS_REPLY_STRING || r->len == 0
        || r->len >= sizeof(w->epoch))
    {
        invsync_log(INVSYNC_LOG_ERROR, "the epoch call failed",
                    json_pack("{s:s}", "err", r->type == REDIS_REPLY_ERROR
                                              ? r->str : "bad reply"));
        freeReplyObject(r);
        invsync_redis_close(w);
        return -1;
    }

    if (known && (strlen(w->epoch) != r->len
                  || memcmp(w->epoch, r->str, r->len) != 0))
    {
        freeReplyObject(r);
        invsync_epoch_halt(w, "epoch changed");
        return 1;
    }

    if (!known) {
        memcpy(w->epoch, r->str, r->len);
        w->epoch[r->len] = '\0';
        invsync_log(INVSYNC_LOG_INFO, "epoch",
                    json_pack("{s:s}", "epoch", w->epoch));
    }

    freeReplyObject(r);

    if (w->halted != NULL) {
        invsync_log(INVSYNC_LOG_WARN, "epoch found again: redis restored, "
                    "resuming", json_pack("{s:s}", "epoch", w->epoch));
        w->halted = NULL;
    }

    return 0;
}


static void
invsync_epoch_halt(invsync_worker_t *w, const char *why)
{
    if (w->halted != NULL && strcmp(w->halted, why) == 0) {
        return;
    }

    w->halted = why;

    invsync_log(INVSYNC_LOG_ERROR, "redis lost its data: halted",
                json_pack("{s:s, s:s, s:s}", "reason", why,
                          "epoch", w->epoch,
                          "recovery", "restore redis (the worker resumes "
                          "by itself), or accept the empty state: "
                          "invsyncctl epoch reset, reload nginx, restart "
                          "the workers, then invsyncctl reconcile and a "
                          "backfill window (docs/operations.md)"));
}


/*
 * A turn while halted: nothing is read or done; at each heartbeat
 * interval the epoch is checked again and the heartbeat says "halted".
 * Once the epoch is back, the session is set up as after a connection
 * (groups, scripts, own pending entries first).
 */

void
invsync_worker_halted_turn(invsync_worker_t *w)
{
    char             err[INVSYNC_ERR_LEN];
    int64_t          now, wait;
    struct timespec  ts;

    now = invsync_now_ms();

    if (now >= w->next_heartbeat_ms) {
        w->next_heartbeat_ms = now + w->conf->heartbeat_ms;

        if (invsync_worker_epoch(w) == 0) {
            if (invsync_consumer_setup(w, err, sizeof(err)) != 0) {
                invsync_log(INVSYNC_LOG_ERROR, "redis session failed, "
                            "retrying", json_pack("{s:s}", "err", err));
                invsync_redis_close(w);
            }

            return;
        }

        invsync_consumer_heartbeat(w, 0);
        now = invsync_now_ms();
    }

    /* a signal ends the sleep early: SIGTERM is seen at once */
    wait = w->next_heartbeat_ms - now;
    wait = wait < 0 ? 0 : (wait > 1000 ? 1000 : wait);
    ts.tv_sec = wait / 1000;
    ts.tv_nsec = (wait % 1000) * 1000000;
    (void) nanosleep(&ts, NULL);
}
