
/*
 * The ledger side of the actions: an order's lines reserve stock, a
 * cancellation releases it, a shipment consumes it, a restocked refund
 * returns it, and a channel's own inventory change is recognised as the
 * echo of our push or taken as a correction.  Every movement goes through
 * src/lua/ledger.lua, keyed by the order (or fulfilment, refund) and its
 * line, never by the delivery: a webhook and a backfill of the same order
 * move stock once.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_runtime.h"
#include "invsync_reconcile.h"


#define INVSYNC_KEY_LEN  512


/* the arguments of one ledger.lua call */
typedef struct {
    char          done[INVSYNC_KEY_LEN], audit[INVSYNC_KEY_LEN];
    char          prefix[INVSYNC_KEY_LEN], action[64], cause[1024];
    char          ttl[32], now[32], maxlen[32];
    char         *move;
    const char   *argv[32];
    size_t        argvlen[32];
    int           argc;
} invsync_move_args_t;


static int invsync_stock_map(invsync_worker_t *w, const char *channel,
    const char *type, json_t *line, char *sku, size_t cap);
static int invsync_stock_ref(invsync_worker_t *w, const char *channel,
    const char *ref, char *sku, size_t cap);
static invsync_act_rc_e invsync_stock_move(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *order, json_t *lines, json_t **detail, char *err,
    size_t len);
static int invsync_move_args(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *cause, const char *kind,
    const char *order, json_t *lines, invsync_move_args_t *a);
static const char *invsync_stock_str(json_t *obj, const char *key,
    char *buf, size_t cap);
static const char *invsync_stock_location(invsync_worker_t *w,
    const invsync_channel_conf_t *ch);
static int invsync_stock_expected(invsync_worker_t *w,
    const invsync_channel_conf_t *ch, const char *sku, int64_t *qty,
    int *bundle);


invsync_act_rc_e
invsync_stock_order(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                            found, worst;
    char                           sku[256], cause[1024];
    char                           order[256], id[64];
    size_t                         i;
    json_t                        *lines, *line, *one, *detail;
    json_int_t                     qty;
    const char                    *status, *oid;
    invsync_act_rc_e               rc;
    const invsync_channel_conf_t  *ch;

    ch = invsync_conf_channel(w->conf, ev->channel);
    oid = json_string_value(json_object_get(canon, "order_id"));
    status = json_string_value(json_object_get(canon, "status"));

    if (oid == NULL) {
        return INVSYNC_ACT_IGNORED;
    }

    snprintf(order, sizeof(order), "%s:%s", ev->channel, oid);

    if (status != NULL && strcmp(status, "cancelled") == 0) {
        snprintf(cause, sizeof(cause), "release:%s", order);
        return invsync_stock_move(w, ev, cause, "release", order, NULL, NULL,
                                  err, len);
    }

    worst = INVSYNC_ACT_APPLIED;
    lines = json_object_get(canon, "lines");

    json_array_foreach(lines, i, line) {
        qty = json_integer_value(json_object_get(line, "quantity"));

        if (qty <= 0) {
            continue;
        }

        invsync_stock_line_id(line, i, id, sizeof(id));

        found = invsync_stock_map(w, ev->channel, ch->type, line, sku,
                                  sizeof(sku));
        if (found < 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        if (found == 0) {
            rc = invsync_stock_unmapped(w, ev, oid, id, line, err, len);
            if (rc == INVSYNC_ACT_RETRY) {
                return rc;
            }

            worst = INVSYNC_ACT_EXCEPTION;
            continue;
        }

        one = json_pack("[{s:s, s:I}]", "sku", sku, "qty", qty);
        snprintf(cause, sizeof(cause), "reserve:%s:%s", order, id);
        detail = NULL;

        rc = invsync_stock_move(w, ev, cause, "reserve", order, one, &detail,
                                err, len);
        json_decref(one);

        if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
            json_decref(detail);
            return rc;
        }

        rc = invsync_stock_oversold(w, ev, oid, detail, err, len);
        json_decref(detail);

        if (rc == INVSYNC_ACT_RETRY) {
            return rc;
        }

        if (rc == INVSYNC_ACT_EXCEPTION) {
            worst = INVSYNC_ACT_EXCEPTION;
        }
    }

    /* WooCommerce has no fulfilment webhook: "completed" is shipped */
    if (status != NULL && strcmp(status, "completed") == 0
        && strcmp(ch->type, "woocommerce") == 0)
    {
        rc = invsync_stock_ship(w, ev, canon, oid, err, len);
        if (rc == INVSYNC_ACT_RETRY) {
            return rc;
        }
    }

    return (invsync_act_rc_e) worst;
}


/* an order line's own id, for the causes keyed by it */

const char *
invsync_stock_line_id(json_t *line, size_t i, char *id, size_t cap)
{
    invsync_stock_str(line, "channel_line_id", id, cap);

    if (id[0] == '\0') {
        snprintf(id, cap, "line%zu", i);
    }

    return id;
}


/* an order is a fact: it is kept, the unmapped line waits for a person */

invsync_act_rc_e
invsync_stock_unmapped(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *oid, const char *line_id, json_t *line, char *err, size_t len)
{
    char  suffix[1024];

    snprintf(suffix, sizeof(suffix), "%s:%s", oid, line_id);

    return invsync_action_exception(w, ev, line, "unmapped_sku", suffix, oid,
                                    "an order line whose SKU no mapping "
                                    "names", err, len);
}


/*
 * Orders are facts: each shortfall of a reservation's detail goes to a
 * person, every channel already shows 0 (the ledger marked them dirty).
 * INVSYNC_ACT_EXCEPTION when there was one, RETRY when Redis failed.
 */

invsync_act_rc_e
invsync_stock_oversold(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *oid, json_t *detail, char *err, size_t len)
{
    char              suffix[1024];
    size_t            k;
    json_t           *short_;
    invsync_act_rc_e  rc, worst;

    worst = INVSYNC_ACT_APPLIED;

    json_array_foreach(json_object_get(detail, "oversold"), k, short_) {
        snprintf(suffix, sizeof(suffix), "%s:%s", oid,
                 json_string_value(json_object_get(short_, "sku")));
        json_object_set_new(short_, "order", json_string(oid));
        json_object_set_new(short_, "channel", json_string(ev->channel));

        rc = invsync_action_exception(w, ev, short_, "oversold", suffix, oid,
                                      "an order took availability below "
                                      "zero", err, len);
        if (rc == INVSYNC_ACT_RETRY) {
            return rc;
        }

        worst = INVSYNC_ACT_EXCEPTION;
    }

    return worst;
}


/* a shipment consumes what the order reserved, from the default location */

invsync_act_rc_e
invsync_stock_ship(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *cause_id, char *err, size_t len)
{
    int                            found;
    char                           sku[256], cause[1024];
    char                           order[256], id[64];
    size_t                         i;
    json_t                        *line, *one;
    json_int_t                     qty;
    const char                    *oid;
    invsync_act_rc_e               rc;
    const invsync_channel_conf_t  *ch;

    ch = invsync_conf_channel(w->conf, ev->channel);
    oid = json_string_value(json_object_get(canon, "order_id"));
    snprintf(order, sizeof(order), "%s:%s", ev->channel, oid ? oid : "");

    json_array_foreach(json_object_get(canon, "lines"), i, line) {
        qty = json_integer_value(json_object_get(line, "quantity"));

        if (qty <= 0) {
            continue;
        }

        found = invsync_stock_map(w, ev->channel, ch->type, line, sku,
                                  sizeof(sku));
        if (found < 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        if (found == 0) {
            continue;       /* its order line raised the exception */
        }

        invsync_stock_str(line, "channel_line_id", id, sizeof(id));
        snprintf(cause, sizeof(cause), "ship:%s:%s:%s", ev->channel,
                 cause_id, id[0] ? id : sku);

        one = json_pack("[{s:s, s:I, s:s}]", "sku", sku, "qty", qty, "loc",
                        invsync_stock_location(w, ch));
        rc = invsync_stock_move(w, ev, cause, "ship", order, one, NULL, err,
                                len);
        json_decref(one);

        if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
            return rc;
        }
    }

    return INVSYNC_ACT_APPLIED;
}


/* a refund's lines marked restock go back on hand */

invsync_act_rc_e
invsync_stock_restock(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                            found;
    char                           sku[256], cause[1024];
    char                           order[256], id[64];
    size_t                         i;
    json_t                        *line, *one;
    json_int_t                     qty;
    const char                    *oid, *rid;
    invsync_act_rc_e               rc;
    const invsync_channel_conf_t  *ch;

    ch = invsync_conf_channel(w->conf, ev->channel);
    oid = json_string_value(json_object_get(canon, "order_id"));
    rid = json_string_value(json_object_get(canon, "refund_id"));
    snprintf(order, sizeof(order), "%s:%s", ev->channel, oid ? oid : "");

    json_array_foreach(json_object_get(canon, "lines"), i, line) {
        qty = json_integer_value(json_object_get(line, "quantity"));

        if (qty <= 0 || !json_is_true(json_object_get(line, "restock"))) {
            continue;
        }

        found = invsync_stock_map(w, ev->channel, ch->type, line, sku,
                                  sizeof(sku));
        if (found < 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        if (found == 0) {
            continue;
        }

        invsync_stock_str(line, "channel_line_id", id, sizeof(id));
        snprintf(cause, sizeof(cause), "restock:%s:%s:%s", ev->channel,
                 rid ? rid : ev->event, id[0] ? id : sku);

        one = json_pack("[{s:s, s:I, s:s}]", "sku", sku, "qty", qty, "loc",
                        invsync_stock_location(w, ch));
        rc = invsync_stock_move(w, ev, cause, "restock", order, one, NULL,
                                err, len);
        json_decref(one);

        if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
            return rc;
        }
    }

    return INVSYNC_ACT_APPLIED;
}


/*
 * A channel says what it shows now.  A value we pushed recently is the echo
 * of our own push: nothing changes (no sync loop).  Anything else is a
 * change made in the channel's admin: taken as a correction of the stock at
 * the channel's location, or ignored and overwritten by our value, per the
 * channel's external_changes rule.  Sets *decision for the audit.
 */

invsync_act_rc_e
invsync_stock_observe(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                            bundle;
    char                           ref[300], sku[256], cause[1024];
    char                           key[INVSYNC_KEY_LEN], buf[64];
    size_t                         i;
    json_t                        *avail, *one;
    int64_t                        shown, seen, expected;
    redisReply                    *r;
    const char                    *argv[4];
    size_t                         argvlen[4];
    invsync_act_rc_e               rc;
    const invsync_channel_conf_t  *ch;

    ch = invsync_conf_channel(w->conf, ev->channel);
    avail = json_object_get(canon, "available");

    if (!json_is_integer(avail)) {
        json_object_set_new(canon, "decision", json_string("unmanaged"));
        return INVSYNC_ACT_IGNORED;
    }

    seen = json_integer_value(avail);

    if (strcmp(ch->type, "shopify") == 0) {
        snprintf(ref, sizeof(ref), "item:%s",
                 invsync_stock_str(canon, "inventory_item_id", buf,
                                   sizeof(buf)));

    } else if (invsync_stock_str(canon, "variation_id", buf, sizeof(buf))[0]) {
        snprintf(ref, sizeof(ref), "variation:%s", buf);

    } else {
        snprintf(ref, sizeof(ref), "product:%s",
                 invsync_stock_str(canon, "product_id", buf, sizeof(buf)));
    }

    switch (invsync_stock_ref(w, ev->channel, ref, sku, sizeof(sku))) {
    case -1:
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    case 0:
        json_object_set_new(canon, "decision", json_string("unmapped"));
        return INVSYNC_ACT_IGNORED;
    }

    json_object_set_new(canon, "sku", json_string(sku));

    argv[0] = "LRANGE";
    argv[1] = key;
    argv[2] = "0";
    argv[3] = "-1";
    argvlen[0] = 6;
    argvlen[1] = invsync_key(key, sizeof(key), w->conf, "pushed:%s:%s",
                             ev->channel, sku);
    argvlen[2] = 1;
    argvlen[3] = 2;

    r = invsync_redis_cmd(w, 4, argv, argvlen);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (strtoll(r->element[i]->str, NULL, 10) == seen) {
            freeReplyObject(r);
            json_object_set_new(canon, "decision", json_string("echo"));
            return INVSYNC_ACT_IGNORED;
        }
    }

    freeReplyObject(r);

    argv[0] = "HGET";
    argvlen[0] = 4;
    argvlen[1] = invsync_key(key, sizeof(key), w->conf, "shown:%s",
                             ev->channel);
    argv[2] = sku;
    argvlen[2] = strlen(sku);

    r = invsync_redis_cmd(w, 3, argv, argvlen);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "redis: %s", r->str);
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    shown = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
    freeReplyObject(r);

    /* what the ledger says the channel should show now: an order the
     * channel counted itself and we already reserved is no change */
    if (invsync_stock_expected(w, ch, sku, &expected, &bundle) < 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (expected == seen) {
        json_object_set_new(canon, "decision", json_string("consistent"));
        return INVSYNC_ACT_IGNORED;
    }

    /* a bundle has no stock of its own to correct: its quantity is the
     * components', so a change in the channel's admin is overwritten */
    if (!ch->rules.correct || bundle) {
        /*
         * Ours wins: push our value again, whatever the channel is thought
         * to show (an answer to a push still in flight would make the
         * pusher believe the channel shows our value already).
         */
        json_object_set_new(canon, "decision", json_string("overwrite"));

        invsync_key(key, sizeof(key), w->conf, "force:%s", ev->channel);
        r = invsync_redis_cmd(w, 3, (const char *[]) { "SADD", key, sku },
                              (size_t []) { 4, strlen(key), strlen(sku) });
        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        freeReplyObject(r);

        invsync_key(key, sizeof(key), w->conf, "dirty:%s", ev->channel);
        r = invsync_redis_cmd(w, 3, (const char *[]) { "SADD", key, sku },
                              (size_t []) { 4, strlen(key), strlen(sku) });
        if (r == NULL) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        freeReplyObject(r);
        return INVSYNC_ACT_APPLIED;
    }

    json_object_set_new(canon, "decision", json_string("correct"));
    json_object_set_new(canon, "delta", json_integer(seen - shown));

    /* the channel shows it now; the pusher compares with this */
    r = invsync_redis_cmd(w, 4, (const char *[]) { "HSET", key, sku,
                                                   buf },
                          (size_t []) { 4, argvlen[1], strlen(sku),
                                        (size_t) snprintf(buf, sizeof(buf),
                                                          "%lld",
                                                          (long long) seen) });
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    freeReplyObject(r);

    one = json_pack("[{s:s, s:I, s:s}]", "sku", sku,
                    "qty", (json_int_t) (seen - shown),
                    "loc", invsync_stock_location(w, ch));
    snprintf(cause, sizeof(cause), "external:%s:%s", ev->channel, ev->event);

    rc = invsync_stock_move(w, ev, cause, "adjust", "", one, NULL, err, len);
    json_decref(one);

    return rc;
}


/* the canonical SKU of a channel's line: by its SKU text, then its ids */

static int
invsync_stock_map(invsync_worker_t *w, const char *channel, const char *type,
    json_t *line, char *sku, size_t cap)
{
    int     rc;
    char    refs[2][INVSYNC_REF_LEN];
    size_t  i, n;

    n = invsync_stock_refs(type, line, refs);

    for (i = 0; i < n; i++) {
        rc = invsync_stock_ref(w, channel, refs[i], sku, cap);
        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


/*
 * Where a line's canonical SKU may be found, first match wins: its SKU
 * text, then its variation (WooCommerce) or product id.  Returns how many.
 */

size_t
invsync_stock_refs(const char *type, json_t *line,
    char refs[2][INVSYNC_REF_LEN])
{
    char         buf[64];
    size_t       n;
    const char  *text;

    n = 0;
    text = json_string_value(json_object_get(line, "sku"));

    if (text != NULL && text[0] != '\0'
        && strlen(text) + 4 < INVSYNC_REF_LEN)
    {
        snprintf(refs[n++], INVSYNC_REF_LEN, "sku:%s", text);
    }

    if (strcmp(type, "woocommerce") == 0
        && invsync_stock_str(line, "variation_id", buf, sizeof(buf))[0]
        && strcmp(buf, "0") != 0)
    {
        snprintf(refs[n++], INVSYNC_REF_LEN, "variation:%s", buf);

    } else if (invsync_stock_str(line, "product_id", buf, sizeof(buf))[0]) {
        snprintf(refs[n++], INVSYNC_REF_LEN, "product:%s", buf);
    }

    return n;
}


/* a ref's GET appended to the pipeline (a batch of orders) */

int
invsync_stock_ref_append(invsync_worker_t *w, const char *channel,
    const char *ref)
{
    char  key[INVSYNC_KEY_LEN];

    if (w->redis == NULL) {
        return -1;
    }

    invsync_key(key, sizeof(key), w->conf, "skuref:%s:%s", channel, ref);

    return redisAppendCommand(w->redis, "GET %s", key) == REDIS_OK ? 0 : -1;
}


/* its reply: 1 found (sku set), 0 not; takes r */

int
invsync_stock_ref_reply(redisReply *r, char *sku, size_t cap)
{
    if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0
        || r->len >= cap)
    {
        freeReplyObject(r);
        return 0;
    }

    memcpy(sku, r->str, r->len + 1);
    freeReplyObject(r);

    return 1;
}


/* 1 found, 0 no such mapping, -1 the Redis session was lost */

static int
invsync_stock_ref(invsync_worker_t *w, const char *channel, const char *ref,
    char *sku, size_t cap)
{
    char         key[INVSYNC_KEY_LEN];
    const char  *argv[2];
    size_t       argvlen[2];
    redisReply  *r;

    argv[0] = "GET";
    argvlen[0] = 3;
    argv[1] = key;
    argvlen[1] = invsync_key(key, sizeof(key), w->conf, "skuref:%s:%s",
                             channel, ref);

    r = invsync_redis_cmd(w, 2, argv, argvlen);
    if (r == NULL) {
        return -1;
    }

    return invsync_stock_ref_reply(r, sku, cap);
}


/* one ledger.lua call; *detail (if asked) gets {moved, oversold} */

static invsync_act_rc_e
invsync_stock_move(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *order, json_t *lines,
    json_t **detail, char *err, size_t len)
{
    redisReply           *r;
    invsync_move_args_t   a;

    if (invsync_move_args(w, ev, cause, kind, order, lines, &a) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    r = invsync_redis_eval(w, w->ledger_sha, invsync_script_ledger,
                           invsync_script_ledger_len, 2, a.argc, a.argv,
                           a.argvlen);
    free(a.move);

    return invsync_stock_move_reply(r, detail, err, len);
}


/* the same call appended to the pipeline (-1: out of memory) */

int
invsync_stock_move_append(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *order, json_t *lines)
{
    int                   rc;
    invsync_move_args_t   a;

    if (invsync_move_args(w, ev, cause, kind, order, lines, &a) != 0) {
        return -1;
    }

    rc = invsync_redis_append_evalsha(w, w->ledger_sha, 2, a.argc, a.argv,
                                      a.argvlen);
    free(a.move);

    return rc;
}


/* ledger.lua's answer; takes r (NULL: the connection was lost) */

invsync_act_rc_e
invsync_stock_move_reply(redisReply *r, json_t **detail, char *err,
    size_t len)
{
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        snprintf(err, len, "ledger: %s", r->type == REDIS_REPLY_ERROR
                                         ? r->str : "bad reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    if (r->element[0]->integer == 0) {
        freeReplyObject(r);
        return INVSYNC_ACT_DUPLICATE;
    }

    if (detail != NULL && r->elements == 3) {
        *detail = json_loads(r->element[2]->str, 0, NULL);
    }

    freeReplyObject(r);

    return INVSYNC_ACT_APPLIED;
}


/* the arguments of one ledger.lua call; a->move is the caller's to free */

static int
invsync_move_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *cause, const char *kind, const char *order, json_t *lines,
    invsync_move_args_t *a)
{
    int      argc;
    size_t   i;
    json_t  *m;

    m = json_pack("{s:s, s:s, s:o}", "kind", kind, "order", order,
                  "lines", lines ? json_incref(lines) : json_array());

    a->move = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);

    if (a->move == NULL) {
        return -1;
    }

    invsync_key(a->done, sizeof(a->done), w->conf, "done:ledger:%s", cause);
    invsync_key(a->audit, sizeof(a->audit), w->conf, "audit");
    invsync_key(a->prefix, sizeof(a->prefix), w->conf, "%s", "");
    snprintf(a->ttl, sizeof(a->ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(a->now, sizeof(a->now), "%lld", (long long) invsync_now_ms());
    snprintf(a->maxlen, sizeof(a->maxlen), "%ld", w->conf->audit_max_len);
    snprintf(a->action, sizeof(a->action), "stock.%s", kind);
    snprintf(a->cause, sizeof(a->cause), "%s", cause);

    argc = 0;
    a->argv[argc++] = a->done;
    a->argv[argc++] = a->audit;
    a->argv[argc++] = a->ttl;
    a->argv[argc++] = a->now;
    a->argv[argc++] = a->prefix;
    a->argv[argc++] = a->move;
    a->argv[argc++] = a->maxlen;

#define invsync_field(k, v)  a->argv[argc++] = (k); a->argv[argc++] = (v)

    invsync_field("ts", a->now);
    invsync_field("action", a->action);
    invsync_field("channel", ev->channel);
    invsync_field("event", ev->event);
    invsync_field("topic", ev->topic);
    invsync_field("stream", ev->stream);
    invsync_field("entry", ev->entry);
    invsync_field("order", order);
    invsync_field("inputs", a->move);
    invsync_field("cause", a->cause);
    invsync_field("consumer", w->conf->consumer);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        a->argvlen[i] = strlen(a->argv[i]);
    }

    a->argc = argc;

    return 0;
}


/* a member as text: strings as they are, integers in decimal */

static const char *
invsync_stock_str(json_t *obj, const char *key, char *buf, size_t cap)
{
    json_t  *v;

    v = json_object_get(obj, key);
    buf[0] = '\0';

    if (json_is_string(v)) {
        snprintf(buf, cap, "%s", json_string_value(v));

    } else if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }

    return buf;
}


/*
 * What the ledger says the channel should show of sku, a bundle's derived
 * quantity included (the pusher's own rule); *bundle set for a bundle.
 * -1 when the Redis session was lost.
 */

static int
invsync_stock_expected(invsync_worker_t *w, const invsync_channel_conf_t *ch,
    const char *sku, int64_t *qty, int *bundle)
{
    int          bad;
    char         key[INVSYNC_KEY_LEN], def[INVSYNC_KEY_LEN];
    redisReply  *st, *comp;

    invsync_key(key, sizeof(key), w->conf, "stock:%s", sku);
    invsync_key(def, sizeof(def), w->conf, "sku:%s", sku);

    st = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key, NULL });
    comp = st ? invsync_redis_cmdv(w, (const char *[]) { "HGET", def,
                                                         "components",
                                                         NULL })
              : NULL;

    if (comp == NULL) {
        freeReplyObject(st);
        return -1;
    }

    bad = 0;
    *bundle = comp->type == REDIS_REPLY_STRING && comp->len > 0;
    *qty = invsync_reconcile_should(w, ch, st, comp, &bad);

    if (bad) {
        *qty = -1;
    }

    freeReplyObject(st);
    freeReplyObject(comp);

    return w->redis ? 0 : -1;
}


/* where a channel's stock moves land: its first location, or the default */

static const char *
invsync_stock_location(invsync_worker_t *w, const invsync_channel_conf_t *ch)
{
    return ch->rules.nlocations ? ch->rules.location[0]
                                : w->conf->default_location;
}
