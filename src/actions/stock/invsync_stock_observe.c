
/*
 * A channel says what it shows now (inventory.observe).  A level at a
 * location of the channel the SKU is not pushed to is not ours: ignored.
 * A value we pushed recently is the echo of our own push: nothing changes
 * (no sync loop).  Anything else is a change made in the channel's admin:
 * taken as a correction of the stock, or overwritten by our value.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_reconcile.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


static int invsync_stock_expected(invsync_worker_t *w,
    const invsync_channel_conf_t *ch, const char *sku, int64_t *qty,
    int *bundle);
static int invsync_stock_here(invsync_worker_t *w,
    const invsync_channel_conf_t *ch, const char *sku, json_t *canon);


/*
 * A channel says what it shows now.  A level at another location than the
 * one the SKU is pushed to there is ignored (other_location): invsync
 * shows a SKU at one location of a channel, and neither compares nor
 * corrects the others.  A value we pushed recently is the echo
 * of our own push: nothing changes (no sync loop).  Anything else is a
 * change made in the channel's admin: taken as a correction of the stock at
 * the channel's location, or ignored and overwritten by our value, per the
 * channel's external_changes rule.  A level the channel says is not of
 * the quantity it sells from (stock_state "other": sold, reserved, in
 * transit...) says nothing of it (not_available).  part is the
 * level's place in its notice (docs/events.md, "levels"): the first's
 * correction has the notice's cause, each other's its own.  Sets canon's
 * decision for the audit.
 */

invsync_act_rc_e
invsync_stock_observe(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, size_t part, char *err, size_t len)
{
    int                            bundle, held;
    char                           sku[256], cause[1024];
    char                           key[INVSYNC_KEY_LEN], buf[64];
    size_t                         i;
    json_t                        *avail, *one;
    int64_t                        shown, seen, expected;
    redisReply                    *r;
    const char                    *argv[4];
    size_t                         argvlen[4];
    invsync_act_rc_e               rc;
    const char                    *orig;
    const invsync_channel_conf_t  *ch;

    ch = invsync_conf_channel(w->conf, ev->channel);
    avail = json_object_get(canon, "available");

    if (strcmp(invsync_action_str(canon, "stock_state"), "other") == 0) {
        json_object_set_new(canon, "decision", json_string("not_available"));
        return INVSYNC_ACT_IGNORED;
    }

    if (!json_is_integer(avail)) {
        json_object_set_new(canon, "decision", json_string("unmanaged"));
        return INVSYNC_ACT_IGNORED;
    }

    seen = json_integer_value(avail);

    /* the level's refs: "item:<id>", "variation:<id>", "product:<id>" */
    switch (invsync_stock_map(w, ev->channel, canon, sku, sizeof(sku))) {
    case -1:
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    case 0:
        json_object_set_new(canon, "decision", json_string("unmapped"));
        return INVSYNC_ACT_IGNORED;
    }

    json_object_set_new(canon, "sku", json_string(sku));

    /* before the echo: our push to the SKU's location says nothing of
     * what another location shows */
    switch (invsync_stock_here(w, ch, sku, canon)) {
    case -1:
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    case 0:
        json_object_set_new(canon, "decision",
                            json_string("other_location"));
        return INVSYNC_ACT_IGNORED;
    }

    argv[0] = "LRANGE";
    argv[1] = key;
    argv[2] = "0";
    argv[3] = "-1";
    argvlen[0] = 6;
    argvlen[1] = invsync_key_pushed(key, sizeof(key), w->conf,
                                    ev->channel, sku);
    argvlen[2] = 1;
    argvlen[3] = 2;

    r = invsync_redis_cmd(w, 4, argv, argvlen);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (strtoll(r->element[i]->str, NULL, 10) == seen) {
            freeReplyObject(r);
            json_object_set_new(canon, "decision", json_string("echo"));
            return INVSYNC_ACT_IGNORED;
        }
    }

    freeReplyObject(r);

    argv[0] = "HGET";
    argvlen[0] = 4;
    argvlen[1] = invsync_key_shown(key, sizeof(key), w->conf,
                                   ev->channel);
    argv[2] = sku;
    argvlen[2] = strlen(sku);

    r = invsync_redis_cmd(w, 3, argv, argvlen);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "redis: %s", r->str);
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    shown = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
    freeReplyObject(r);

    /* what the ledger says the channel should show now: an order the
     * channel counted itself and we already reserved is no change */
    if (invsync_stock_expected(w, ch, sku, &expected, &bundle) < 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (expected == seen) {
        json_object_set_new(canon, "decision", json_string("consistent"));
        return INVSYNC_ACT_IGNORED;
    }

    /* a channel that counted a sale whose order the next poll brings:
     * decided once the ledger has it (invsync_stock_hold.c) */
    switch (invsync_stock_hold(w, ev, ch, sku, shown, expected, bundle)) {
    case -1:
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    case 1:
        json_object_set_new(canon, "decision", json_string("held"));
        return INVSYNC_ACT_IGNORED;
    }

    /* a bundle has no stock of its own to correct: its quantity is the
     * components', so a change in the channel's admin is overwritten */
    if (!ch->rules.correct || bundle) {
        /*
         * Ours wins: push our value again, whatever the channel is thought
         * to show (an answer to a push still in flight would make the
         * pusher believe the channel shows our value already).
         */
        json_object_set_new(canon, "decision", json_string("overwrite"));

        invsync_key_force(key, sizeof(key), w->conf, ev->channel);
        r = invsync_redis_cmd(w, 3, (const char *[]) { "SADD", key, sku },
                              (size_t []) { 4, strlen(key), strlen(sku) });
        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        freeReplyObject(r);

        invsync_key_dirty(key, sizeof(key), w->conf, ev->channel);
        r = invsync_redis_cmd(w, 3, (const char *[]) { "SADD", key, sku },
                              (size_t []) { 4, strlen(key), strlen(sku) });
        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        freeReplyObject(r);
        return INVSYNC_ACT_APPLIED;
    }

    json_object_set_new(canon, "decision", json_string("correct"));
    json_object_set_new(canon, "delta", json_integer(seen - shown));

    /*
     * The channel shows it now; the pusher compares with this.  Not so for
     * a notice handed back after a hold (invsync_stock_hold.c): a push
     * since may have overwritten the count it tells of, and what the
     * channel last acknowledged stays the pusher's guide.
     */
    orig = invsync_stock_held_event(ev->event, &held);

    if (!held) {
        r = invsync_redis_cmd(w, 4, (const char *[]) { "HSET", key, sku,
                                                       buf },
                              (size_t []) { 4, argvlen[1], strlen(sku),
                                            (size_t) snprintf(buf,
                                                sizeof(buf), "%lld",
                                                (long long) seen) });
        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        freeReplyObject(r);
    }

    one = json_pack("[{s:s, s:I, s:s}]", "sku", sku,
                    "qty", (json_int_t) (seen - shown),
                    "loc", invsync_stock_location(w, ch));

    /* one correction per level of a notice, however often it is
     * delivered: the first level's cause is the notice's */
    if (part == 0) {
        snprintf(cause, sizeof(cause), "external:%s:%s", ev->channel, orig);

    } else {
        snprintf(cause, sizeof(cause), "external:%s:%s#%zu", ev->channel,
                 orig, part);
    }

    rc = invsync_stock_move(w, ev, cause, "adjust", "", one, NULL, err, len);
    json_decref(one);

    return rc;
}


/*
 * What the ledger says the channel should show of sku, a bundle's derived
 * quantity included (the pusher's own rule); *bundle set for a bundle.
 * -1 when the Redis session was lost.
 */

static int
invsync_stock_expected(invsync_worker_t *w, const invsync_channel_conf_t *ch,
    const char *sku, int64_t *qty, int *bundle)
{
    int          bad;
    char         key[INVSYNC_KEY_LEN], def[INVSYNC_KEY_LEN];
    redisReply  *st, *comp;

    invsync_key_stock(key, sizeof(key), w->conf, sku);
    invsync_key_sku(def, sizeof(def), w->conf, sku);

    st = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key, NULL });
    comp = st ? invsync_redis_cmdv(w, (const char *[]) { "HGET", def,
                                                         "components",
                                                         NULL })
              : NULL;

    if (comp == NULL) {
        freeReplyObject(st);
        return -1;
    }

    bad = 0;
    *bundle = comp->type == REDIS_REPLY_STRING && comp->len > 0;
    *qty = invsync_reconcile_should(w, ch, st, comp, &bad);

    if (bad) {
        *qty = -1;
    }

    freeReplyObject(st);
    freeReplyObject(comp);

    return w->redis ? 0 : -1;
}


/*
 * Whether canon's level is at the channel location sku is pushed to (its
 * mapping on the channel, by the channel's id row that is a location): 1
 * it is, or the level names no location (a channel with one stock per
 * item) or the channel's ids none; 0 it is elsewhere, with canon's
 * ledger_location set to the ledger location the channel's own map of
 * its locations gives that one (sale_location), or null when it names
 * none; -1 the Redis session was lost.
 */

static int
invsync_stock_here(invsync_worker_t *w, const invsync_channel_conf_t *ch,
    const char *sku, json_t *canon)
{
    int                       here, mapped;
    char                      key[INVSYNC_KEY_LEN];
    json_t                   *ids;
    redisReply               *r;
    const char               *loc, *at;
    const invsync_channel_t  *row;

    loc = invsync_action_str(canon, "location_id");
    row = ch != NULL ? invsync_channel_find(ch->type) : NULL;

    if (loc[0] == '\0' || row == NULL) {
        return 1;
    }

    invsync_key_skumap(key, sizeof(key), w->conf, sku);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, ch->id,
                                                 NULL });
    if (r == NULL) {
        return -1;
    }

    /* unmapped meanwhile: decided as before, the pusher sends nothing */
    ids = r->type == REDIS_REPLY_STRING
          ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);

    here = invsync_channel_level_here(row, ids, loc);
    json_decref(ids);

    if (here) {
        return 1;
    }

    mapped = 0;
    at = invsync_channel_can(row, sale_location)
         ? row->sale_location(ch, loc, &mapped) : NULL;

    json_object_set_new(canon, "ledger_location",
                        at != NULL ? json_string(at) : json_null());

    return 0;
}


/* where a channel's stock moves land: its first location, or the default */

const char *
invsync_stock_location(invsync_worker_t *w, const invsync_channel_conf_t *ch)
{
    return ch->rules.nlocations ? ch->rules.location[0]
                                : w->conf->default_location;
}
