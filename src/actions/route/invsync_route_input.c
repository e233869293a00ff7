
/*
 * The order as the routing decision sees it: destination, value, shipping
 * method and lines from the canonical order; then, in a first round trip,
 * the order's current allocation and each line's ledger SKU as
 * stock.reserve resolves it (its refs, the first mapped one).  The SKUs'
 * tags, bundles' components and the ledger at every location are read
 * after (invsync_route_snap.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static const char *invsync_route_member(json_t *obj, const char *key);
static invsync_route_mode_e invsync_route_mode(json_t *canon,
    const char **sold_at);
static void invsync_route_sale_at(invsync_worker_t *w,
    invsync_route_order_t *o);
static invsync_act_rc_e invsync_route_lines(json_t *canon,
    invsync_route_input_t *in, char *err, size_t len);
static int invsync_route_alloc_read(invsync_route_input_t *in,
    redisReply *a, char *err, size_t len);
static int invsync_route_refs_read(invsync_route_input_t *in,
    redisReply *m, char *err, size_t len);
static int invsync_route_refused(const redisReply *r, const char *what,
    char *err, size_t len);


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
    o->mode = invsync_route_mode(canon, &o->sold_at);

    return invsync_route_lines(canon, in, err, len);
}


/*
 * The canonical order's "fulfilment" (its channel's normalizer sets it):
 * "pickup" and "none" (sold at the counter) are placed where the sale
 * happened; missing or anything else is shipped.
 */

static invsync_route_mode_e
invsync_route_mode(json_t *canon, const char **sold_at)
{
    json_t      *f;
    const char  *mode;

    f = json_object_get(canon, "fulfilment");
    mode = invsync_route_member(f, "mode");
    *sold_at = invsync_route_member(f, "location_id");

    if (mode != NULL && strcmp(mode, "pickup") == 0) {
        return INVSYNC_ROUTE_PICKUP;
    }

    if (mode != NULL && strcmp(mode, "none") == 0) {
        return INVSYNC_ROUTE_COUNTER;
    }

    return INVSYNC_ROUTE_SHIP;
}


/*
 * The lines stock.reserve reserved: quantity > 0; the first read resolves
 * each by its refs as stock.reserve does (first mapped wins) and keeps
 * the mapped ones.
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
 * The reads, a round trip each: the order's allocation and its lines'
 * skuref: keys (invsync_route_read_take()); then each SKU's tags,
 * components and ledger (invsync_route_snap.c), a bundle's components'
 * ledgers in a third only when the order has one.  Summed into one row
 * per SKU read: what each configured location can give (on hand -
 * reserved, plus what this order already holds there), so that the
 * decision's stock callback is an index.  Plain commands: one script
 * doing the first two reads cost Redis 9.7 us a decision, the commands
 * sent plainly about a third of that (docs/performance.md, "The reads
 * as plain commands").  Nothing needs them in one step: route.lua
 * re-checks the allocation (its seq) and the stock the decision used.
 */

invsync_act_rc_e
invsync_route_read(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    invsync_act_rc_e  rc;

    if (invsync_route_read_append(w, in) != 0) {
        snprintf(err, len, "%s", w->redis == NULL ? "redis connection lost"
                                                  : "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_route_read_take(w, in, err, len);

    if (rc != INVSYNC_ACT_APPLIED || in->order.nlines == 0) {
        return rc;
    }

    if (invsync_route_stock_append(w, in) != 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_route_stock_take(w, in, err, len);

    return rc == INVSYNC_ACT_APPLIED ? invsync_route_stock_done(w, in, err,
                                                                len)
                                     : rc;
}


/*
 * Where a pickup or counter sale happened, as a ledger location: the
 * channel's own map of its locations when it has one (its row's
 * sale_location, from its options): a location the map does not name is
 * unknown (o->at NULL: unroutable, unknown_location), never the stock
 * location, which with several stores is another store's; without a map,
 * where the channel's stock levels are placed: its first
 * stock.locations, else the default location (docs/routing.md, "Pickup
 * and counter sales").
 */

static void
invsync_route_sale_at(invsync_worker_t *w, invsync_route_order_t *o)
{
    int                            mapped;
    const invsync_channel_t       *row;
    const invsync_channel_conf_t  *ch;

    ch = invsync_conf_channel(w->conf, o->channel);

    if (ch == NULL) {
        o->at = w->conf->default_location;
        return;
    }

    row = invsync_channel_find(ch->type);
    mapped = 0;
    o->at = o->sold_at != NULL && invsync_channel_can(row, sale_location)
            ? row->sale_location(ch, o->sold_at, &mapped) : NULL;

    if (o->at == NULL && !mapped) {
        o->at = invsync_stock_location(w, ch);
    }
}


/*
 * The first reads appended: HMGET alloc:<order> seq held, and one MGET
 * of every line's skuref: keys (none when no line has a ref).  -1: out
 * of memory, or no session (w->redis NULL: a half-appended read closes
 * it, so no answer is left to be taken for another).
 */

int
invsync_route_read_append(invsync_worker_t *w, invsync_route_input_t *in)
{
    int           rc;
    char          key[INVSYNC_ACTION_KEY_LEN];
    char          refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    char         *keys;
    size_t        i, k, n;
    const char  **argv;

    argv = malloc((2 + in->nraw * INVSYNC_STOCK_REFS) * sizeof(char *));
    keys = malloc(in->nraw * INVSYNC_STOCK_REFS * INVSYNC_ACTION_KEY_LEN + 1);

    if (argv == NULL || keys == NULL) {
        free(argv);
        free(keys);
        return -1;
    }

    n = 0;
    argv[n++] = "MGET";

    for (i = 0; i < in->nraw; i++) {
        in->raw[i].nrefs = invsync_stock_refs(in->raw[i].line, refs);

        for (k = 0; k < in->raw[i].nrefs; k++) {
            argv[n] = keys + (n - 1) * INVSYNC_ACTION_KEY_LEN;
            invsync_key_skuref((char *) argv[n], INVSYNC_ACTION_KEY_LEN,
                               w->conf, in->order.channel, refs[k]);
            n++;
        }
    }

    argv[n] = NULL;
    in->nrefs = n - 1;

    invsync_key_alloc(key, sizeof(key), w->conf, in->order_key);
    rc = invsync_redis_appendv(w, (const char *[]) { "HMGET", key, "seq",
                                                     "held", NULL });

    if (rc == 0 && in->nrefs > 0 && invsync_redis_appendv(w, argv) != 0) {
        invsync_redis_close(w);
        rc = -1;
    }

    free(argv);
    free(keys);

    return rc;
}


/* their answers, both taken: the allocation's seq and held, each line's
 * SKU (INVSYNC_ACT_RETRY with err: the connection lost, or an answer
 * refused, e.g. an alloc: that is no hash) */

invsync_act_rc_e
invsync_route_read_take(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    int          ok;
    redisReply  *a, *m;

    a = invsync_redis_reply(w);
    m = a != NULL && in->nrefs > 0 ? invsync_redis_reply(w) : NULL;

    if (a == NULL || (in->nrefs > 0 && m == NULL)) {
        if (a != NULL) {
            freeReplyObject(a);
        }

        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    invsync_route_snap_free(in);
    in->rc = w->conf->routing;

    if (in->order.mode != INVSYNC_ROUTE_SHIP) {
        invsync_route_sale_at(w, &in->order);
    }

    ok = invsync_route_alloc_read(in, a, err, len) == 0
         && invsync_route_refs_read(in, m, err, len) == 0;

    freeReplyObject(a);

    if (m != NULL) {
        freeReplyObject(m);
    }

    return ok ? INVSYNC_ACT_APPLIED : INVSYNC_ACT_RETRY;
}


/* HMGET alloc:<order> seq held: each a string or nil (none yet) */

static int
invsync_route_alloc_read(invsync_route_input_t *in, redisReply *a,
    char *err, size_t len)
{
    size_t  i;

    if (a->type != REDIS_REPLY_ARRAY || a->elements != 2) {
        return invsync_route_refused(a, "alloc", err, len);
    }

    for (i = 0; i < 2; i++) {
        if (a->element[i]->type != REDIS_REPLY_STRING
            && a->element[i]->type != REDIS_REPLY_NIL)
        {
            return invsync_route_refused(a, "alloc", err, len);
        }
    }

    snprintf(in->seq, sizeof(in->seq), "%s",
             a->element[0]->type == REDIS_REPLY_STRING ? a->element[0]->str
                                                       : "");

    if (a->element[1]->type == REDIS_REPLY_STRING && a->element[1]->len > 0) {
        in->held = malloc(a->element[1]->len + 1);

        if (in->held == NULL) {
            snprintf(err, len, "out of memory");
            return -1;
        }

        memcpy(in->held, a->element[1]->str, a->element[1]->len + 1);
        in->held_len = a->element[1]->len;
    }

    return 0;
}


/*
 * Each line's SKU as stock.reserve resolves it: the first of its refs
 * whose skuref: key holds a SKU (MGET answers nil for a key that holds
 * no string, as stock.reserve's GET fails for it); a line none maps, or
 * mapped to a longer SKU than a slot holds, is not placed (its exception
 * is stock.reserve's).
 */

static int
invsync_route_refs_read(invsync_route_input_t *in, redisReply *m,
    char *err, size_t len)
{
    size_t                 i, k, at, n;
    redisReply            *v, *sku;
    invsync_route_slot_t  *slot;

    if (m != NULL && (m->type != REDIS_REPLY_ARRAY
                      || m->elements != in->nrefs))
    {
        return invsync_route_refused(m, "skuref", err, len);
    }

    at = 0;
    n = 0;

    for (i = 0; i < in->nraw; i++) {
        sku = NULL;

        for (k = 0; k < in->raw[i].nrefs; k++) {
            v = m->element[at + k];

            if (sku == NULL && v->type == REDIS_REPLY_STRING && v->len > 0) {
                sku = v;
            }
        }

        at += in->raw[i].nrefs;
        slot = &in->slots[n];

        if (sku == NULL || sku->len >= sizeof(slot->sku)) {
            continue;
        }

        memcpy(slot->sku, sku->str, sku->len + 1);
        snprintf(slot->line_id, sizeof(slot->line_id), "%s",
                 in->raw[i].line_id);
        in->lines[n].line_id = slot->line_id;
        in->lines[n].sku = slot->sku;
        in->lines[n].qty = json_integer_value(json_object_get(
                               in->raw[i].line, "quantity"));
        in->lines[n].no_parcel = json_is_false(json_object_get(
                                     in->raw[i].line, "requires_shipping"));
        n++;
    }

    in->order.nlines = n;

    return 0;
}


/* -1, err naming the read and what Redis answered */

static int
invsync_route_refused(const redisReply *r, const char *what, char *err,
    size_t len)
{
    snprintf(err, len, "route read: %s: %s", what,
             r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
    return -1;
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
