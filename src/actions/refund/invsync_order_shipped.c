
/*
 * What shipped of an order's SKU, for a refund's restock and a return's
 * receipt.  An order with shipments (K shipments:<order>,
 * docs/fulfilment.md): the lines of those shipped or tracked, from each
 * one's location.  Else the order's own stock.ship movements (its audit
 * entries, K audit:order:<order>: a channel's fulfilment of an order
 * invsync does not fulfil), from the first movement's location, or, for
 * a routed order, where K alloc:<order> held the SKU (ledger.lua ships a
 * routed order from its reserved:<loc>), as the refund's restock reads it
 * (docs/returns.md, "Where the units go").  The reads are two pipelined
 * steps, alone here or for a batch of refunds.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_order_shipped.h"


static void invsync_shipped_entry(redisReply *r, const char *sku,
    int64_t *qty, char *loc, size_t cap);
static void invsync_shipped_held(redisReply *r, const char *sku, char *loc,
    size_t cap);
static void invsync_shipped_shipment(redisReply *r, const char *id,
    const char *sku, int64_t *qty, char *best, size_t bcap, char *loc,
    size_t cap);
static int invsync_shipped_has_shipments(const invsync_shipped_t *s);


int
invsync_order_shipped(invsync_worker_t *w, const char *order,
    const char *sku, int64_t *qty, char *loc, size_t cap)
{
    int                rc;
    invsync_shipped_t  s;

    memset(&s, 0, sizeof(invsync_shipped_t));
    s.order = order;

    rc = (invsync_shipped_append(w, &s) != 0
          || invsync_shipped_read(w, &s) != 0
          || invsync_shipped_append_more(w, &s) != 0
          || invsync_shipped_read_more(w, &s) != 0) ? -1 : 0;

    if (rc == 0) {
        invsync_shipped_of(&s, sku, qty, loc, cap);
    }

    invsync_shipped_free(&s);

    return rc;
}


/* step 1: the order's shipments, its audit entries, its allocation */

int
invsync_shipped_append(invsync_worker_t *w, invsync_shipped_t *s)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[5];

    invsync_key_shipments(key, sizeof(key), w->conf, s->order);
    argv[0] = "SMEMBERS";
    argv[1] = key;
    argv[2] = NULL;

    if (invsync_redis_appendv(w, argv) != 0) {
        return -1;
    }

    invsync_key_audit_order(key, sizeof(key), w->conf, s->order);
    argv[0] = "ZRANGE";
    argv[1] = key;
    argv[2] = "0";
    argv[3] = "-1";
    argv[4] = NULL;

    if (invsync_redis_appendv(w, argv) != 0) {
        return -1;
    }

    invsync_key_alloc(key, sizeof(key), w->conf, s->order);
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "held";
    argv[3] = NULL;

    return invsync_redis_appendv(w, argv);
}


int
invsync_shipped_read(invsync_worker_t *w, invsync_shipped_t *s)
{
    s->ids = invsync_redis_reply(w);
    s->audit = s->ids ? invsync_redis_reply(w) : NULL;
    s->held = s->audit ? invsync_redis_reply(w) : NULL;

    return s->held != NULL ? 0 : -1;
}


/* step 2: each shipment when the order has some, else each audit entry */

int
invsync_shipped_append_more(invsync_worker_t *w, invsync_shipped_t *s)
{
    char          key[INVSYNC_ACTION_KEY_LEN], audit[INVSYNC_ACTION_KEY_LEN];
    size_t        i;
    const char   *argv[6];
    redisReply   *of;

    of = invsync_shipped_has_shipments(s) ? s->ids : s->audit;
    s->nmore = of->type == REDIS_REPLY_ARRAY ? of->elements : 0;

    if (s->nmore == 0) {
        return 0;
    }

    s->more = calloc(s->nmore, sizeof(redisReply *));
    if (s->more == NULL) {
        s->nmore = 0;
        return -1;
    }

    invsync_key_audit(audit, sizeof(audit), w->conf);

    for (i = 0; i < s->nmore; i++) {
        if (of == s->ids) {
            invsync_key_shipment(key, sizeof(key), w->conf,
                                 of->element[i]->str);
            argv[0] = "HMGET";
            argv[1] = key;
            argv[2] = "state";
            argv[3] = "location";
            argv[4] = "lines";
            argv[5] = NULL;

        } else {
            argv[0] = "XRANGE";
            argv[1] = audit;
            argv[2] = of->element[i]->str;
            argv[3] = of->element[i]->str;
            argv[4] = NULL;
        }

        if (invsync_redis_appendv(w, argv) != 0) {
            return -1;
        }
    }

    return 0;
}


int
invsync_shipped_read_more(invsync_worker_t *w, invsync_shipped_t *s)
{
    size_t  i;

    for (i = 0; i < s->nmore; i++) {
        s->more[i] = invsync_redis_reply(w);

        if (s->more[i] == NULL) {
            return -1;
        }
    }

    return 0;
}


void
invsync_shipped_of(const invsync_shipped_t *s, const char *sku,
    int64_t *qty, char *loc, size_t cap)
{
    char    best[256];
    size_t  i;

    *qty = 0;
    loc[0] = '\0';
    best[0] = '\0';

    if (invsync_shipped_has_shipments(s)) {
        for (i = 0; i < s->nmore; i++) {
            invsync_shipped_shipment(s->more[i], s->ids->element[i]->str,
                                     sku, qty, best, sizeof(best), loc, cap);
        }

        return;
    }

    for (i = 0; i < s->nmore; i++) {
        invsync_shipped_entry(s->more[i], sku, qty, loc, cap);
    }

    if (*qty > 0) {
        invsync_shipped_held(s->held, sku, loc, cap);
    }
}


void
invsync_shipped_free(invsync_shipped_t *s)
{
    size_t  i;

    for (i = 0; i < s->nmore; i++) {
        if (s->more[i] != NULL) {
            freeReplyObject(s->more[i]);
        }
    }

    free(s->more);

    if (s->ids != NULL) {
        freeReplyObject(s->ids);
    }

    if (s->audit != NULL) {
        freeReplyObject(s->audit);
    }

    if (s->held != NULL) {
        freeReplyObject(s->held);
    }

    s->more = NULL;
    s->nmore = 0;
    s->ids = s->audit = s->held = NULL;
}


/* an order with shipments: those decide, its audit does not */
static int
invsync_shipped_has_shipments(const invsync_shipped_t *s)
{
    return s->ids != NULL && s->ids->type == REDIS_REPLY_ARRAY
           && s->ids->elements > 0;
}


/* one audit entry's XRANGE: a stock.ship's lines of sku added to *qty */
static void
invsync_shipped_entry(redisReply *r, const char *sku, int64_t *qty,
    char *loc, size_t cap)
{
    int          ship;
    size_t       k, n;
    json_t      *in, *line;
    redisReply  *f;

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
}


/* a routed order: the first place (by name) its alloc held sku at */
static void
invsync_shipped_held(redisReply *r, const char *sku, char *loc, size_t cap)
{
    char         first[128];
    json_t      *held, *at;
    const char  *l;

    held = r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, NULL)
                                         : NULL;

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
}


/* one shipment's HMGET state location lines: those shipped or tracked */
static void
invsync_shipped_shipment(redisReply *r, const char *id, const char *sku,
    int64_t *qty, char *best, size_t bcap, char *loc, size_t cap)
{
    size_t   k;
    json_t  *lines, *l;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
        || r->element[0]->type != REDIS_REPLY_STRING
        || (strcmp(r->element[0]->str, "shipped") != 0
            && strcmp(r->element[0]->str, "tracked") != 0)
        || r->element[2]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    lines = json_loads(r->element[2]->str, 0, NULL);

    json_array_foreach(lines, k, l) {
        if (strcmp(invsync_action_str(l, "sku"), sku) != 0) {
            continue;
        }

        *qty += invsync_action_int(l, "qty", 0);

        /* of several, the first in id order, so that the same order
         * always answers the same place (SMEMBERS has no order) */
        if (r->element[1]->type == REDIS_REPLY_STRING
            && (best[0] == '\0' || strcmp(id, best) < 0))
        {
            snprintf(best, bcap, "%s", id);
            snprintf(loc, cap, "%s", r->element[1]->str);
        }
    }

    json_decref(lines);
}
