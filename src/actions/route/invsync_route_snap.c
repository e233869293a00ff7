
/*
 * route_read.lua's answer made into the decision's view of the ledger
 * (invsync_route_input.c sends the call): each line's ledger SKU, the
 * SKUs' rows summed to what is free at each configured location (the
 * order's own holding free for it again), each line's tags; and the
 * decision's stock callback reading it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static int invsync_route_skus(invsync_route_input_t *in, redisReply **e,
    size_t ne, redisReply *held);
static int invsync_route_row(invsync_route_input_t *in, redisReply *sku,
    redisReply *fields);
static int invsync_route_held(invsync_route_input_t *in, redisReply *held);
static int invsync_route_loc(invsync_route_input_t *in, const char *id);
static void invsync_route_tags(invsync_route_input_t *in, size_t i,
    const char *tags);
static int64_t invsync_route_free_one(invsync_route_input_t *in,
    const char *sku, int at);


int
invsync_route_snap(invsync_route_input_t *in)
{
    size_t                 i, m;
    redisReply            *r, **e;
    invsync_route_slot_t  *slot;

    r = in->snap;

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 4 + in->nraw) {
        return -1;
    }

    e = r->element;

    if (e[0]->type != REDIS_REPLY_STRING || e[1]->type != REDIS_REPLY_STRING
        || e[2]->type != REDIS_REPLY_INTEGER
        || e[2]->integer != (long long) in->nraw)
    {
        return -1;
    }

    snprintf(in->seq, sizeof(in->seq), "%s", e[0]->str);
    m = 0;

    for (i = 0; i < in->nraw; i++) {
        slot = &in->slots[m];

        if (e[3 + i]->type != REDIS_REPLY_STRING) {
            return -1;
        }

        if (e[3 + i]->len == 0 || e[3 + i]->len >= sizeof(slot->sku)) {
            continue;   /* unmapped: its exception is stock.reserve's */
        }

        memcpy(slot->sku, e[3 + i]->str, e[3 + i]->len + 1);
        snprintf(slot->line_id, sizeof(slot->line_id), "%s",
                 in->raw[i].line_id);
        in->lines[m].line_id = slot->line_id;
        in->lines[m].sku = slot->sku;
        in->lines[m].qty = json_integer_value(json_object_get(
                               in->raw[i].line, "quantity"));
        in->lines[m].no_parcel = json_is_false(json_object_get(
                                     in->raw[i].line, "requires_shipping"));
        m++;
    }

    in->order.nlines = m;

    return invsync_route_skus(in, e + 3 + in->nraw,
                              r->elements - 3 - in->nraw, e[1]);
}


static int
invsync_route_skus(invsync_route_input_t *in, redisReply **e, size_t ne,
    redisReply *held)
{
    size_t  i, k, n, nskus;

    if (e[0]->type != REDIS_REPLY_INTEGER || e[0]->integer < 0
        || ne < 1 + 3 * (size_t) e[0]->integer
        || (ne - 1 - 3 * (size_t) e[0]->integer) % 2 != 0)
    {
        return -1;
    }

    nskus = (size_t) e[0]->integer;
    e++;
    n = (ne - 1 - 3 * nskus) / 2;
    in->stock = calloc(n ? n : 1, sizeof(invsync_route_stock_t));
    in->freebuf = calloc(n * in->rc->nlocations + 1, sizeof(int64_t));

    if (in->stock == NULL || in->freebuf == NULL) {
        return -1;
    }

    for (k = 0; k < n; k++) {
        if (invsync_route_row(in, e[3 * nskus + 2 * k],
                              e[3 * nskus + 2 * k + 1]) != 0)
        {
            return -1;
        }
    }

    if (invsync_route_held(in, held) != 0) {
        return -1;
    }

    for (i = 0; i < in->order.nlines; i++) {
        for (k = 0; k < nskus; k++) {
            if (e[3 * k]->type == REDIS_REPLY_STRING
                && strcmp(e[3 * k]->str, in->lines[i].sku) == 0)
            {
                break;
            }
        }

        if (k == nskus || e[3 * k + 1]->type != REDIS_REPLY_STRING
            || e[3 * k + 2]->type != REDIS_REPLY_STRING)
        {
            return -1;
        }

        invsync_route_tags(in, i, e[3 * k + 1]->str);

        json_decref(in->slots[i].comps);
        in->slots[i].comps = e[3 * k + 2]->len > 0
            ? json_loadb(e[3 * k + 2]->str, e[3 * k + 2]->len, 0, NULL)
            : NULL;
    }

    return 0;
}


static int
invsync_route_row(invsync_route_input_t *in, redisReply *sku,
    redisReply *fields)
{
    int                     at;
    int64_t                 v;
    const char             *f, *p, *end;
    invsync_route_stock_t  *row;

    if (sku->type != REDIS_REPLY_STRING
        || fields->type != REDIS_REPLY_STRING)
    {
        return -1;
    }

    row = &in->stock[in->nstock];
    row->sku = sku->str;
    row->free = in->freebuf + in->nstock * in->rc->nlocations;
    in->nstock++;

    /* hiredis ends the string with a NUL too: each token is a C string */
    p = fields->str;
    end = fields->str + fields->len;

    while (p < end) {
        f = p;
        p += strlen(p) + 1;

        if (p > end) {
            return -1;      /* a field without its value */
        }

        v = strtoll(p, NULL, 10);
        p += strlen(p) + 1;

        if (strncmp(f, "on_hand:", 8) == 0) {
            at = invsync_route_loc(in, f + 8);

        } else if (strncmp(f, "reserved:", 9) == 0) {
            at = invsync_route_loc(in, f + 9);
            v = -v;

        } else {
            continue;
        }

        if (at >= 0) {
            row->free[at] += v;
        }
    }

    return 0;
}


static int
invsync_route_held(invsync_route_input_t *in, redisReply *held)
{
    int          at;
    size_t       k;
    json_t      *h, *at_loc, *q;
    const char  *loc, *sku;

    if (held->len == 0) {
        return 0;
    }

    h = json_loadb(held->str, held->len, 0, NULL);

    if (!json_is_object(h)) {
        json_decref(h);
        return -1;
    }

    json_object_foreach(h, loc, at_loc) {
        at = invsync_route_loc(in, loc);

        if (at < 0 || !json_is_object(at_loc)) {
            continue;
        }

        json_object_foreach(at_loc, sku, q) {
            for (k = 0; k < in->nstock; k++) {
                if (strcmp(in->stock[k].sku, sku) == 0) {
                    in->stock[k].free[at] += json_integer_value(q);
                }
            }
        }
    }

    json_decref(h);

    return 0;
}


static int
invsync_route_loc(invsync_route_input_t *in, const char *id)
{
    size_t  k, j, n;

    n = in->rc->nlocations;

    for (k = 0; k < n; k++) {
        j = (in->hint + k) % n;

        if (in->rc->locations[j].id == id
            || strcmp(in->rc->locations[j].id, id) == 0)
        {
            in->hint = j;   /* asked again for the next line, or the next */
            return (int) j;
        }
    }

    return -1;
}


static void
invsync_route_tags(invsync_route_input_t *in, size_t i, const char *tags)
{
    char                  *p, *save, *tag;
    invsync_route_slot_t  *slot;

    slot = &in->slots[i];
    free(slot->tagbuf);
    slot->tagbuf = strdup(tags ? tags : "");
    in->lines[i].tags.v = slot->tagv;
    in->lines[i].tags.n = 0;

    if (slot->tagbuf == NULL) {
        return;
    }

    for (p = slot->tagbuf; (tag = strtok_r(p, ",", &save)) != NULL;
         p = NULL)
    {
        while (*tag == ' ') {
            tag++;
        }

        if (*tag != '\0' && in->lines[i].tags.n < INVSYNC_ROUTE_TAGS) {
            slot->tagv[in->lines[i].tags.n++] = tag;
        }
    }
}


int64_t
invsync_route_free_at(void *ctx, const char *sku, const char *location)
{
    int                     at;
    size_t                  i;
    int64_t                 n, best;
    json_t                 *comps, *q;
    const char             *c;
    invsync_route_input_t  *in;

    in = ctx;
    at = invsync_route_loc(in, location);
    comps = NULL;

    for (i = 0; i < in->order.nlines; i++) {
        if (in->lines[i].sku == sku || strcmp(in->lines[i].sku, sku) == 0) {
            comps = in->slots[i].comps;
            break;
        }
    }

    if (at < 0) {
        return 0;
    }

    if (!json_is_object(comps)) {
        return invsync_route_free_one(in, sku, at);
    }

    best = -1;

    json_object_foreach(comps, c, q) {
        n = invsync_route_free_one(in, c, at);
        n = n > 0 && json_integer_value(q) > 0
            ? n / json_integer_value(q) : 0;

        if (best < 0 || n < best) {
            best = n;
        }
    }

    return best < 0 ? 0 : best;
}


static int64_t
invsync_route_free_one(invsync_route_input_t *in, const char *sku, int at)
{
    size_t  k;

    for (k = 0; k < in->nstock; k++) {
        if (strcmp(in->stock[k].sku, sku) == 0) {
            return in->stock[k].free[at];
        }
    }

    return 0;
}


void
invsync_route_snap_free(invsync_route_input_t *in)
{
    if (in->snap != NULL) {
        freeReplyObject(in->snap);
    }

    free(in->stock);
    free(in->freebuf);
    in->snap = NULL;
    in->stock = NULL;
    in->freebuf = NULL;
    in->nstock = 0;
}
