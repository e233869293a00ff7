
/*
 * The order as the routing decision sees it: destination, value, shipping
 * method and lines from the canonical order, each line's ledger SKU as
 * stock.reserve resolves it (its refs, the first mapped one; all lines'
 * in one pipeline), and, in one round trip (route_read.lua), the SKUs'
 * tags, bundles' components, the ledger at every location and the order's
 * current allocation.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static const char *invsync_route_member(json_t *obj, const char *key);
static invsync_act_rc_e invsync_route_lines(invsync_worker_t *w,
    const char *channel, json_t *canon, invsync_route_input_t *in,
    char *err, size_t len);
static invsync_act_rc_e invsync_route_resolved(invsync_worker_t *w,
    invsync_route_input_t *in, json_t **lines, const size_t *nrefs, size_t n,
    char *err, size_t len);
static void invsync_route_tags(invsync_route_input_t *in, size_t i,
    const char *tags);
static int64_t invsync_route_free_one(json_t *snap, const char *sku,
    const char *loc);


invsync_act_rc_e
invsync_route_input(invsync_worker_t *w, const char *channel, json_t *canon,
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
    o->lines = in->lines;

    return invsync_route_lines(w, channel, canon, in, err, len);
}


/*
 * The lines stock.reserve reserved: quantity > 0 and a mapped SKU, each
 * resolved by its refs as stock.reserve resolves it (first mapped wins),
 * every line's GETs in one round trip as the order batch sends them.
 */

static invsync_act_rc_e
invsync_route_lines(invsync_worker_t *w, const char *channel, json_t *canon,
    invsync_route_input_t *in, char *err, size_t len)
{
    char                   refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    size_t                 i, k, n, nrefs[INVSYNC_ROUTE_MAX_LINES];
    json_t                *line, *lines[INVSYNC_ROUTE_MAX_LINES];
    json_int_t             qty;

    n = 0;

    json_array_foreach(json_object_get(canon, "lines"), i, line) {
        qty = json_integer_value(json_object_get(line, "quantity"));

        if (qty <= 0) {
            continue;
        }

        if (n == INVSYNC_ROUTE_MAX_LINES) {
            snprintf(err, len, "route: more than %d lines",
                     INVSYNC_ROUTE_MAX_LINES);
            return INVSYNC_ACT_POISON;
        }

        invsync_stock_line_id(line, i, in->slots[n].line_id,
                              sizeof(in->slots[n].line_id));
        lines[n] = line;
        nrefs[n] = invsync_stock_refs(line, refs);

        for (k = 0; k < nrefs[n]; k++) {
            if (invsync_stock_ref_append(w, channel, refs[k]) != 0) {
                snprintf(err, len, "redis connection lost");
                return INVSYNC_ACT_RETRY;
            }
        }

        n++;
    }

    return invsync_route_resolved(w, in, lines, nrefs, n, err, len);
}


/* the GETs' answers: the first mapped ref of each line is its SKU */

static invsync_act_rc_e
invsync_route_resolved(invsync_worker_t *w, invsync_route_input_t *in,
    json_t **lines, const size_t *nrefs, size_t n, char *err, size_t len)
{
    int                    found;
    size_t                 i, k, m;
    redisReply            *r;
    invsync_route_slot_t  *slot;

    m = 0;

    for (i = 0; i < n; i++) {
        slot = &in->slots[m];
        found = 0;

        for (k = 0; k < nrefs[i]; k++) {
            r = invsync_redis_reply(w);
            if (r == NULL) {
                snprintf(err, len, "redis connection lost");
                return INVSYNC_ACT_RETRY;
            }

            if (found) {
                freeReplyObject(r);
                continue;
            }

            found = invsync_stock_ref_reply(r, slot->sku, sizeof(slot->sku));
        }

        if (!found) {
            continue;   /* unmapped: its exception is stock.reserve's */
        }

        if (m != i) {
            memcpy(slot->line_id, in->slots[i].line_id, sizeof(slot->line_id));
        }

        in->lines[m].line_id = slot->line_id;
        in->lines[m].sku = slot->sku;
        in->lines[m].qty = json_integer_value(json_object_get(lines[i],
                                                              "quantity"));
        m++;
    }

    in->order.nlines = m;

    return INVSYNC_ACT_APPLIED;
}


/* route_read.lua: tags, components, the ledger, the current allocation */

invsync_act_rc_e
invsync_route_read(invsync_worker_t *w, invsync_route_input_t *in,
    char *err, size_t len)
{
    char         prefix[INVSYNC_ACTION_KEY_LEN];
    size_t       i, argc, argvlen[INVSYNC_ROUTE_MAX_LINES + 2];
    const char  *argv[INVSYNC_ROUTE_MAX_LINES + 2];
    redisReply  *r;

    invsync_key_prefix(prefix, sizeof(prefix), w->conf);

    argc = 0;
    argv[argc++] = prefix;
    argv[argc++] = in->order_key;

    for (i = 0; i < in->order.nlines; i++) {
        argv[argc++] = in->lines[i].sku;
    }

    for (i = 0; i < argc; i++) {
        argvlen[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->route_read_sha, invsync_script_route_read,
                           invsync_script_route_read_len, 0, (int) argc,
                           argv, argvlen);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    json_decref(in->snap);
    in->snap = r->type == REDIS_REPLY_STRING
               ? json_loadb(r->str, r->len, 0, NULL) : NULL;

    if (in->snap == NULL) {
        snprintf(err, len, "route_read: %s", r->type == REDIS_REPLY_ERROR
                                             ? r->str : "bad reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    freeReplyObject(r);

    for (i = 0; i < in->order.nlines; i++) {
        invsync_route_tags(in, i, invsync_route_member(json_object_get(
            json_object_get(in->snap, "skus"), in->lines[i].sku), "tags"));
    }

    return INVSYNC_ACT_APPLIED;
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
    int64_t                 n, best;
    json_t                 *comps, *q;
    const char             *c;
    invsync_route_input_t  *in;

    in = ctx;
    comps = json_object_get(json_object_get(json_object_get(in->snap,
                                                            "skus"), sku),
                            "components");

    if (!json_is_object(comps)) {
        return invsync_route_free_one(in->snap, sku, location);
    }

    best = -1;

    json_object_foreach(comps, c, q) {
        n = invsync_route_free_one(in->snap, c, location);
        n = n > 0 && json_integer_value(q) > 0
            ? n / json_integer_value(q) : 0;

        if (best < 0 || n < best) {
            best = n;
        }
    }

    return best < 0 ? 0 : best;
}


static int64_t
invsync_route_free_one(json_t *snap, const char *sku, const char *loc)
{
    json_t  *st, *held;

    st = json_object_get(json_object_get(snap, "stock"), sku);
    held = json_object_get(json_object_get(snap, "held"), loc);

    return json_integer_value(json_object_get(st, loc))
           + json_integer_value(json_object_get(held, sku));
}


void
invsync_route_input_free(invsync_route_input_t *in)
{
    size_t  i;

    if (in == NULL) {
        return;
    }

    for (i = 0; i < INVSYNC_ROUTE_MAX_LINES; i++) {
        free(in->slots[i].tagbuf);
    }

    json_decref(in->snap);
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
