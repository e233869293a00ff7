
/*
 * Which due shipments the track driver's slots take (invsync_worker_track.c
 * runs them): a free slot of the shipment's channel, never two slots on
 * one order, and the claim itself (ship_claim.lua) that holds a shipment
 * for one slot of one worker for a lease.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_track.h"
#include "invsync_ship.h"


/* a window of due members is claimed in one call */
_Static_assert(INVSYNC_TRACK_WINDOW <= INVSYNC_SHIP_CLAIM_MAX,
               "claim window too large");


static invsync_trackslot_t *invsync_track_free_slot(invsync_trackchan_t *tc,
    const char *id);
static int invsync_track_aside(invsync_worker_t *w, const char *id,
    int64_t until);


/*
 * Of the due members, those a free slot of their channel takes: their
 * number (picks[i] the slot of ids[i], marked picked), -1 lost.  A
 * member of a channel no longer configured is set aside for an hour (a
 * reload may bring it back).
 */

int
invsync_track_pick(invsync_worker_t *w, invsync_track_t *t, redisReply *due,
    int64_t now, invsync_trackslot_t **picks, const char **ids)
{
    size_t                i, j, n, len;
    const char           *id;
    invsync_trackchan_t  *tc;
    invsync_trackslot_t  *ts;

    n = 0;

    for (i = 0; due->type == REDIS_REPLY_ARRAY && i < due->elements
                && n < INVSYNC_TRACK_WINDOW; i++)
    {
        id = due->element[i]->str;
        tc = NULL;

        for (j = 0; j < t->nchans; j++) {
            len = strlen(t->chans[j].conf->id);

            if (strncmp(id, t->chans[j].conf->id, len) == 0
                && id[len] == ':')
            {
                tc = &t->chans[j];
                break;
            }
        }

        if (tc == NULL) {
            if (invsync_track_aside(w, id, now + 3600000) < 0) {
                return -1;
            }
            continue;
        }

        /* a channel without tracking: its shipments stay shipped */
        if (tc->nslots == 0) {
            if (invsync_track_aside(w, id, 0) < 0) {
                return -1;
            }
            continue;
        }

        if (now < tc->not_before_ms || now < invsync_track_push_delay(w, tc)) {
            continue;
        }

        ts = invsync_track_free_slot(tc, id);

        if (ts != NULL) {
            ts->picked = 1;
            picks[n] = ts;
            ids[n++] = id;
        }
    }

    return (int) n;
}


/* a free slot of the channel, none while another holds the same order */

static invsync_trackslot_t *
invsync_track_free_slot(invsync_trackchan_t *tc, const char *id)
{
    int                   k;
    size_t                olen;
    const char           *at;
    invsync_trackslot_t  *free_slot, *ts;

    at = strrchr(id, '@');
    olen = at ? (size_t) (at - id) : strlen(id);
    free_slot = NULL;

    for (k = 0; k < tc->nslots; k++) {
        ts = &tc->slots[k];

        if (ts->busy || ts->picked) {
            if (strncmp(ts->s.id, id, olen) == 0
                && ts->s.id[olen] == '@')
            {
                return NULL;
            }
            continue;
        }

        if (free_slot == NULL) {
            free_slot = ts;
        }
    }

    if (free_slot != NULL) {
        /* the order is known as held before the load writes it */
        snprintf(free_slot->s.id, sizeof(free_slot->s.id), "%s", id);
    }

    return free_slot;
}


/* until 0: off the due set; else due again then.  0, -1 lost */

static int
invsync_track_aside(invsync_worker_t *w, const char *id, int64_t until)
{
    char         key[INVSYNC_KEY_LEN], at[32];
    redisReply  *r;

    invsync_key_track_due(key, sizeof(key), w->conf);
    snprintf(at, sizeof(at), "%lld", (long long) until);

    r = until == 0
        ? invsync_redis_cmdv(w, (const char *[]) { "ZREM", key, id, NULL })
        : invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "XX", at,
                             id, NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* ship_claim.lua: the members still due held for a lease; *out the
 * claimed ones and their scores (or NULL); 0, -1 lost */

int
invsync_track_claim(invsync_worker_t *w, const char **ids, size_t n,
    int64_t now, redisReply **out)
{
    char         key[INVSYNC_KEY_LEN];
    redisReply  *r;

    invsync_key_track_due(key, sizeof(key), w->conf);
    r = invsync_ship_claim(w, key, now, INVSYNC_TRACK_LEASE_MS, ids, n);
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY) {
        invsync_log(INVSYNC_LOG_ERROR, "tracking: claim failed",
                    json_pack("{s:s}", "err", r->type == REDIS_REPLY_ERROR
                                              ? r->str : "not an array"));
        freeReplyObject(r);
        return 0;
    }

    *out = r;

    return 0;
}
