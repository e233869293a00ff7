
/*
 * route_read.lua's answer made into the decision's view of the ledger
 * (invsync_route_input.c sends the call): each line's ledger SKU, each
 * line's tags, the SKUs whose ledgers to read; then those ledgers, one
 * plain HGETALL stock:<sku> each read as field, value pairs
 * (invsync_redis_pairs()), summed to what is free at each configured
 * location (the order's own holding free for it again); and the
 * decision's stock callback reading it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static int invsync_route_skus(invsync_route_input_t *in, redisReply **e,
    size_t ne, redisReply *held);
static int invsync_route_field(void *ctx, const char *field,
    size_t field_len, const char *value, size_t value_len);
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
        || ne < 2 + 3 * (size_t) e[0]->integer)
    {
        return -1;
    }

    nskus = (size_t) e[0]->integer;
    e++;
    ne--;

    if (e[3 * nskus]->type != REDIS_REPLY_INTEGER
        || e[3 * nskus]->integer < 0
        || ne != 3 * nskus + 1 + (size_t) e[3 * nskus]->integer)
    {
        return -1;
    }

    n = (size_t) e[3 * nskus]->integer;
    in->stock = calloc(n ? n : 1, sizeof(invsync_route_stock_t));
    in->freebuf = calloc(n * in->rc->nlocations + 1, sizeof(int64_t));

    if (in->stock == NULL || in->freebuf == NULL) {
        return -1;
    }

    for (k = 0; k < n; k++) {
        if (e[3 * nskus + 1 + k]->type != REDIS_REPLY_STRING) {
            return -1;
        }

        in->stock[k].sku = e[3 * nskus + 1 + k]->str;
        in->stock[k].free = in->freebuf + k * in->rc->nlocations;
    }

    in->nstock = n;

    /* added to the rows before their ledgers: the sums are the same */
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


/* the HGETALL stock:<sku> of each SKU the read named, appended; -1: no
 * session */

int
invsync_route_stock_append(invsync_worker_t *w, invsync_route_input_t *in)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    size_t       k;
    const char  *argv[3];

    argv[0] = "HGETALL";
    argv[1] = key;
    argv[2] = NULL;

    for (k = 0; k < in->nstock; k++) {
        invsync_key_stock(key, sizeof(key), w->conf, in->stock[k].sku);

        if (invsync_redis_appendv(w, argv) != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * Their answers, every one read (a pipeline's answers come in order),
 * summed into the rows: INVSYNC_ACT_APPLIED, else INVSYNC_ACT_RETRY with
 * err (an answer refused: a stock:<sku> that is no hash; or the
 * connection lost: w->redis is then NULL).
 */

invsync_act_rc_e
invsync_route_stock_take(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    int               rc;
    size_t            k;
    invsync_act_rc_e  out;

    out = INVSYNC_ACT_APPLIED;

    for (k = 0; k < in->nstock; k++) {
        in->row = &in->stock[k];
        rc = invsync_redis_pairs(w, invsync_route_field, in,
                                 out == INVSYNC_ACT_APPLIED ? err : NULL,
                                 out == INVSYNC_ACT_APPLIED ? len : 0);

        if (rc < 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        if (rc > 0 && out == INVSYNC_ACT_APPLIED) {
            /* err says why; the rest are still read */
            out = INVSYNC_ACT_RETRY;
        }
    }

    in->row = NULL;

    return out;
}


/* one field of a SKU's stock:<sku> (in->row): on hand - reserved per
 * configured location; other fields (unrouted, damaged:) are not a
 * location's to give */

static int
invsync_route_field(void *ctx, const char *field, size_t field_len,
    const char *value, size_t value_len)
{
    int                     at, neg;
    size_t                  i;
    int64_t                 v;
    invsync_route_input_t  *in = ctx;

    /* a NUL inside: no location's field (nor one strcmp could tell) */
    if (strlen(field) != field_len) {
        return 0;
    }

    if (field_len > 8 && memcmp(field, "on_hand:", 8) == 0) {
        at = invsync_route_loc(in, field + 8);
        neg = 0;

    } else if (field_len > 9 && memcmp(field, "reserved:", 9) == 0) {
        at = invsync_route_loc(in, field + 9);
        neg = 1;

    } else {
        return 0;
    }

    if (at < 0) {
        return 0;       /* a location no longer configured */
    }

    /* read as strtoll read it before: a sign, the digits up to anything
     * else (HINCRBY keeps integers; route.lua's own HINCRBY refuses a
     * hand-written field that is not one), saturated */
    i = value_len > 0 && value[0] == '-' ? 1 : 0;
    neg ^= (int) i;

    for (v = 0; i < value_len && value[i] >= '0' && value[i] <= '9'; i++) {
        v = v > (INT64_MAX - 9) / 10 ? INT64_MAX : v * 10 + (value[i] - '0');
    }

    in->row->free[at] += neg ? -v : v;

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

    /* the decision asks with the configuration's own string, the same
     * location for each of its lines: the last one found, by address */
    if (n > 0 && in->rc->locations[in->hint].id == id) {
        return (int) in->hint;
    }

    /* a ledger's fields come in the configuration's order: the one after
     * the last found first, that one last */
    for (k = 1; k <= n; k++) {
        j = (in->hint + k) % n;

        if (in->rc->locations[j].id == id
            || strcmp(in->rc->locations[j].id, id) == 0)
        {
            in->hint = j;
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
