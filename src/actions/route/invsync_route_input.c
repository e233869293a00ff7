
/*
 * The order as the routing decision sees it: destination, value, shipping
 * method and lines from the canonical order, and, in one round trip
 * (route_read.lua), each line's ledger SKU as stock.reserve resolves it
 * (its refs, the first mapped one), the SKUs' tags, bundles' components,
 * the ledger at every location and the order's current allocation.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static const char *invsync_route_member(json_t *obj, const char *key);
static invsync_act_rc_e invsync_route_lines(json_t *canon,
    invsync_route_input_t *in, char *err, size_t len);
static void invsync_route_tags(invsync_route_input_t *in, size_t i,
    const char *tags);
static int invsync_route_read_call(invsync_worker_t *w,
    invsync_route_input_t *in, redisReply **r);
static int invsync_route_snap(invsync_route_input_t *in);
static int invsync_route_skus(invsync_route_input_t *in, redisReply **e,
    size_t ne, redisReply *held);
static int invsync_route_row(invsync_route_input_t *in, redisReply *sku,
    redisReply *fields);
static int invsync_route_held(invsync_route_input_t *in, redisReply *held);
static int invsync_route_loc(invsync_route_input_t *in, const char *id);
static int64_t invsync_route_free_one(invsync_route_input_t *in,
    const char *sku, int at);
static void invsync_route_snap_free(invsync_route_input_t *in);


invsync_act_rc_e
invsync_route_input(const char *channel, json_t *canon,
    invsync_route_input_t *in, char *err, size_t len)
{
    json_t                 *ship, *total;
    const char             *oid;
    invsync_route_order_t  *o;

    o = &in->order;
    oid = invsync_route_member(canon, "order_id");

    if (oid == NULL) {
        snprintf(err, len, "route: the order has no order_id");
        return INVSYNC_ACT_POISON;
    }

    snprintf(in->order_key, sizeof(in->order_key), "%s:%s", channel, oid);
    in->version_ms = invsync_action_int(canon, "updated_ms", 0);
    snprintf(in->version, sizeof(in->version), "%lld",
             (long long) in->version_ms);

    ship = json_object_get(canon, "shipping_address");
    total = json_object_get(canon, "total_minor");

    o->channel = channel;
    o->order = in->order_key;
    o->version = in->version;
    o->country = invsync_route_member(ship, "country_code");
    o->region = invsync_route_member(ship, "province");
    o->postal_code = invsync_route_member(ship, "zip");
    o->has_value = json_is_integer(total);
    o->value_minor = o->has_value ? json_integer_value(total) : 0;
    o->shipping_method = invsync_route_member(canon, "shipping_method");
    o->now_ms = invsync_now_ms();

    return invsync_route_lines(canon, in, err, len);
}


/*
 * The lines stock.reserve reserved: quantity > 0; route_read.lua resolves
 * each by its refs as stock.reserve does (first mapped wins) in the same
 * round trip as it reads the ledger, and keeps the mapped ones.
 */

static invsync_act_rc_e
invsync_route_lines(json_t *canon, invsync_route_input_t *in, char *err,
    size_t len)
{
    size_t   i, n;
    json_t  *line, *lines;

    lines = json_object_get(canon, "lines");
    n = 0;

    json_array_foreach(lines, i, line) {
        n += json_integer_value(json_object_get(line, "quantity")) > 0;
    }

    if (n > INVSYNC_ROUTE_MAX_LINES) {
        snprintf(err, len, "route: more than %d lines",
                 INVSYNC_ROUTE_MAX_LINES);
        return INVSYNC_ACT_POISON;
    }

    in->lines = calloc(n ? n : 1, sizeof(invsync_route_line_t));
    in->slots = calloc(n ? n : 1, sizeof(invsync_route_slot_t));
    in->raw = calloc(n ? n : 1, sizeof(invsync_route_raw_t));
    in->order.lines = in->lines;

    if (in->lines == NULL || in->slots == NULL || in->raw == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    n = 0;

    json_array_foreach(lines, i, line) {
        if (json_integer_value(json_object_get(line, "quantity")) <= 0) {
            continue;
        }

        invsync_stock_line_id(line, i, in->raw[n].line_id,
                              sizeof(in->raw[n].line_id));
        in->raw[n].line = line;
        n++;
    }

    in->nraw = n;

    return INVSYNC_ACT_APPLIED;
}


/*
 * route_read.lua: tags, components, the ledger, the current allocation.
 * Its flat answer is summed here into one row per SKU read: what each
 * configured location can give (on hand - reserved, plus what this order
 * already holds there), so that the decision's stock callback is an index.
 */

invsync_act_rc_e
invsync_route_read(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    redisReply  *r;

    r = NULL;

    if (invsync_route_read_call(w, in, &r) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    return invsync_route_read_take(w, in, r, err, len);
}


/* route_read.lua appended to the pipeline: the orders of a read share
 * one round trip (invsync_route_batch.c); -1: out of memory */

int
invsync_route_read_append(invsync_worker_t *w, invsync_route_input_t *in)
{
    return invsync_route_read_call(w, in, NULL);
}


/* route_read.lua's answer (takes r, NULL: the connection was lost) */

invsync_act_rc_e
invsync_route_read_take(invsync_worker_t *w, invsync_route_input_t *in,
    redisReply *r, char *err, size_t len)
{
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    invsync_route_snap_free(in);
    in->rc = w->conf->routing;
    in->snap = r;

    if (invsync_route_snap(in) != 0) {
        snprintf(err, len, "route_read: %s", r->type == REDIS_REPLY_ERROR
                                             ? r->str : "bad reply");
        return INVSYNC_ACT_RETRY;
    }

    return INVSYNC_ACT_APPLIED;
}


/* the call, its reply in *r, or appended when r is NULL; -1: no memory
 * (or, appended, no session) */

static int
invsync_route_read_call(invsync_worker_t *w, invsync_route_input_t *in,
    redisReply **r)
{
    int           rc;
    char          prefix[INVSYNC_ACTION_KEY_LEN];
    char          counts[1 + INVSYNC_ROUTE_MAX_LINES][16];
    char          refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    char         *keys;
    size_t        i, k, nrefs, argc, cap, *argvlen;
    const char  **argv;

    cap = 3 + in->nraw * (1 + INVSYNC_STOCK_REFS);
    argv = malloc(cap * sizeof(char *));
    argvlen = malloc(cap * sizeof(size_t));
    keys = malloc(in->nraw * INVSYNC_STOCK_REFS * INVSYNC_ACTION_KEY_LEN + 1);

    if (argv == NULL || argvlen == NULL || keys == NULL) {
        free(argv);
        free(argvlen);
        free(keys);
        return -1;
    }

    argc = 0;
    argvlen[argc] = invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    argv[argc++] = prefix;
    argvlen[argc] = strlen(in->order_key);
    argv[argc++] = in->order_key;
    argvlen[argc] = (size_t) snprintf(counts[0], sizeof(counts[0]), "%zu",
                                      in->nraw);
    argv[argc++] = counts[0];

    for (i = 0; i < in->nraw; i++) {
        nrefs = invsync_stock_refs(in->raw[i].line, refs);
        argvlen[argc] = (size_t) snprintf(counts[i + 1], sizeof(counts[0]),
                                          "%zu", nrefs);
        argv[argc++] = counts[i + 1];

        for (k = 0; k < nrefs; k++) {
            argv[argc] = keys + (i * INVSYNC_STOCK_REFS + k)
                                * INVSYNC_ACTION_KEY_LEN;
            argvlen[argc] = invsync_key_skuref((char *) argv[argc],
                                               INVSYNC_ACTION_KEY_LEN,
                                               w->conf, in->order.channel,
                                               refs[k]);
            argc++;
        }
    }

    rc = 0;

    if (r != NULL) {
        *r = invsync_redis_eval(w, w->route_read_sha,
                                invsync_script_route_read,
                                invsync_script_route_read_len, 0, (int) argc,
                                argv, argvlen);
    } else {
        rc = invsync_redis_append_evalsha(w, w->route_read_sha, 0,
                                          (int) argc, argv, argvlen);
    }

    free(argv);
    free(argvlen);
    free(keys);

    return rc;
}


/* the answer's header checked, each line's SKU as the refs resolved it */

static int
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
        m++;
    }

    in->order.nlines = m;

    return invsync_route_skus(in, e + 3 + in->nraw,
                              r->elements - 3 - in->nraw, e[1]);
}


/* the SKUs' rows summed, the order's holding added, each line's tags and
 * components */

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


/* one SKU's stock:<sku> fields, NUL-separated field, value pairs: on
 * hand - reserved per location */

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


/* what this order already holds ({loc: {sku: n}}): free for it again */

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


/* a configured location's index, -1 for one no longer configured; the
 * ledger's fields come mostly in the configuration's order, and the
 * decision asks in that order (with the configuration's own pointer),
 * each location once per line: look on from the last one found */

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


/* sku:<sku> "tags", comma-separated, as the line's tag list */

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



/*
 * What the location can give now (the decision's stock callback): on hand
 * minus reserved there, plus what this order already holds there (routing
 * it again releases that in the same step); a bundle, the fewest whole
 * bundles its components allow.
 */

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


static void
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


void
invsync_route_input_free(invsync_route_input_t *in)
{
    size_t  i;

    if (in == NULL) {
        return;
    }

    /* a read fills the slots of the lines it kept, at most one a line */
    for (i = 0; in->slots != NULL && i < in->nraw; i++) {
        free(in->slots[i].tagbuf);
        json_decref(in->slots[i].comps);
    }

    invsync_route_snap_free(in);
    free(in->lines);
    free(in->slots);
    free(in->raw);
    free(in);
}


/* a string member, NULL when absent, null or empty */

static const char *
invsync_route_member(json_t *obj, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    return s != NULL && s[0] != '\0' ? s : NULL;
}
