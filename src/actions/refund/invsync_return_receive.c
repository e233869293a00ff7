
/*
 * A return's receipt (docs/returns.md, "RMA"): received and inspected in
 * one step, each line with its condition.  Per line: what the ledger
 * shipped of it (a line never shipped, or more units than shipped, is
 * return_not_shipped and moves nothing), the restock rules' decision
 * (invsync_restock_rules.c, as a receipt), one ledger.lua movement keyed
 * restock:rma:<rma>:<receipt>:<n>:<sku> (n: its place in the receipt)
 * with its return.restock audit entry,
 * the journal entry of the same cause; then the receipt recorded on the
 * RMA (return_step.lua) with the refund due, and the refund asked of the
 * channel.  Every step is keyed by its cause, so a notice delivered again
 * (or a crash between steps) does each one once.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_restock_rules.h"
#include "refund/invsync_return_int.h"


typedef struct {
    invsync_worker_t            *w;
    const invsync_return_src_t  *src;
    invsync_envelope_t           ev;      /* for the ledger's audit entry */
    json_t                      *rma;
    const char                  *id;
    const char                  *rid;
    const char                  *order;
    json_t                      *lines;   /* decided, for the record */
    json_t                      *refused; /* return_not_shipped's lines */
    char                        *err;
    size_t                       len;
} invsync_rcpt_t;


static int invsync_rcpt_check(json_t *lines, char *err, size_t len);
static invsync_return_rc_e invsync_rcpt_line(invsync_rcpt_t *c, json_t *in);
static int64_t invsync_rcpt_before(json_t *rma, const char *rid,
    const char *sku);
static int invsync_rcpt_counts(json_t *l, const char *sku);
static invsync_return_rc_e invsync_rcpt_exception(invsync_rcpt_t *c);
static invsync_return_rc_e invsync_rcpt_record(invsync_rcpt_t *c,
    json_t *due);


invsync_return_rc_e
invsync_return_receive(invsync_worker_t *w, const invsync_return_src_t *src,
    const char *id, const char *rid, json_t *lines, json_t **out, char *err,
    size_t len)
{
    char                 ref[512], source[512];
    size_t               i;
    json_t              *in, *due, *seen;
    invsync_rcpt_t       c;
    invsync_return_rc_e  rc;

    if (out != NULL) {
        *out = NULL;
    }

    if (invsync_rcpt_check(lines, err, len) != 0) {
        return INVSYNC_RETURN_REFUSED;
    }

    memset(&c, 0, sizeof(c));
    c.rma = invsync_return_get(w, id, &rc);

    if (c.rma == NULL) {
        snprintf(err, len, rc == INVSYNC_RETURN_LOST
                 ? "redis connection lost" : "no RMA %s", id);
        return rc;
    }

    /* received before: nothing moves again; its refund asked again, which
     * the channel side keeps to once by its cause */
    seen = json_object_get(json_object_get(c.rma, "receipts"), rid);
    if (seen != NULL) {
        due = invsync_return_refund_due(c.rma, rid, NULL);
        if (due != NULL) {
            invsync_return_refund_out(w, c.rma, due, err, len);
            json_decref(due);
        }
        if (out != NULL) {
            *out = json_pack("{s:s, s:s, s:O, s:O}", "rma", id, "receipt",
                             rid, "state", json_object_get(c.rma, "state"),
                             "lines", json_object_get(seen, "lines"));
        }
        json_decref(c.rma);
        return INVSYNC_RETURN_BEFORE;
    }

    if (strcmp(invsync_action_str(c.rma, "state"), "closed") == 0
        && !src->after_close)
    {
        snprintf(err, len, "RMA %s is closed", id);
        json_decref(c.rma);
        return INVSYNC_RETURN_REFUSED;
    }

    c.w = w;
    c.src = src;
    c.id = id;
    c.rid = rid;
    c.order = invsync_action_str(c.rma, "order");
    c.lines = json_array();
    c.refused = json_array();
    c.err = err;
    c.len = len;
    c.ev.channel = src->channel;
    c.ev.event = src->event;
    c.ev.topic = src->topic ? src->topic : "";
    c.ev.stream = src->stream ? src->stream : "";
    c.ev.entry = src->entry ? src->entry : "";
    c.ev.scheme = "";
    c.ev.account = "";
    c.ev.redelivery = "";
    c.ev.version = 1;

    rc = INVSYNC_RETURN_DONE;

    json_array_foreach(lines, i, in) {
        rc = invsync_rcpt_line(&c, in);
        if (rc != INVSYNC_RETURN_DONE) {
            break;
        }
    }

    if (rc == INVSYNC_RETURN_DONE && json_array_size(c.refused) > 0) {
        rc = invsync_rcpt_exception(&c);
    }

    snprintf(ref, sizeof(ref), "%s:%s", id, rid);
    snprintf(source, sizeof(source), "%s:%s", src->channel, src->event);

    if (rc == INVSYNC_RETURN_DONE
        && invsync_return_journal(w, source, ref, c.lines, err, len) != 0)
    {
        rc = INVSYNC_RETURN_LOST;
    }

    due = NULL;
    if (rc == INVSYNC_RETURN_DONE && w->conf->returns.refund_on_receipt) {
        due = invsync_return_refund_due(c.rma, rid, c.lines);
    }

    if (rc == INVSYNC_RETURN_DONE) {
        rc = invsync_rcpt_record(&c, due);
    }

    /* the channel's refund: after the due is on the record, so that a
     * failure here is asked again by the next delivery, never lost */
    if (rc == INVSYNC_RETURN_DONE && due != NULL) {
        invsync_return_refund_out(w, c.rma, due, err, len);
    }

    if (out != NULL && (rc == INVSYNC_RETURN_DONE
                        || rc == INVSYNC_RETURN_BEFORE))
    {
        *out = json_pack("{s:s, s:s, s:O, s:O*, s:O}", "rma", id, "receipt",
                         rid, "lines", c.lines, "refund_due", due,
                         "not_shipped", c.refused);
    }

    json_decref(due);
    json_decref(c.lines);
    json_decref(c.refused);
    json_decref(c.rma);

    return rc;
}


/* [{sku, qty > 0, condition}], a condition the rules know */
static int
invsync_rcpt_check(json_t *lines, char *err, size_t len)
{
    size_t       i;
    json_t      *l;
    const char  *cond;

    if (json_array_size(lines) == 0
        || json_array_size(lines) > INVSYNC_RMA_MAX_LINES)
    {
        snprintf(err, len, "a receipt has 1 to %d lines",
                 INVSYNC_RMA_MAX_LINES);
        return -1;
    }

    json_array_foreach(lines, i, l) {
        cond = invsync_action_str(l, "condition");

        if (invsync_action_str(l, "sku")[0] == '\0'
            || invsync_action_int(l, "qty", 0) <= 0)
        {
            snprintf(err, len, "receipt line %zu: a SKU and a quantity "
                     "above 0", i + 1);
            return -1;
        }

        if (strcmp(cond, "resellable") != 0 && strcmp(cond, "damaged") != 0
            && strcmp(cond, "missing") != 0 && strcmp(cond, "opened") != 0)
        {
            snprintf(err, len, "receipt line %zu: condition \"%.32s\" is "
                     "not resellable, damaged, missing or opened", i + 1,
                     cond);
            return -1;
        }
    }

    return 0;
}


/* one received line: checked against what shipped, decided, moved */
static invsync_return_rc_e
invsync_rcpt_line(invsync_rcpt_t *c, json_t *in)
{
    char                        loc[128], cause[1024], key[300];
    char                       *why;
    size_t                      k;
    int                         missing;
    int64_t                     shipped, before, qty;
    json_t                     *line, *move, *dec, *prev;
    const char                 *sku;
    invsync_act_rc_e            arc;
    invsync_restock_facts_t     f;
    invsync_restock_decision_t  d;

    sku = invsync_action_str(in, "sku");
    qty = invsync_action_int(in, "qty", 0);

    if (invsync_order_shipped(c->w, c->order, sku, &shipped, loc,
                               sizeof(loc)) != 0)
    {
        snprintf(c->err, c->len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    /* the other receipts', and this one's lines before this one */
    before = invsync_rcpt_before(c->rma, c->rid, sku);
    json_array_foreach(c->lines, k, prev) {
        if (invsync_rcpt_counts(prev, sku)) {
            before += invsync_action_int(prev, "qty", 0);
        }
    }

    snprintf(key, sizeof(key), "%zu:%s", json_array_size(c->lines) + 1, sku);

    /* a unit missing from the parcel came back from nowhere: never
     * beyond what shipped */
    missing = strcmp(invsync_action_str(in, "condition"), "missing") == 0;

    if (!missing && before + qty > shipped) {
        json_array_append_new(c->refused, json_pack("{s:s, s:I, s:I, s:I}",
            "sku", sku, "qty", (json_int_t) qty, "shipped",
            (json_int_t) shipped, "received_before", (json_int_t) before));
        json_array_append_new(c->lines, json_pack("{s:s, s:s, s:I, s:O, "
            "s:b, s:s, s:b, s:O*}", "line", key, "sku", sku, "qty",
            (json_int_t) qty, "condition", json_object_get(in, "condition"),
            "restock", 0, "reason", "not_shipped", "not_shipped", 1,
            "line_id", json_object_get(in, "line_id")));
        return INVSYNC_RETURN_DONE;
    }

    memset(&f, 0, sizeof(f));
    f.receipt = 1;
    f.shipped_from = loc;
    f.fallback = invsync_stock_location(c->w, invsync_conf_channel(c->w->conf,
                                        invsync_action_str(c->rma,
                                                           "channel")));
    if (invsync_sku_tags(c->w, sku, &f.tags) != 0) {
        snprintf(c->err, c->len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    line = json_pack("{s:s, s:I, s:b, s:s, s:O, s:O*}", "sku", sku,
                     "quantity", (json_int_t) qty, "restock", 1,
                     "restock_type", "return", "condition",
                     json_object_get(in, "condition"), "reason",
                     json_object_get(c->rma, "reason"));
    invsync_restock_decide(&c->w->conf->returns, line, c->rma, &f, &d);
    json_decref(line);

    /* line_id: the order line a channel's receipt names, which
     * return_step.lua and the due fill first (invsync_return_lines.c) */
    dec = json_pack("{s:s, s:s, s:I, s:O, s:b, s:s, s:s*, s:s*, s:s*, "
                    "s:s*, s:O*}", "line", key, "sku", sku, "qty",
                    (json_int_t) qty, "condition",
                    json_object_get(in, "condition"), "restock", d.restock,
                    "reason", d.reason, "bucket", d.bucket, "location",
                    d.location, "location_from", d.location_from, "tag",
                    d.tag, "line_id", json_object_get(in, "line_id"));
    json_decref(f.tags);

    move = d.restock ? json_pack("[{s:s, s:I, s:s, s:s}]", "sku", sku, "qty",
                                 (json_int_t) qty, "loc", d.location,
                                 "bucket", d.bucket)
                     : json_array();
    why = dec ? json_dumps(dec, JSON_COMPACT) : NULL;

    if (why == NULL || move == NULL) {
        free(why);
        json_decref(move);
        json_decref(dec);
        snprintf(c->err, c->len, "out of memory");
        return INVSYNC_RETURN_LOST;
    }

    snprintf(cause, sizeof(cause), "restock:rma:%s:%s:%s", c->id, c->rid,
             key);
    arc = invsync_stock_move_why(c->w, &c->ev, cause, "restock",
                                 "return.restock", c->order, move, why,
                                 c->err, c->len);
    free(why);
    json_decref(move);
    json_array_append_new(c->lines, dec);

    return arc == INVSYNC_ACT_APPLIED || arc == INVSYNC_ACT_DUPLICATE
           ? INVSYNC_RETURN_DONE : INVSYNC_RETURN_LOST;
}


/* units of sku the RMA's other receipts took in (not refused ones) */
static int64_t
invsync_rcpt_before(json_t *rma, const char *rid, const char *sku)
{
    size_t       i;
    int64_t      n;
    json_t      *r, *l;
    const char  *k;

    n = 0;

    json_object_foreach(json_object_get(rma, "receipts"), k, r) {
        if (strcmp(k, rid) == 0) {
            continue;
        }

        json_array_foreach(json_object_get(r, "lines"), i, l) {
            if (invsync_rcpt_counts(l, sku)) {
                n += invsync_action_int(l, "qty", 0);
            }
        }
    }

    return n;
}


/* a decided line that took units of sku in: not refused, not missing */
static int
invsync_rcpt_counts(json_t *l, const char *sku)
{
    return strcmp(invsync_action_str(l, "sku"), sku) == 0
           && !json_is_true(json_object_get(l, "not_shipped"))
           && strcmp(invsync_action_str(l, "condition"), "missing") != 0;
}



/* return_not_shipped, one per receipt, with what a person needs */
static invsync_return_rc_e
invsync_rcpt_exception(invsync_rcpt_t *c)
{
    char                 id[1024], summary[512];
    json_t              *data;
    redisReply          *r;
    invsync_exception_t  x;

    snprintf(id, sizeof(id), "return_not_shipped:%s:%s:%s", c->src->channel,
             c->id, c->rid);
    snprintf(summary, sizeof(summary), "RMA %s receipt %s: %zu line(s) "
             "received that order %s never shipped (or beyond what "
             "shipped); nothing restocked for them", c->id, c->rid,
             json_array_size(c->refused), c->order);
    data = json_pack("{s:s, s:s, s:s, s:O}", "rma", c->id, "receipt", c->rid,
                     "order", c->order, "lines", c->refused);

    memset(&x, 0, sizeof(x));
    x.id = id;
    x.kind = "return_not_shipped";
    x.summary = summary;
    x.channel = c->src->channel;
    x.event = c->src->event;
    x.topic = c->ev.topic;
    x.stream = c->ev.stream;
    x.entry = c->ev.entry;
    x.order = c->order;
    x.sku = json_array_size(c->refused) == 1
            ? invsync_action_str(json_array_get(c->refused, 0), "sku") : "";
    x.consumer = c->w->conf->consumer ? c->w->conf->consumer : "invsyncctl";
    x.data = data;

    r = invsync_exception_open(c->w, &x);
    json_decref(data);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        snprintf(c->err, c->len, "exception: %s", r != NULL
                 && r->type == REDIS_REPLY_ERROR ? r->str
                                                 : "redis connection lost");
        if (r != NULL) {
            freeReplyObject(r);
        }
        return INVSYNC_RETURN_LOST;
    }

    freeReplyObject(r);

    return INVSYNC_RETURN_DONE;
}


/* the receipt on the RMA: received and inspected, its decided lines */
static invsync_return_rc_e
invsync_rcpt_record(invsync_rcpt_t *c, json_t *due)
{
    char     cause[512], audit[128];
    json_t  *step;

    snprintf(cause, sizeof(cause), "%s:%s", c->src->channel, c->src->event);
    step = json_pack("{s:[s, s], s:s, s:s*, s:{s:s, s:O}, s:O*, s:b}",
                     "states", "received", "inspected", "cause", cause, "by",
                     c->src->by, "receipt", "id", c->rid, "lines", c->lines,
                     "refund_due", due, "after_close", c->src->after_close);

    return invsync_return_script(c->w, c->src, "step", c->id, step, cause,
                                 audit, sizeof(audit), c->err, c->len);
}
