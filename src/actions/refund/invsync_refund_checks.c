
/*
 * The checks a refund passes before its money and its units move
 * (docs/returns.md, "Exceptions"), each a case for a person when it
 * fails, with what that person needs to act:
 *
 * - refund_currency_mismatch: the refund is not in its order's currency
 *   (refund.record holds the whole refund: a payment reference that
 *   found the wrong order looks just like this);
 * - refund_over_quantity: a line refunds more units than the order sold,
 *   with what earlier refunds of the order took (the refund.check row:
 *   the line is restocked up to what was sold, never beyond);
 * - refund_sku_unmapped: a line to restock whose SKU no mapping names
 *   any more (stock.restock: nothing moves, nothing is lost; once the
 *   SKU is mapped, `invsyncctl exceptions retry` restocks it).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_actions.h"
#include "invsync_refund_steps.h"


static json_t *invsync_refund_sold_line(json_t *order, json_t *line,
    char *key, size_t cap);
static invsync_act_rc_e invsync_refund_count(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *order,
    const char *ref, char *err, size_t len);
static invsync_act_rc_e invsync_refund_over(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *line,
    const char *ref, const char *key, int64_t sold, long long before,
    char *err, size_t len);
static const char *invsync_refund_own_order(const invsync_envelope_t *ev,
    json_t *canon);


/*
 * refund.record's: APPLIED when the refund's currency is its order's (or
 * either does not say), else the exception, nothing recorded.
 */

invsync_act_rc_e
invsync_refund_check_currency(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon,
    const invsync_refund_order_t *o, char *err, size_t len)
{
    char              suffix[INVSYNC_ACTION_KEY_LEN];
    json_t           *data;
    const char       *ocur;
    invsync_act_rc_e  rc;

    if (invsync_refund_currency_ok(canon, o)) {
        return INVSYNC_ACT_APPLIED;
    }

    ocur = invsync_action_str(o->data, "currency");

    snprintf(suffix, sizeof(suffix), "%s:%s:%s", o->channel, o->id,
             invsync_action_str(canon, "refund_id"));

    data = json_pack("{s:O, s:{s:s, s:s, s:s, s:O?}}", "refund", canon,
                     "order", "channel", o->channel, "order_id", o->id,
                     "currency", ocur,
                     "total_minor", json_object_get(o->data, "total_minor"));
    if (data == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_action_exception(w, ev, data, "refund_currency_mismatch",
                                  suffix, strcmp(o->channel, ev->channel) == 0
                                          ? o->id : NULL,
                                  "a refund in another currency than its "
                                  "order's", err, len);
    json_decref(data);

    return rc;
}


/* the refund's currency is its order's, or either does not say */

int
invsync_refund_currency_ok(json_t *canon, const invsync_refund_order_t *o)
{
    const char  *cur, *ocur;

    cur = invsync_action_str(canon, "currency");
    ocur = invsync_action_str(o->data, "currency");

    return cur[0] == '\0' || ocur[0] == '\0' || strcasecmp(cur, ocur) == 0;
}


/*
 * The refund.check row, after refund.record: the refund's own lines
 * counted against what the order sold (refundqty.lua, once per refund
 * line).  A line beyond it keeps, as its "quantity", only the units that
 * were sold and not refunded before (the restock and the journal after
 * it see no more), "quantity_refunded" the units it named and
 * "beyond_sold" the difference; its exception is opened by the delivery
 * that counted it.  Lines taken from the order (an amount-only refund)
 * restock nothing and are not counted.
 */

invsync_act_rc_e
invsync_refund_check_lines(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char                     ref[INVSYNC_ACTION_KEY_LEN];
    const char              *och, *oid;
    invsync_act_rc_e         arc;
    invsync_refund_order_t   o;
    invsync_refund_match_e   rc;

    if (strcmp(invsync_action_str(canon, "lines_from"), "refund") != 0) {
        return INVSYNC_ACT_APPLIED;
    }

    och = invsync_action_str(canon, "order_channel");
    oid = invsync_action_str(canon, "order_id");

    if (och[0] == '\0' || oid[0] == '\0') {
        return INVSYNC_ACT_APPLIED;
    }

    memset(&o, 0, sizeof(invsync_refund_order_t));
    snprintf(o.channel, sizeof(o.channel), "%s", och);
    snprintf(o.id, sizeof(o.id), "%s", oid);

    rc = invsync_refund_order_data(w, &o, err, len);
    if (rc == INVSYNC_REFUND_MATCH_FAILED) {
        return INVSYNC_ACT_RETRY;
    }

    if (rc == INVSYNC_REFUND_MATCH_NONE) {
        return INVSYNC_ACT_APPLIED;     /* its record expired: not known */
    }

    snprintf(ref, sizeof(ref), "%s:%s", och, oid);
    arc = invsync_refund_count(w, ev, canon, o.data, ref, err, len);
    json_decref(o.data);

    return arc;
}


/* refundqty.lua for the lines of canon that name a line of order */
static invsync_act_rc_e
invsync_refund_count(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, json_t *order, const char *ref, char *err, size_t len)
{
    redisReply              *r;
    invsync_act_rc_e         rc;
    invsync_refund_count_t  *c;

    c = malloc(sizeof(invsync_refund_count_t));
    if (c == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    if (invsync_refund_count_args(w, ev, canon, order, ref, c) == 0) {
        free(c);
        return INVSYNC_ACT_APPLIED;
    }

    r = invsync_redis_eval(w, w->refundqty_sha, invsync_script_refundqty,
                           invsync_script_refundqty_len, 1, c->argc,
                           c->argv, c->argvlen);

    rc = invsync_refund_count_reply(w, ev, canon, ref, c, r, err, len);
    free(c);

    return rc;
}


/*
 * refundqty.lua's arguments in c for the lines of canon that name a line
 * of order (ref "<channel>:<order id>"): how many lines it counts (0:
 * none, no call to make).  Alone above, or appended by a batch.
 */

size_t
invsync_refund_count_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, json_t *order, const char *ref, invsync_refund_count_t *c)
{
    int       i;
    size_t    k;
    json_t   *line, *sold;

    invsync_key_refunded(c->key, sizeof(c->key), w->conf, ref);
    snprintf(c->ttl, sizeof(c->ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(c->who, sizeof(c->who), "%s:%s", ev->channel,
             invsync_action_str(canon, "refund_id"));

    c->argv[0] = c->key;
    c->argv[1] = c->ttl;
    c->argv[2] = c->who;
    c->argc = 3;
    c->n = 0;

    json_array_foreach(json_object_get(canon, "lines"), k, line) {
        sold = invsync_refund_sold_line(order, line, c->keys[c->n], 256);

        if (sold == NULL || c->n == INVSYNC_CHECK_LINES) {
            continue;       /* not a line the order has: not counted */
        }

        snprintf(c->nums[c->n][0], 32, "%zu", k);
        snprintf(c->nums[c->n][1], 32, "%lld", (long long)
                 invsync_action_int(line, "quantity", 0));
        snprintf(c->nums[c->n][2], 32, "%lld", (long long)
                 invsync_action_int(sold, "quantity", 0));
        c->argv[c->argc++] = c->nums[c->n][0];
        c->argv[c->argc++] = c->keys[c->n];
        c->argv[c->argc++] = c->nums[c->n][1];
        c->argv[c->argc++] = c->nums[c->n][2];
        c->at[c->n++] = k;
    }

    for (i = 0; i < c->argc; i++) {
        c->argvlen[i] = strlen(c->argv[i]);
    }

    return c->n;
}


/*
 * refundqty.lua's answer r (taken; NULL: the session was lost): each line
 * beyond what was sold cut to what may move, and its exception opened by
 * the delivery that counted it.
 */

invsync_act_rc_e
invsync_refund_count_reply(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *ref, invsync_refund_count_t *c, redisReply *r,
    char *err, size_t len)
{
    size_t            i;
    json_t           *line;
    redisReply       *e;
    long long         qty;
    invsync_act_rc_e  rc, worst;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != c->n) {
        snprintf(err, len, "refundqty: %s", r != NULL && r->type
                 == REDIS_REPLY_ERROR ? r->str : "redis connection lost");
        if (r != NULL) {
            freeReplyObject(r);
        }
        return INVSYNC_ACT_RETRY;
    }

    worst = INVSYNC_ACT_APPLIED;

    for (i = 0; i < c->n; i++) {
        e = r->element[i];
        qty = strtoll(c->nums[i][1], NULL, 10);

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 3
            || e->element[0]->integer >= qty)
        {
            continue;
        }

        line = json_array_get(json_object_get(canon, "lines"), c->at[i]);
        json_object_set_new(line, "quantity_refunded", json_integer(qty));
        json_object_set_new(line, "beyond_sold",
                            json_integer(qty - e->element[0]->integer));
        json_object_set_new(line, "quantity",
                            json_integer(e->element[0]->integer));

        if (e->element[2]->integer != 1) {
            continue;       /* counted, and its exception opened, before */
        }

        rc = invsync_refund_over(w, ev, canon, line, ref, c->keys[i],
                                 strtoll(c->nums[i][2], NULL, 10),
                                 e->element[1]->integer, err, len);
        if (rc == INVSYNC_ACT_RETRY) {
            freeReplyObject(r);
            return rc;
        }

        worst = rc;
    }

    freeReplyObject(r);

    return worst;
}


/* the exception of a line (its quantity already cut to what may move) */
static invsync_act_rc_e
invsync_refund_over(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, json_t *line, const char *ref, const char *key,
    int64_t sold, long long before, char *err, size_t len)
{
    char              suffix[INVSYNC_ACTION_KEY_LEN];
    json_t           *data;
    invsync_act_rc_e  rc;

    snprintf(suffix, sizeof(suffix), "%s:%s",
             invsync_action_str(canon, "refund_id"), key);

    data = json_pack("{s:s, s:s, s:O?, s:s, s:O?, s:I, s:I, s:O?, s:O?, "
                     "s:O?, s:O?, s:O?}",
                     "order", ref, "refund_channel", ev->channel,
                     "refund_id", json_object_get(canon, "refund_id"),
                     "line", key, "sku", json_object_get(line, "sku"),
                     "sold", (json_int_t) sold,
                     "refunded_before", (json_int_t) before,
                     "quantity", json_object_get(line, "quantity_refunded"),
                     "restockable", json_object_get(line, "quantity"),
                     "beyond_sold", json_object_get(line, "beyond_sold"),
                     "amount_minor", json_object_get(line, "amount_minor"),
                     "currency", json_object_get(canon, "currency"));
    if (data == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_action_exception(w, ev, data, "refund_over_quantity", suffix,
                                  invsync_refund_own_order(ev, canon),
                                  "a refund of more units than the order "
                                  "sold", err, len);
    json_decref(data);

    return rc;
}


/*
 * The order's line the refund line names: by channel_line_id when both
 * have one, else by SKU; its key (the id, else the SKU) in key.  NULL
 * when the order has no such line.
 */
static json_t *
invsync_refund_sold_line(json_t *order, json_t *line, char *key, size_t cap)
{
    char         id[256], oid[256];
    size_t       i;
    json_t      *l;
    const char  *sku;

    invsync_stock_str(line, "channel_line_id", id, sizeof(id));
    sku = invsync_action_str(line, "sku");

    json_array_foreach(json_object_get(order, "lines"), i, l) {
        invsync_stock_str(l, "channel_line_id", oid, sizeof(oid));

        if ((id[0] != '\0' && strcmp(id, oid) == 0)
            || (id[0] == '\0' && sku[0] != '\0'
                && strcmp(sku, invsync_action_str(l, "sku")) == 0))
        {
            snprintf(key, cap, "%s", oid[0] != '\0' ? oid
                                     : invsync_action_str(l, "sku"));
            return l;
        }
    }

    return NULL;
}


/*
 * stock.restock's: a line the channel restocked whose SKU no mapping
 * names; order is "<channel>:<order id>".  The line waits for a person
 * as the exception; its ledger movement is keyed by the refund and the
 * line and was not made, so the retry after `invsyncctl sku map` makes
 * it, once.
 */

invsync_act_rc_e
invsync_refund_sku_unmapped(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *line,
    const char *order, const char *line_id, char *err, size_t len)
{
    char              suffix[INVSYNC_ACTION_KEY_LEN];
    json_t           *data;
    invsync_act_rc_e  rc;

    snprintf(suffix, sizeof(suffix), "%s:%s",
             invsync_action_str(canon, "refund_id"), line_id);

    data = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O}",
                     "order", order, "refund_channel", ev->channel,
                     "refund_id", json_object_get(canon, "refund_id"),
                     "sku", json_object_get(line, "sku"),
                     "quantity", json_object_get(line, "quantity"),
                     "refs", json_object_get(line, "refs"),
                     "currency", json_object_get(canon, "currency"),
                     "line", line);
    if (data == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_action_exception(w, ev, data, "refund_sku_unmapped", suffix,
                                  invsync_refund_own_order(ev, canon),
                                  "a refunded line to restock whose SKU is "
                                  "not mapped", err, len);
    json_decref(data);

    return rc;
}


/* the order id when it is the refund's own channel's (the audit's
 * <channel>:<order id> is the event's channel), else NULL */
static const char *
invsync_refund_own_order(const invsync_envelope_t *ev, json_t *canon)
{
    const char  *och;

    och = invsync_action_str(canon, "order_channel");

    return (och[0] == '\0' || strcmp(och, ev->channel) == 0)
           ? invsync_action_str(canon, "order_id") : NULL;
}
