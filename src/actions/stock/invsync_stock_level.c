
/*
 * The inventory.observe row: each level a stock notice tells of decided
 * (invsync_stock_observe.c) and recorded with its decision.  A notice of
 * one level is the event itself; a notice of several lists them in
 * "levels" (docs/events.md), and each is judged and audited on its own,
 * as if it had come alone: one audit entry, one state (per item and
 * location) and at most one correction per level.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


static invsync_act_rc_e invsync_stock_level_one(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, long part, char *err,
    size_t len);


/*
 * The row.  The event's result is APPLIED when any level's is, an
 * EXCEPTION when any needs a person, else the first level's; a RETRY or
 * POISON stops the walk (a retry finds the levels done before it applied
 * once already: each has its own done key).
 */

invsync_act_rc_e
invsync_stock_level(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    size_t             i;
    json_t            *levels, *level, *one;
    invsync_act_rc_e   rc, r;

    levels = json_object_get(canon, "levels");

    if (json_array_size(levels) == 0) {
        return invsync_stock_level_one(w, ev, canon, -1, err, len);
    }

    rc = INVSYNC_ACT_IGNORED;

    json_array_foreach(levels, i, level) {
        /* the level as the event of a notice of that one level */
        one = json_deep_copy(canon);

        if (one == NULL || json_object_del(one, "levels") != 0
            || !json_is_object(level) || json_object_update(one, level) != 0)
        {
            json_decref(one);
            snprintf(err, len, "out of memory");
            return INVSYNC_ACT_RETRY;
        }

        r = invsync_stock_level_one(w, ev, one, (long) i, err, len);
        json_decref(one);

        if (r == INVSYNC_ACT_RETRY || r == INVSYNC_ACT_POISON) {
            return r;
        }

        if (i == 0 || r == INVSYNC_ACT_EXCEPTION
            || (r == INVSYNC_ACT_APPLIED && rc != INVSYNC_ACT_EXCEPTION))
        {
            rc = r;
        }
    }

    return rc;
}


/*
 * One level: what the channel shows decided (invsync_stock_observe() sets
 * canon's decision, delta and sku), then recorded with that decision.
 * part is the level's place in a notice of several, -1 for a notice of
 * one.  The first level is done under the notice's own done key, each
 * other under the notice's and its place ("#<part>"); the inputs of a
 * level of several name its place and what it is matched by.
 */

static invsync_act_rc_e
invsync_stock_level_one(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, long part, char *err, size_t len)
{
    char               state[INVSYNC_KEY_LEN], at[32];
    char               refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    size_t             n;
    json_t            *inputs;
    const char        *decision;
    invsync_effect_t   fx;
    invsync_act_rc_e   rc;

    rc = invsync_stock_observe(w, ev, canon, part > 0 ? (size_t) part : 0,
                               err, len);

    if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
        return rc;
    }

    decision = invsync_action_str(canon, "decision");

    inputs = json_object();
    json_object_set(inputs, "decision", json_object_get(canon, "decision"));
    json_object_set(inputs, "delta", json_object_get(canon, "delta"));

    /* which location it was, and what it is to the ledger */
    if (strcmp(decision, "other_location") == 0) {
        json_object_set(inputs, "location_id",
                        json_object_get(canon, "location_id"));
        json_object_set(inputs, "ledger_location",
                        json_object_get(canon, "ledger_location"));
    }

    /* the state the channel named, and where */
    if (strcmp(decision, "not_available") == 0) {
        json_object_set(inputs, "channel_state",
                        json_object_get(canon, "channel_state"));
        json_object_set(inputs, "location_id",
                        json_object_get(canon, "location_id"));
    }

    /*
     * The level's state is named by what the level is matched by (its
     * first ref, "item:<id>", "variation:<id>") and its location: one
     * state per item and location, whatever the channel calls them, so
     * that one item's version is never compared with another's.
     */
    n = invsync_stock_refs(canon, refs);
    snprintf(state, sizeof(state), "inventory:%s:%s:%s", ev->channel,
             n > 0 ? refs[0] : "", invsync_action_str(canon, "location_id"));

    /* which level of a notice of several, and of which item */
    if (part >= 0) {
        json_object_set_new(inputs, "part", json_integer(part));
        json_object_set_new(inputs, "ref",
                            n > 0 ? json_string(refs[0]) : json_null());
    }

    memset(&fx, 0, sizeof(invsync_effect_t));
    fx.action = "inventory.observe";

    if (part > 0) {
        snprintf(at, sizeof(at), "%ld", part);
        fx.part = at;
    }

    /*
     * A held notice moves no state: it is decided when handed back.  Nor
     * does a count of another state than the one on sale: its version is
     * not the available quantity's.
     */
    if (strcmp(decision, "held") != 0
        && strcmp(decision, "not_available") != 0)
    {
        fx.state = state;
        fx.version = invsync_action_int(canon, "updated_ms", -1);

    } else {
        fx.version = -1;
    }

    json_object_set(inputs, "available", json_object_get(canon, "available"));
    fx.inputs = inputs;

    rc = invsync_action_apply(w, ev, canon, &fx, err, len);
    json_decref(inputs);

    return rc;
}
