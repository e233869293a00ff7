
/*
 * The refund's restock step (stock.restock): each line decided by the
 * restock rules (invsync_restock_rules.c, docs/returns.md) from what the
 * ledger knows of it, then one ledger.lua call per line keyed by the
 * refund and the line (restock:<channel>:<refund>:<line>): the units, if
 * any, and the refund.restock audit entry with the decision, once however
 * often the refund comes.  A line the channel restocked whose SKU is not
 * mapped is a refund_sku_unmapped exception (invsync_refund_checks.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_restock_rules.h"
#include "invsync_order_shipped.h"
#include "invsync_refund_steps.h"


static invsync_act_rc_e invsync_refund_restock_line(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *line,
    const char *order, const char *cause, const char *sku,
    char *err, size_t len);
static int invsync_refund_facts(invsync_worker_t *w, const char *order,
    const char *sku, invsync_restock_facts_t *f, char *loc, size_t cap);


invsync_act_rc_e
invsync_stock_restock(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                found;
    char               sku[256], cause[1024], order[256], id[64];
    size_t             i;
    json_t            *line;
    invsync_act_rc_e   rc, worst;

    worst = INVSYNC_ACT_APPLIED;
    invsync_refund_restock_order(ev, canon, order, sizeof(order));

    json_array_foreach(json_object_get(canon, "lines"), i, line) {
        found = invsync_stock_map(w, ev->channel, line, sku, sizeof(sku));
        if (found < 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        invsync_stock_str(line, "channel_line_id", id, sizeof(id));

        /* one not restocked moves nothing, mapped or not */
        if (found == 0 && !json_is_true(json_object_get(line, "restock"))) {
            continue;
        }

        if (found == 0) {
            rc = invsync_refund_sku_unmapped(w, ev, canon, line, order,
                                             invsync_stock_line_id(line, i,
                                                                   id,
                                                                   sizeof(id)),
                                             err, len);
            if (rc == INVSYNC_ACT_RETRY) {
                return rc;
            }

            worst = rc;
            continue;
        }

        invsync_refund_restock_cause(ev, canon, line, sku, cause,
                                     sizeof(cause));

        rc = invsync_refund_restock_line(w, ev, canon, line, order, cause,
                                         sku, err, len);
        if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
            return rc;
        }
    }

    return worst;
}


/* one line: decided, then moved (or not) with its decision audited */
static invsync_act_rc_e
invsync_refund_restock_line(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *line,
    const char *order, const char *cause, const char *sku, char *err,
    size_t len)
{
    char                     loc[128];
    char                    *why;
    json_t                  *lines;
    invsync_act_rc_e         rc;
    invsync_restock_facts_t  f;

    if (invsync_refund_facts(w, order, sku, &f, loc, sizeof(loc)) != 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_refund_restock_plan(w, ev, canon, line, sku, &f, &lines,
                                     &why);
    json_decref(f.tags);

    if (rc != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_stock_move_why(w, ev, cause, "restock", "refund.restock",
                                order, lines, why, err, len);
    json_decref(lines);
    free(why);

    return rc;
}


/* the ledger cause of a line: restock:<channel>:<refund>:<line or SKU> */

void
invsync_refund_restock_cause(const invsync_envelope_t *ev, json_t *canon,
    json_t *line, const char *sku, char *cause, size_t cap)
{
    char         id[64];
    const char  *rid;

    rid = json_string_value(json_object_get(canon, "refund_id"));
    invsync_stock_str(line, "channel_line_id", id, sizeof(id));

    snprintf(cause, cap, "restock:%s:%s:%s", ev->channel,
             rid ? rid : ev->event, id[0] ? id : sku);
}


/*
 * One mapped line decided from its facts f (f->fallback set here): the
 * line marked as the journal reads it, *lines the ledger's movement and
 * *why the decision (both new, the caller's).  0, or -1 out of memory.
 */

int
invsync_refund_restock_plan(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, json_t *line, const char *sku, invsync_restock_facts_t *f,
    json_t **lines, char **why)
{
    json_t                      *decision;
    invsync_restock_decision_t   d;

    f->fallback = invsync_stock_location(w, invsync_conf_channel(w->conf,
                                                                 ev->channel));

    invsync_restock_decide(&w->conf->returns, line, canon, f, &d);

    /* what came back, for journal.post after this row: a unit waiting for
     * its receipt is not inventory yet, a damaged one is written off */
    json_object_set_new(line, "restocked", json_boolean(d.restock));
    if (d.restock && d.bucket != NULL) {
        json_object_set_new(line, "bucket", json_string(d.bucket));
    }

    *lines = d.restock
            ? json_pack("[{s:s, s:O, s:s, s:s}]", "sku", sku, "qty",
                        json_object_get(line, "quantity"), "loc", d.location,
                        "bucket", d.bucket)
            : json_array();
    decision = json_pack("{s:s, s:O?, s:O?, s:b, s:s, s:s?, s:s?, s:s?, "
                         "s:s?, s:O?, s:O*}", "sku", sku, "line",
                         json_object_get(line, "channel_line_id"),
                         "quantity", json_object_get(line, "quantity"),
                         "restock", d.restock, "reason", d.reason,
                         "bucket", d.bucket, "location", d.location,
                         "location_from", d.location_from, "tag", d.tag,
                         "restock_type",
                         json_object_get(line, "restock_type"),
                         "beyond_sold", json_object_get(line, "beyond_sold"));

    *why = decision ? json_dumps(decision, JSON_COMPACT) : NULL;
    json_decref(decision);

    if (*lines == NULL || *why == NULL) {
        json_decref(*lines);
        free(*why);
        *lines = NULL;
        *why = NULL;
        return -1;
    }

    return 0;
}


/* the order a refund's lines go back for: "<channel>:<order id>" */

void
invsync_refund_restock_order(const invsync_envelope_t *ev, json_t *canon,
    char *order, size_t cap)
{
    const char  *och;

    och = json_string_value(json_object_get(canon, "order_channel"));
    snprintf(order, cap, "%s:%s", och ? och : ev->channel,
             invsync_action_str(canon, "order_id"));
}


/* the SKU's tags, the order's release and where the line shipped from */
static int
invsync_refund_facts(invsync_worker_t *w, const char *order,
    const char *sku, invsync_restock_facts_t *f, char *loc, size_t cap)
{
    int                rc;
    invsync_shipped_t  s;

    memset(&s, 0, sizeof(invsync_shipped_t));
    s.order = order;

    if (invsync_refund_released_append(w, order) != 0
        || invsync_shipped_append(w, &s) != 0)
    {
        return -1;
    }

    rc = invsync_refund_released_reply(invsync_redis_reply(w));

    if (rc < 0 || invsync_shipped_read(w, &s) != 0
        || invsync_shipped_append_more(w, &s) != 0
        || invsync_shipped_read_more(w, &s) != 0)
    {
        invsync_shipped_free(&s);
        return -1;
    }

    invsync_refund_facts_set(f, rc, &s, sku, loc, cap);
    invsync_shipped_free(&s);

    return invsync_sku_tags(w, sku, &f->tags);
}


/* f from what was read of the order (f->tags left to the caller) */

void
invsync_refund_facts_set(invsync_restock_facts_t *f, int released,
    const invsync_shipped_t *s, const char *sku, char *loc, size_t cap)
{
    int64_t  shipped;

    memset(f, 0, sizeof(invsync_restock_facts_t));
    f->released = released;

    invsync_shipped_of(s, sku, &shipped, loc, cap);

    if (shipped > 0 && loc[0] != '\0') {
        f->shipped_from = loc;
    }
}


/* the order's release (cancelled before it shipped): EXISTS appended */

int
invsync_refund_released_append(invsync_worker_t *w, const char *order)
{
    char         key[INVSYNC_ACTION_KEY_LEN], cause[1024];
    const char  *argv[3];

    snprintf(cause, sizeof(cause), "release:%s", order);
    invsync_key_done_ledger(key, sizeof(key), w->conf, cause);
    argv[0] = "EXISTS";
    argv[1] = key;
    argv[2] = NULL;

    return invsync_redis_appendv(w, argv);
}


/* its reply, taken: 1 released, 0 not, -1 the session was lost */

int
invsync_refund_released_reply(redisReply *r)
{
    int  released;

    if (r == NULL) {
        return -1;
    }

    released = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    return released;
}
