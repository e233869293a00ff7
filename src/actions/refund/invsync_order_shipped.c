
/*
 * What shipped of an order's SKU, for a refund's restock and a return's
 * receipt.  An order with
 * shipments (K shipments:<order>, docs/fulfilment.md): the lines of those
 * shipped or tracked, from each one's location.  Else the order's own
 * stock.ship movements (its audit entries, K audit:order:<order>: a
 * channel's fulfilment of an order invsync does not fulfil), from the
 * first movement's location, or, for a routed order, where K
 * alloc:<order> held the SKU (ledger.lua ships a routed order from its
 * reserved:<loc>), as the refund's restock reads it (docs/returns.md,
 * "Where the units go").
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_order_shipped.h"


static int invsync_order_ship_entry(invsync_worker_t *w, const char *audit,
    const char *id, const char *sku, int64_t *qty, char *loc, size_t cap);
static int invsync_order_held(invsync_worker_t *w, const char *order,
    const char *sku, char *loc, size_t cap);
static int invsync_order_shipments(invsync_worker_t *w, const char *order,
    const char *sku, int64_t *qty, char *loc, size_t cap);


int
invsync_order_shipped(invsync_worker_t *w, const char *order,
    const char *sku, int64_t *qty, char *loc, size_t cap)
{
    char          key[INVSYNC_ACTION_KEY_LEN], audit[INVSYNC_ACTION_KEY_LEN];
    size_t        i;
    const char   *argv[5];
    redisReply   *ids;

    *qty = 0;
    loc[0] = '\0';

    switch (invsync_order_shipments(w, order, sku, qty, loc, cap)) {
    case -1:
        return -1;
    case 1:
        return 0;
    default:
        break;
    }

    invsync_key_audit_order(key, sizeof(key), w->conf, order);
    invsync_key_audit(audit, sizeof(audit), w->conf);
    argv[0] = "ZRANGE";
    argv[1] = key;
    argv[2] = "0";
    argv[3] = "-1";
    argv[4] = NULL;

    ids = invsync_redis_cmdv(w, argv);
    if (ids == NULL) {
        return -1;
    }

    for (i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++) {
        if (invsync_order_ship_entry(w, audit, ids->element[i]->str, sku,
                                      qty, loc, cap) != 0)
        {
            freeReplyObject(ids);
            return -1;
        }
    }

    freeReplyObject(ids);

    if (*qty == 0) {
        return 0;
    }

    return invsync_order_held(w, order, sku, loc, cap);
}


/* one audit entry: a stock.ship's lines of sku added to *qty */
static int
invsync_order_ship_entry(invsync_worker_t *w, const char *audit,
    const char *id, const char *sku, int64_t *qty, char *loc, size_t cap)
{
    int          ship;
    size_t       k, n;
    json_t      *in, *line;
    const char  *argv[5];
    redisReply  *r, *f;

    argv[0] = "XRANGE";
    argv[1] = audit;
    argv[2] = id;
    argv[3] = id;
    argv[4] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    /* [[id, [field, value, ...]]] */
    f = (r->type == REDIS_REPLY_ARRAY && r->elements == 1
         && r->element[0]->elements == 2) ? r->element[0]->element[1] : NULL;
    n = f ? f->elements : 0;
    in = NULL;
    ship = 0;

    for (k = 0; k + 1 < n; k += 2) {
        if (strcmp(f->element[k]->str, "action") == 0) {
            ship = strcmp(f->element[k + 1]->str, "stock.ship") == 0;
        } else if (strcmp(f->element[k]->str, "inputs") == 0 && in == NULL) {
            in = json_loads(f->element[k + 1]->str, 0, NULL);
        }
    }

    json_array_foreach(ship ? json_object_get(in, "lines") : NULL, k, line) {
        if (strcmp(invsync_action_str(line, "sku"), sku) == 0) {
            *qty += invsync_action_int(line, "qty", 0);

            if (loc[0] == '\0') {
                snprintf(loc, cap, "%s", invsync_action_str(line, "loc"));
            }
        }
    }

    json_decref(in);
    freeReplyObject(r);

    return 0;
}


/* a routed order: the first place (by name) its alloc held sku at */
static int
invsync_order_held(invsync_worker_t *w, const char *order, const char *sku,
    char *loc, size_t cap)
{
    char          key[INVSYNC_ACTION_KEY_LEN], first[128];
    json_t       *held, *at;
    const char   *argv[4], *l;
    redisReply   *r;

    invsync_key_alloc(key, sizeof(key), w->conf, order);
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "held";
    argv[3] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        return -1;
    }

    held = r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, NULL)
                                         : NULL;
    freeReplyObject(r);

    first[0] = '\0';
    json_object_foreach(held, l, at) {
        if (json_object_get(at, sku) != NULL
            && (first[0] == '\0' || strcmp(l, first) < 0))
        {
            snprintf(first, sizeof(first), "%s", l);
        }
    }

    json_decref(held);

    if (first[0] != '\0') {
        snprintf(loc, cap, "%s", first);
    }

    return 0;
}


/*
 * The order's shipments: 0 when it has none (the audit decides), 1 with
 * the units of sku in those shipped (and where the first one left), -1
 * on Redis.
 */
static int
invsync_order_shipments(invsync_worker_t *w, const char *order,
    const char *sku, int64_t *qty, char *loc, size_t cap)
{
    char          key[INVSYNC_ACTION_KEY_LEN];
    size_t        i, k;
    json_t       *lines, *l;
    char          best[256];
    const char   *argv[7];
    redisReply   *ids, *r;

    best[0] = '\0';
    invsync_key_shipments(key, sizeof(key), w->conf, order);
    argv[0] = "SMEMBERS";
    argv[1] = key;
    argv[2] = NULL;

    ids = invsync_redis_cmdv(w, argv);
    if (ids == NULL) {
        return -1;
    }

    for (i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++) {
        invsync_key_shipment(key, sizeof(key), w->conf,
                             ids->element[i]->str);
        argv[0] = "HMGET";
        argv[1] = key;
        argv[2] = "state";
        argv[3] = "location";
        argv[4] = "lines";
        argv[5] = NULL;

        r = invsync_redis_cmdv(w, argv);
        if (r == NULL) {
            freeReplyObject(ids);
            return -1;
        }

        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3
            && r->element[0]->type == REDIS_REPLY_STRING
            && (strcmp(r->element[0]->str, "shipped") == 0
                || strcmp(r->element[0]->str, "tracked") == 0)
            && r->element[2]->type == REDIS_REPLY_STRING)
        {
            lines = json_loads(r->element[2]->str, 0, NULL);

            json_array_foreach(lines, k, l) {
                if (strcmp(invsync_action_str(l, "sku"), sku) != 0) {
                    continue;
                }

                *qty += invsync_action_int(l, "qty", 0);

                /* of several, the first in id order, so that the same
                 * order always answers the same place (SMEMBERS has no
                 * order) */
                if (r->element[1]->type == REDIS_REPLY_STRING
                    && (best[0] == '\0'
                        || strcmp(ids->element[i]->str, best) < 0))
                {
                    snprintf(best, sizeof(best), "%s", ids->element[i]->str);
                    snprintf(loc, cap, "%s", r->element[1]->str);
                }
            }

            json_decref(lines);
        }

        freeReplyObject(r);
    }

    k = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
    freeReplyObject(ids);

    return k > 0 ? 1 : 0;
}
