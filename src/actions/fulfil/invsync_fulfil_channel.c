
/*
 * Shipped by the channel (docs/fulfilment.md, "Shipped by the channel"):
 * the channel says the order, or some of its lines, left, and invsync did
 * not ship them (a merchant fulfilled or completed it in the channel's
 * own admin).  Its shipments still to ship are then shipped by the
 * channel: ship_confirm.lua with shipped_by "channel", the ledger's ship
 * movement at each shipment's location once, no label bought, no 3PL
 * order sent (one sent already is cancelled, a label bought is voided),
 * nothing told back.
 *
 * The rule:
 *   - an order event whose canonical status is completed (or that says
 *     shipped) covers every shipment still to ship;
 *   - a fulfillment event (not cancelled, error or failure) covers the
 *     shipments whose every line its lines hold in full, quantities
 *     counted once, in shipment id order; a shipment it covers only in
 *     part is left (logged);
 *   - an echo of invsync's own tracking (the fulfilment carries the
 *     tracking number of one of the order's shipments, or is the
 *     fulfilment recorded as its tracked_ref) covers nothing.
 * "Still to ship": open, requested, stalled or failed.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_fulfil.h"


#define INVSYNC_BYCH_MAX  64      /* shipments of one order looked at */


typedef struct {
    char        id[INVSYNC_SHIP_ID_LEN];
    char        state[16];
    json_t     *lines;          /* [{line_id, sku, qty}] */
    char        tracking[128];
    char        tracked_ref[160];
} invsync_bych_ship_t;


static int invsync_bych_read(invsync_worker_t *w, const char *order,
    invsync_bych_ship_t *sh, size_t *n);
static int invsync_bych_live(const invsync_bych_ship_t *s);
static int invsync_bych_echo(json_t *canon, const invsync_bych_ship_t *sh,
    size_t n);
static int invsync_bych_covers(json_t *want, const invsync_bych_ship_t *s);
static json_t *invsync_bych_lines(json_t *canon);


/*
 * The event says something left: an order completed (or that says
 * shipped), a fulfillment not cancelled, error or failure.  The action
 * table asks it too: an order that says neither (nearly every one) is
 * pipelined with others, this row being the only one of an order's that
 * runs alone.
 */

int
invsync_shipment_by_channel_applies(json_t *canon)
{
    const char  *kind, *st;

    kind = invsync_action_str(canon, "kind");
    st = invsync_action_str(canon, "status");

    if (invsync_action_str(canon, "order_id") == NULL) {
        return 0;
    }

    if (kind != NULL && strcmp(kind, "order") == 0) {
        return (st != NULL && strcmp(st, "completed") == 0)
               || json_is_true(json_object_get(canon, "shipped"));
    }

    return !(st != NULL && (strcmp(st, "cancelled") == 0
                            || strcmp(st, "error") == 0
                            || strcmp(st, "failure") == 0));
}


invsync_act_rc_e
invsync_shipment_by_channel(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                    whole, took;
    char                   order[INVSYNC_SHIP_ID_LEN];
    size_t                 i, n;
    json_t                *want, *tr;
    const char            *oid;
    invsync_act_rc_e       rc;
    invsync_ship_record_t  rec;
    invsync_bych_ship_t   *sh;

    oid = invsync_action_str(canon, "order_id");
    whole = strcmp(invsync_action_str(canon, "kind"), "order") == 0;

    if (!invsync_shipment_by_channel_applies(canon)) {
        return INVSYNC_ACT_APPLIED;
    }

    snprintf(order, sizeof(order), "%s:%s", ev->channel, oid);
    sh = calloc(INVSYNC_BYCH_MAX, sizeof(invsync_bych_ship_t));
    if (sh == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    if (invsync_bych_read(w, order, sh, &n) != 0) {
        free(sh);
        snprintf(err, len, "redis: the order's shipments could not be read");
        return INVSYNC_ACT_RETRY;
    }

    want = whole ? NULL : invsync_bych_lines(canon);
    rc = INVSYNC_ACT_APPLIED;

    if (!whole && invsync_bych_echo(canon, sh, n)) {
        n = 0;      /* invsync's own tracking, come back */
    }

    tr = json_object_get(canon, "tracking");
    memset(&rec, 0, sizeof(invsync_ship_record_t));
    rec.carrier = invsync_action_str(tr, "company");
    rec.tracking = invsync_action_str(tr, "number");
    rec.tracking_url = invsync_action_str(tr, "url");
    rec.tracked_ref = whole ? "" : invsync_action_str(canon,
                                                      "fulfillment_id");
    rec.shipped_by = "channel";
    rec.by = "channel";

    for (i = 0; i < n && rc != INVSYNC_ACT_RETRY; i++) {
        if (!invsync_bych_live(&sh[i])) {
            continue;
        }

        took = whole || invsync_bych_covers(want, &sh[i]);

        if (!took) {
            invsync_log(INVSYNC_LOG_INFO, "shipment not covered by the "
                        "channel's fulfilment", json_pack("{s:s, s:s}",
                        "shipment", sh[i].id, "fulfillment",
                        invsync_action_str(canon, "fulfillment_id")
                        ?: ""));
            continue;
        }

        rc = invsync_shipment_confirm_rec(w, sh[i].id, &rec, err, len);
        rc = rc == INVSYNC_ACT_DUPLICATE ? INVSYNC_ACT_APPLIED : rc;

        if (rc == INVSYNC_ACT_APPLIED) {
            invsync_log(INVSYNC_LOG_INFO, "shipment shipped by its channel",
                        json_pack("{s:s, s:s}", "shipment", sh[i].id,
                                  "was", sh[i].state));
        }
    }

    for (i = 0; i < INVSYNC_BYCH_MAX; i++) {
        json_decref(sh[i].lines);
    }

    free(sh);
    json_decref(want);

    return rc == INVSYNC_ACT_POISON ? INVSYNC_ACT_APPLIED : rc;
}


/* the order's shipments (sorted by id), their state, lines, tracking */

static int
invsync_bych_read(invsync_worker_t *w, const char *order,
    invsync_bych_ship_t *sh, size_t *n)
{
    char         key[INVSYNC_SHIP_ID_LEN];
    size_t       i, k;
    redisReply  *r, *h;

    *n = 0;
    invsync_key_shipments(key, sizeof(key), w->conf, order);
    r = invsync_redis_cmdv(w, (const char *[]) { "SORT", key, "ALPHA",
                           NULL });
    if (r == NULL) {
        return -1;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements
                && *n < INVSYNC_BYCH_MAX; i++)
    {
        invsync_key_shipment(key, sizeof(key), w->conf, r->element[i]->str);
        h = invsync_redis_cmdv(w, (const char *[]) { "HMGET", key, "state",
                               "lines", "tracking", "tracked_ref", NULL });
        if (h == NULL) {
            freeReplyObject(r);
            return -1;
        }

        k = (*n)++;
        snprintf(sh[k].id, sizeof(sh[k].id), "%s", r->element[i]->str);

        if (h->type == REDIS_REPLY_ARRAY && h->elements == 4) {
#define invsync_bych_str(i)                                                  \
            (h->element[i]->type == REDIS_REPLY_STRING ? h->element[i]->str  \
                                                       : "")
            snprintf(sh[k].state, sizeof(sh[k].state), "%s",
                     invsync_bych_str(0));
            sh[k].lines = json_loads(invsync_bych_str(1), 0, NULL);
            snprintf(sh[k].tracking, sizeof(sh[k].tracking), "%s",
                     invsync_bych_str(2));
            snprintf(sh[k].tracked_ref, sizeof(sh[k].tracked_ref), "%s",
                     invsync_bych_str(3));
#undef invsync_bych_str
        }

        freeReplyObject(h);
    }

    freeReplyObject(r);

    return 0;
}


static int
invsync_bych_live(const invsync_bych_ship_t *s)
{
    return strcmp(s->state, "open") == 0 || strcmp(s->state, "requested") == 0
           || strcmp(s->state, "stalled") == 0
           || strcmp(s->state, "failed") == 0;
}


/* the fulfilment is one invsync made: its tracking number is a
 * shipment's, or its id ends a shipment's tracked_ref (a gid ending in it) */

static int
invsync_bych_echo(json_t *canon, const invsync_bych_ship_t *sh, size_t n)
{
    size_t       i, fl, rl;
    const char  *num, *fid;

    num = invsync_action_str(json_object_get(canon, "tracking"), "number");
    fid = invsync_action_str(canon, "fulfillment_id");
    fl = fid ? strlen(fid) : 0;

    for (i = 0; i < n; i++) {
        rl = strlen(sh[i].tracked_ref);

        if ((num != NULL && num[0] != '\0'
             && strcmp(num, sh[i].tracking) == 0)
            || (fl > 0 && rl >= fl
                && strcmp(sh[i].tracked_ref + rl - fl, fid) == 0
                && (rl == fl || sh[i].tracked_ref[rl - fl - 1] == '/')))
        {
            return 1;
        }
    }

    return 0;
}


/* the fulfilment's quantities by line id: {line id: quantity} */

static json_t *
invsync_bych_lines(json_t *canon)
{
    size_t       i;
    json_t      *want, *l;
    const char  *id;
    json_int_t   q;

    want = json_object();

    json_array_foreach(json_object_get(canon, "lines"), i, l) {
        id = invsync_action_str(l, "channel_line_id");
        q = json_integer_value(json_object_get(l, "quantity"));

        if (id != NULL && q > 0) {
            q += json_integer_value(json_object_get(want, id));
            json_object_set_new(want, id, json_integer(q));
        }
    }

    return want;
}


/* every line of the shipment is in want in full: 1, and want gives them
 * up (a quantity is counted for one shipment only) */

static int
invsync_bych_covers(json_t *want, const invsync_bych_ship_t *s)
{
    size_t       i;
    json_t      *l, *need;
    const char  *id;
    json_int_t   q, have;
    void        *it;

    need = json_object();

    json_array_foreach(s->lines, i, l) {
        id = invsync_action_str(l, "line_id");
        q = json_integer_value(json_object_get(l, "qty"));

        if (id == NULL) {
            json_decref(need);
            return 0;
        }

        q += json_integer_value(json_object_get(need, id));
        json_object_set_new(need, id, json_integer(q));
    }

    if (json_object_size(need) == 0) {
        json_decref(need);
        return 0;
    }

    json_object_foreach_safe(need, it, id, l) {
        have = json_integer_value(json_object_get(want, id));

        if (have < json_integer_value(l)) {
            json_decref(need);
            return 0;
        }
    }

    json_object_foreach_safe(need, it, id, l) {
        have = json_integer_value(json_object_get(want, id));
        json_object_set_new(want, id, json_integer(have
                                                   - json_integer_value(l)));
    }

    json_decref(need);

    return 1;
}
