
/*
 * Where a refunded line's SKU left from, so that its units go back there
 * (docs/returns.md, "Where the units go"): a shipment of invsync's own
 * fulfilment (docs/fulfilment.md) that shipped it, else the ledger's
 * stock.ship of a channel-fulfilled order.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_refund_shipped.h"


static int invsync_refund_shipped_shipment(invsync_worker_t *w,
    const char *order, const char *sku, char *loc, size_t cap);
static int invsync_refund_shipment_has(redisReply *r, const char *sku,
    char *loc, size_t cap);
static int invsync_refund_shipped_ledger(invsync_worker_t *w,
    const char *order, const char *sku, char *loc, size_t cap);
static int invsync_refund_shipped_audit(invsync_worker_t *w,
    const char *order, const char *sku, char *loc, size_t cap);


/* 1 with loc, 0 when nothing says it shipped, -1 on Redis */
int
invsync_refund_shipped_from(invsync_worker_t *w, const char *order,
    const char *sku, char *loc, size_t cap)
{
    int  rc;

    rc = invsync_refund_shipped_shipment(w, order, sku, loc, cap);
    if (rc != 0) {
        return rc;
    }

    return invsync_refund_shipped_ledger(w, order, sku, loc, cap);
}


/*
 * The order's shipments (K shipments:<order>) that left (shipped or
 * tracked) with the SKU among their lines; of several (one SKU split
 * across locations), the first in id order, as routing's first in name
 * order is where ledger.lua ships from
 */
static int
invsync_refund_shipped_shipment(invsync_worker_t *w, const char *order,
    const char *sku, char *loc, size_t cap)
{
    int          found;
    char         key[INVSYNC_ACTION_KEY_LEN], at[128], best[256];
    size_t       i;
    const char  *argv[7];
    redisReply  *ids, *r;

    invsync_key_shipments(key, sizeof(key), w->conf, order);
    argv[0] = "SMEMBERS";
    argv[1] = key;
    argv[2] = NULL;

    ids = invsync_redis_cmdv(w, argv);
    if (ids == NULL) {
        return -1;
    }

    found = 0;
    best[0] = '\0';

    for (i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++) {
        if (ids->element[i]->type != REDIS_REPLY_STRING
            || (best[0] != '\0' && strcmp(ids->element[i]->str, best) > 0))
        {
            continue;
        }

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

        if (invsync_refund_shipment_has(r, sku, at, sizeof(at))) {
            snprintf(best, sizeof(best), "%s", ids->element[i]->str);
            snprintf(loc, cap, "%s", at);
            found = 1;
        }

        freeReplyObject(r);
    }

    freeReplyObject(ids);

    return found;
}


/* HMGET state location lines: left, with the SKU in its lines */
static int
invsync_refund_shipment_has(redisReply *r, const char *sku, char *loc,
    size_t cap)
{
    int          has;
    size_t       i;
    json_t      *lines, *l;
    const char  *state;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
        || r->element[0]->type != REDIS_REPLY_STRING
        || r->element[1]->type != REDIS_REPLY_STRING
        || r->element[2]->type != REDIS_REPLY_STRING)
    {
        return 0;
    }

    state = r->element[0]->str;
    if (strcmp(state, "shipped") != 0 && strcmp(state, "tracked") != 0) {
        return 0;
    }

    has = 0;
    lines = json_loads(r->element[2]->str, 0, NULL);

    json_array_foreach(lines, i, l) {
        if (strcmp(invsync_action_str(l, "sku"), sku) == 0) {
            has = 1;
            break;
        }
    }

    json_decref(lines);

    if (has) {
        snprintf(loc, cap, "%s", r->element[1]->str);
    }

    return has;
}


/*
 * An order the channel shipped (stock.ship): its audit entry says it
 * shipped; a routed order's K alloc:<order> keeps each place it held the
 * SKU at (ledger.lua ships from there, first in name order), else the
 * entry's own location.
 */
static int
invsync_refund_shipped_ledger(invsync_worker_t *w, const char *order,
    const char *sku, char *loc, size_t cap)
{
    int          rc;
    char         key[INVSYNC_ACTION_KEY_LEN], first[128];
    json_t      *held, *at;
    const char  *argv[4], *l;
    redisReply  *r;

    rc = invsync_refund_shipped_audit(w, order, sku, loc, cap);
    if (rc != 1) {
        return rc;
    }

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

    return 1;
}


/* the order's audit entries (K audit:order:<order>): a stock.ship of sku */
static int
invsync_refund_shipped_audit(invsync_worker_t *w, const char *order,
    const char *sku, char *loc, size_t cap)
{
    int          found;
    char         key[INVSYNC_ACTION_KEY_LEN], audit[INVSYNC_ACTION_KEY_LEN];
    size_t       i, k, n;
    json_t      *in, *line, *lines;
    const char  *argv[6];
    redisReply  *ids, *r, *f;

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

    found = 0;

    for (i = 0; !found && ids->type == REDIS_REPLY_ARRAY
                && i < ids->elements; i++)
    {
        argv[0] = "XRANGE";
        argv[1] = audit;
        argv[2] = ids->element[i]->str;
        argv[3] = ids->element[i]->str;
        argv[4] = NULL;

        r = invsync_redis_cmdv(w, argv);
        if (r == NULL) {
            freeReplyObject(ids);
            return -1;
        }

        /* [[id, [field, value, ...]]] */
        f = (r->type == REDIS_REPLY_ARRAY && r->elements == 1
             && r->element[0]->elements == 2) ? r->element[0]->element[1]
                                              : NULL;
        in = NULL;
        n = f ? f->elements : 0;

        for (k = 0; k + 1 < n; k += 2) {
            if (strcmp(f->element[k]->str, "action") == 0
                && strcmp(f->element[k + 1]->str, "stock.ship") != 0)
            {
                break;
            }

            if (strcmp(f->element[k]->str, "inputs") == 0) {
                in = json_loads(f->element[k + 1]->str, 0, NULL);
            }
        }

        /* the macro reads its array at every turn: computed once */
        lines = k + 1 < n ? NULL : json_object_get(in, "lines");

        json_array_foreach(lines, k, line) {
            if (strcmp(invsync_action_str(line, "sku"), sku) == 0) {
                snprintf(loc, cap, "%s", invsync_action_str(line, "loc"));
                found = 1;
                break;
            }
        }

        json_decref(in);
        freeReplyObject(r);
    }

    freeReplyObject(ids);

    return found;
}
