
/*
 * After the shipments of a routed order are open: those the buyer has
 * already (a counter sale's, kind counter) and those with nothing to put
 * in a parcel (every line requires no shipping, kind digital) are
 * confirmed at once, through ship_confirm.lua like any other: the ledger's
 * ship movement at their location, keyed by the shipment
 * (done:ledger:ship:<id>), the reservation released, no label, nothing
 * told to the channel (docs/fulfilment.md, "Handed over at the
 * location").  Run on every delivery of the order, so a crash between
 * the opening and the confirm is mended by the next; twice is once.
 * Only orders that can have such shipments pay its round trips.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_route_run.h"
#include "fulfil/invsync_fulfil.h"


static int invsync_route_handover_needed(const invsync_route_input_t *in);


invsync_act_rc_e
invsync_route_handover(invsync_worker_t *w, const invsync_route_input_t *in,
    char *err, size_t len)
{
    char               set[INVSYNC_ACTION_KEY_LEN], key[INVSYNC_ACTION_KEY_LEN];
    size_t             i;
    redisReply        *ids, *s;
    const char        *argv[6], *id;
    invsync_act_rc_e   rc, r;

    if (in == NULL || !invsync_route_handover_needed(in)) {
        return INVSYNC_ACT_APPLIED;
    }

    invsync_key_shipments(set, sizeof(set), w->conf, in->order_key);
    argv[0] = "SMEMBERS";
    argv[1] = set;
    argv[2] = NULL;
    ids = invsync_redis_cmdv(w, argv);

    if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(ids);
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    rc = INVSYNC_ACT_APPLIED;

    for (i = 0; rc == INVSYNC_ACT_APPLIED && i < ids->elements; i++) {
        id = ids->element[i]->str;
        invsync_key_shipment(key, sizeof(key), w->conf, id);
        argv[0] = "HMGET";
        argv[1] = key;
        argv[2] = "kind";
        argv[3] = "state";
        argv[4] = NULL;
        s = invsync_redis_cmdv(w, argv);

        if (s == NULL || s->type != REDIS_REPLY_ARRAY || s->elements != 2) {
            freeReplyObject(s);
            snprintf(err, len, "redis connection lost");
            rc = INVSYNC_ACT_RETRY;
            break;
        }

        if (s->element[0]->type == REDIS_REPLY_STRING
            && s->element[1]->type == REDIS_REPLY_STRING
            && strcmp(s->element[1]->str, "open") == 0
            && (strcmp(s->element[0]->str, "counter") == 0
                || strcmp(s->element[0]->str, "digital") == 0))
        {
            r = invsync_shipment_confirm(w, id, s->element[0]->str, NULL,
                                         NULL, NULL, err, len);
            rc = r == INVSYNC_ACT_DUPLICATE ? INVSYNC_ACT_APPLIED : r;
        }

        freeReplyObject(s);
    }

    freeReplyObject(ids);

    return rc;
}


/* a counter sale, or a line that requires no shipping */

static int
invsync_route_handover_needed(const invsync_route_input_t *in)
{
    size_t  i;

    if (in->order.mode == INVSYNC_ROUTE_COUNTER) {
        return 1;
    }

    for (i = 0; i < in->order.nlines; i++) {
        if (in->order.lines[i].no_parcel) {
            return 1;
        }
    }

    return 0;
}
