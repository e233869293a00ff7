
/*
 * shipment.confirm: a 3PL's shipment notice (a canonical "shipment"
 * event, from the 3PL's webhook) confirms the shipment it names,
 * through invsync_shipment_confirm(), the same step the ask-again path
 * and `invsyncctl ship` take, which ships a shipment exactly once: a
 * notice sent twice, with one webhook-id (a duplicate at nginx) or two,
 * or after the GET found it shipped, confirms nothing more.
 *
 * The notice must come from the account of the shipment's location: a
 * 3PL cannot confirm another's shipments.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"
#include "fulfil/invsync_fulfil.h"


static const char *invsync_fulfil_3pl_account(invsync_worker_t *w,
    const char *id, char *location, size_t cap, int *lost);


invsync_act_rc_e
invsync_fulfil_3pl_confirm(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int          lost;
    char         loc[128];
    const char  *id, *acct;

    id = invsync_action_str(canon, "shipment");

    if (id == NULL || id[0] == '\0') {
        snprintf(err, len, "a shipment notice without its shipment");
        return INVSYNC_ACT_POISON;
    }

    if (!json_is_true(json_object_get(canon, "shipped"))) {
        snprintf(err, len, "shipment \"%.200s\" is not shipped yet (%.40s)",
                 id, invsync_action_str(canon, "status")
                     ? invsync_action_str(canon, "status") : "no status");
        return INVSYNC_ACT_IGNORED;
    }

    acct = invsync_fulfil_3pl_account(w, id, loc, sizeof(loc), &lost);

    if (lost) {
        snprintf(err, len, "redis: the shipment could not be read");
        return INVSYNC_ACT_RETRY;
    }

    if (acct == NULL || strcmp(acct, ev->channel) != 0) {
        snprintf(err, len, "shipment \"%.200s\" is not one of channel "
                 "\"%.64s\"'s 3PL locations (%s)", id, ev->channel,
                 loc[0] ? loc : "no such shipment");
        return INVSYNC_ACT_POISON;
    }

    return invsync_shipment_confirm(w, id,
                                    invsync_action_str(canon, "carrier"),
                                    invsync_action_str(canon, "service"),
                                    invsync_action_str(canon, "tracking"),
                                    invsync_action_str(canon,
                                                       "tracking_url"),
                                    err, len);
}


/* the 3PL account (fulfilment.channel) of the shipment's location */
static const char *
invsync_fulfil_3pl_account(invsync_worker_t *w, const char *id,
    char *location, size_t cap, int *lost)
{
    char                       key[INVSYNC_ACTION_KEY_LEN];
    redisReply                *r;
    const char                *argv[4];
    const invsync_location_t  *loc;

    *lost = 0;
    location[0] = '\0';
    invsync_key_shipment(key, sizeof(key), w->conf, id);
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "location";
    argv[3] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        *lost = 1;
        return NULL;
    }

    if (r->type == REDIS_REPLY_STRING) {
        snprintf(location, cap, "%s", r->str);
    }

    freeReplyObject(r);

    loc = w->conf->routing && location[0]
          ? invsync_routing_location(w->conf->routing, location) : NULL;

    if (loc == NULL || loc->kind != INVSYNC_LOC_3PL) {
        return NULL;
    }

    return json_string_value(json_object_get(loc->fulfilment, "channel"));
}
