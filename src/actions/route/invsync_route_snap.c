
/*
 * The decision's view of the SKUs and the ledger, after the first read
 * (invsync_route_input.c) resolved the lines' SKUs: each SKU's tags and
 * components (HMGET sku:<s>) and, in the same round trip, its ledger (a
 * plain HGETALL stock:<s>, read as field, value pairs:
 * invsync_redis_pairs()); a bundle's own ledger is not its stock, so
 * its components' are read in a round trip of their own (none when the
 * order has no bundle).  Summed to what is free at each configured
 * location (invsync_route_free.c), the order's own holding free for it
 * again.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static int invsync_route_attrs(invsync_route_input_t *in, size_t f,
    redisReply *r, char *err, size_t len);
static int invsync_route_rows(invsync_route_input_t *in);
static void invsync_route_row_add(invsync_route_input_t *in,
    const char *sku);
static invsync_route_stock_t *invsync_route_row(invsync_route_input_t *in,
    const char *sku);
static int invsync_route_ledgers(invsync_worker_t *w,
    invsync_route_input_t *in, int pending, char *err, size_t len);
static void invsync_route_tags(invsync_route_input_t *in, size_t i,
    const char *tags);


/*
 * Appended for each distinct SKU of the lines, the first line of each
 * marked: HMGET sku:<s> tags components, all of them, then HGETALL
 * stock:<s>, all of them (a bundle's read for nothing: it is rare, and
 * waiting for the components to know would cost every order a round
 * trip).  -1: no session.
 */

int
invsync_route_stock_append(invsync_worker_t *w, invsync_route_input_t *in)
{
    int     rc;
    char    key[INVSYNC_ACTION_KEY_LEN];
    size_t  i, j, pass;

    for (i = 0; i < in->order.nlines; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(in->lines[j].sku, in->lines[i].sku) == 0) {
                break;
            }
        }

        in->slots[i].first = j == i;
    }

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < in->order.nlines; i++) {
            if (!in->slots[i].first) {
                continue;
            }

            if (pass == 0) {
                invsync_key_sku(key, sizeof(key), w->conf, in->lines[i].sku);
                rc = invsync_redis_appendv(w, (const char *[]) {
                         "HMGET", key, "tags", "components", NULL });

            } else {
                invsync_key_stock(key, sizeof(key), w->conf,
                                  in->lines[i].sku);
                rc = invsync_redis_appendv(w, (const char *[]) {
                         "HGETALL", key, NULL });
            }

            if (rc != 0) {
                invsync_redis_close(w);     /* none half-appended left */
                return -1;
            }
        }
    }

    return 0;
}


/*
 * Their answers, every one taken (a pipeline's answers come in order):
 * the lines' tags and components, the rows of the SKUs whose ledgers the
 * decision needs (a line's SKU that is no bundle, each component), the
 * ledgers read summed into them, the ones not read yet (components)
 * appended.  INVSYNC_ACT_APPLIED, else INVSYNC_ACT_RETRY with err (an
 * answer refused, e.g. a key of another type; or the connection lost:
 * w->redis is then NULL).
 */

invsync_act_rc_e
invsync_route_stock_take(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    int          ok;
    char         key[INVSYNC_ACTION_KEY_LEN];
    size_t       i, k;
    redisReply  *r;
    const char  *argv[3];

    ok = 1;

    for (i = 0; i < in->order.nlines; i++) {
        if (!in->slots[i].first) {
            continue;
        }

        r = invsync_redis_reply(w);

        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        ok = ok && invsync_route_attrs(in, i, r, err, len) == 0;
        freeReplyObject(r);
    }

    if (ok && invsync_route_rows(in) != 0) {
        snprintf(err, len, "out of memory");
        ok = 0;
    }

    /* the ledgers of the lines' SKUs, the rows they fill (none, refused
     * or not: a bundle's, or every one when the rows are not made) */
    if (invsync_route_ledgers(w, in, 0, ok ? err : NULL, ok ? len : 0) != 0)
    {
        ok = 0;
    }

    if (w->redis == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (!ok) {
        return INVSYNC_ACT_RETRY;
    }

    argv[0] = "HGETALL";
    argv[1] = key;
    argv[2] = NULL;

    for (k = 0; k < in->nstock; k++) {
        if (in->stock[k].read) {
            continue;
        }

        invsync_key_stock(key, sizeof(key), w->conf, in->stock[k].sku);

        if (invsync_redis_appendv(w, argv) != 0) {
            invsync_redis_close(w);         /* none half-appended left */
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }
    }

    return INVSYNC_ACT_APPLIED;
}


/* the components' ledgers taken (a row not read yet was asked, one
 * HGETALL each: none, nothing to take), then the order's holding added:
 * INVSYNC_ACT_APPLIED, else INVSYNC_ACT_RETRY with err */

invsync_act_rc_e
invsync_route_stock_done(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    if (invsync_route_ledgers(w, in, 1, err, len) != 0) {
        if (w->redis == NULL) {
            snprintf(err, len, "redis connection lost");
        }

        return INVSYNC_ACT_RETRY;
    }

    if (invsync_route_held(in) != 0) {
        snprintf(err, len, "route read: alloc: held is no JSON object");
        return INVSYNC_ACT_RETRY;
    }

    if (invsync_route_uses(in) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    return INVSYNC_ACT_APPLIED;
}


/* HMGET sku:<s> tags components, given to every line of that SKU (from
 * line f, its first): 0, or -1 with err */

static int
invsync_route_attrs(invsync_route_input_t *in, size_t f, redisReply *r,
    char *err, size_t len)
{
    size_t       i;
    json_t      *comps;
    const char  *tags;
    redisReply  *t, *c;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
        || (r->element[0]->type != REDIS_REPLY_STRING
            && r->element[0]->type != REDIS_REPLY_NIL)
        || (r->element[1]->type != REDIS_REPLY_STRING
            && r->element[1]->type != REDIS_REPLY_NIL))
    {
        snprintf(err, len, "route read: sku:%s: %s", in->lines[f].sku,
                 r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
        return -1;
    }

    t = r->element[0];
    c = r->element[1];
    tags = t->type == REDIS_REPLY_STRING ? t->str : "";
    comps = NULL;

    if (c->type == REDIS_REPLY_STRING && c->len > 0) {
        comps = json_loadb(c->str, c->len, 0, NULL);

        if (!json_is_object(comps)) {
            json_decref(comps);
            snprintf(err, len, "route read: sku:%s: components is no JSON "
                     "object", in->lines[f].sku);
            return -1;
        }
    }

    for (i = f; i < in->order.nlines; i++) {
        if (i == f || strcmp(in->lines[i].sku, in->lines[f].sku) == 0) {
            invsync_route_tags(in, i, tags);
            json_decref(in->slots[i].comps);
            in->slots[i].comps = json_incref(comps);
        }
    }

    json_decref(comps);

    return 0;
}


/* one row per SKU whose ledger the decision reads: each line's SKU that
 * is no bundle, each bundle's components; -1: out of memory */

static int
invsync_route_rows(invsync_route_input_t *in)
{
    size_t       i, cap;
    json_t      *q;
    const char  *c;

    cap = 0;

    for (i = 0; i < in->order.nlines; i++) {
        if (in->slots[i].first) {
            cap += in->slots[i].comps != NULL
                   ? json_object_size(in->slots[i].comps) : 1;
        }
    }

    in->stock = calloc(cap ? cap : 1, sizeof(invsync_route_stock_t));
    in->freebuf = calloc(cap * in->rc->nlocations + 1, sizeof(int64_t));

    if (in->stock == NULL || in->freebuf == NULL) {
        return -1;
    }

    for (i = 0; i < in->order.nlines; i++) {
        if (!in->slots[i].first) {
            continue;
        }

        if (in->slots[i].comps == NULL) {
            invsync_route_row_add(in, in->slots[i].sku);
            continue;
        }

        json_object_foreach(in->slots[i].comps, c, q) {
            invsync_route_row_add(in, c);
        }
    }

    return 0;
}


/* a row for sku unless it has one (rows are sized for every SKU) */

static void
invsync_route_row_add(invsync_route_input_t *in, const char *sku)
{
    size_t  n;

    if (invsync_route_row(in, sku) == NULL) {
        n = in->nstock++;
        in->stock[n].sku = sku;
        in->stock[n].free = in->freebuf + n * in->rc->nlocations;
    }
}


static invsync_route_stock_t *
invsync_route_row(invsync_route_input_t *in, const char *sku)
{
    size_t  k;

    for (k = 0; k < in->nstock; k++) {
        if (strcmp(in->stock[k].sku, sku) == 0) {
            return &in->stock[k];
        }
    }

    return NULL;
}


/*
 * HGETALL answers taken: the lines' SKUs' (pending 0, in their appended
 * order: into the row of that SKU, or none), else the rows' not read
 * (pending 1, one each in row order).  Every one is taken; 0, or -1
 * with err, when given, naming the first refused (a stock: that is no
 * hash), or the connection lost (w->redis NULL).
 */

static int
invsync_route_ledgers(invsync_worker_t *w, invsync_route_input_t *in,
    int pending, char *err, size_t len)
{
    int     rc, bad;
    size_t  i, n;

    bad = 0;
    n = pending ? in->nstock : in->order.nlines;

    for (i = 0; i < n; i++) {
        if (pending) {
            in->row = in->stock[i].read ? NULL : &in->stock[i];

            if (in->row == NULL) {
                continue;
            }

        } else {
            if (!in->slots[i].first) {
                continue;
            }

            in->row = in->stock != NULL
                      ? invsync_route_row(in, in->slots[i].sku) : NULL;
            in->row = in->row != NULL && !in->row->read ? in->row : NULL;
        }

        rc = invsync_redis_pairs(w, invsync_route_field, in,
                                 in->row != NULL && !bad ? err : NULL,
                                 in->row != NULL && !bad ? len : 0);

        if (rc < 0) {
            in->row = NULL;
            return -1;
        }

        if (in->row != NULL) {
            bad |= rc > 0;
            in->row->read = 1;
        }
    }

    in->row = NULL;

    return bad ? -1 : 0;
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


void
invsync_route_snap_free(invsync_route_input_t *in)
{
    size_t  i;

    /* the uses point into in->uses */
    for (i = 0; in->lines != NULL && i < in->order.nlines; i++) {
        in->lines[i].uses = NULL;
        in->lines[i].nuses = 0;
    }

    free(in->uses);
    in->uses = NULL;
    free(in->held);
    free(in->stock);
    free(in->freebuf);
    in->held = NULL;
    in->held_len = 0;
    in->stock = NULL;
    in->freebuf = NULL;
    in->nstock = 0;
}
