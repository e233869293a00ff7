
/*
 * The order as the routing decision sees it: destination, value, shipping
 * method and lines from the canonical order, and, in one round trip
 * (route_read.lua), each line's ledger SKU as stock.reserve resolves it
 * (its refs, the first mapped one), the SKUs' tags, bundles' components,
 * the ledger at every location and the order's current allocation; its
 * answer is read by invsync_route_snap.c.
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
static int invsync_route_read_call(invsync_worker_t *w,
    invsync_route_input_t *in, redisReply **r);


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
 * route_read.lua: tags, components, the current allocation, the SKUs
 * whose ledgers to read; then those ledgers, one HGETALL each in a second
 * round trip.  Summed into one row per SKU read (invsync_route_snap.c):
 * what each configured location can give (on hand - reserved, plus what
 * this order already holds there), so that the decision's stock callback
 * is an index.
 */

invsync_act_rc_e
invsync_route_read(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    redisReply  *r;

    r = NULL;

    invsync_act_rc_e   rc;

    if (invsync_route_read_call(w, in, &r) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_route_read_take(w, in, r, err, len);

    if (rc != INVSYNC_ACT_APPLIED) {
        return rc;
    }

    if (invsync_route_stock_append(w, in) != 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    return invsync_route_stock_take(w, in, err, len);
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

    if (in->order.mode != INVSYNC_ROUTE_SHIP) {
        invsync_route_sale_at(w, &in->order);
    }

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


/* the SKUs' rows summed, the order's holding added, each line's tags and
 * components */


/* one SKU's stock:<sku> fields, NUL-separated field, value pairs: on
 * hand - reserved per location */


/* what this order already holds ({loc: {sku: n}}): free for it again */


/* a configured location's index, -1 for one no longer configured; the
 * ledger's fields come mostly in the configuration's order, and the
 * decision asks in that order (with the configuration's own pointer),
 * each location once per line: look on from the last one found */


/* sku:<sku> "tags", comma-separated, as the line's tag list */


/*
 * What the location can give now (the decision's stock callback): on hand
 * minus reserved there, plus what this order already holds there (routing
 * it again releases that in the same step); a bundle, the fewest whole
 * bundles its components allow.
 */


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
