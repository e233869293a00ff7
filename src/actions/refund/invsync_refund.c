
/*
 * The refund capability: a canonical refund recorded against its order
 * (refund.record).  The order is the refund's own channel's, or the one
 * a payment reference names (invsync_refund_match.c); a refund of an
 * amount with no lines takes the order's lines when it is the order's
 * whole total, and goes to a person otherwise.  Its lines are decided by
 * the restock rules in the next row (stock.restock,
 * invsync_refund_restock.c, docs/returns.md).  The refunds an order
 * event carries (refunds[]) are recorded the same way.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_refund_out.h"
#include "invsync_refund_steps.h"


static invsync_act_rc_e invsync_refund_lines(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon,
    const invsync_refund_order_t *o, char *err, size_t len);
static json_t *invsync_refund_order_lines(json_t *order);
static int invsync_refund_void(json_t *canon);
static invsync_act_rc_e invsync_refund_ambiguous(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon,
    const invsync_refund_order_t *o, char *err, size_t len);


/*
 * A refund needs its order: one for an order never seen is not applied
 * blindly (the money and the restock would have no owner) but opened as an
 * exception an operator can retry once the order exists.
 */

invsync_act_rc_e
invsync_refund_record(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char                     state[INVSYNC_ACTION_KEY_LEN], oid[256];
    json_t                  *inputs;
    invsync_effect_t         fx;
    invsync_act_rc_e         arc;
    invsync_refund_order_t   o;
    invsync_refund_match_e   rc;

    /* the event's own order id: matching may name another */
    snprintf(oid, sizeof(oid), "%s", invsync_action_str(canon, "order_id"));

    rc = invsync_refund_match(w, ev, canon, &o, err, len);
    if (rc == INVSYNC_REFUND_MATCH_FAILED) {
        return INVSYNC_ACT_RETRY;
    }

    if (rc == INVSYNC_REFUND_MATCH_AMBIGUOUS) {
        return invsync_refund_ambiguous(w, ev, canon, &o, err, len);
    }

    if (rc == INVSYNC_REFUND_MATCH_NONE) {
        /* the id invsync_action_exception() gives it: the order, when it
         * comes, re-runs the refund and resolves this one */
        invsync_refund_wait_id(state, sizeof(state), ev);

        if (invsync_refund_wait(w, ev, canon, state) != 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        arc = invsync_action_exception(w, ev, canon, "refund_unknown_order",
                                       NULL, invsync_action_str(canon,
                                                                "order_id"),
                                       "a refund for an order this system "
                                       "has not recorded", err, len);
        if (arc != INVSYNC_ACT_EXCEPTION) {
            return arc;
        }

        /*
         * Looked for again now that it waits: an order recorded since the
         * first look asked for waiting refunds before this one waited (or
         * re-ran it before its exception was open), so nobody else would
         * (the fault run: 1 in 375 left open)
         */
        rc = invsync_refund_match(w, ev, canon, &o, err, len);
        if (rc != INVSYNC_REFUND_MATCH_FOUND) {
            return rc == INVSYNC_REFUND_MATCH_FAILED ? INVSYNC_ACT_RETRY
                                                     : arc;
        }
    }


    /* one invsync made on the channel: its request is marked recorded and
     * canon names its cause; it is recorded as any other refund, under
     * the channel's refund id, so once (docs/refunds.md) */
    if (invsync_refund_out_seen(w, ev->channel, ev->event, canon) < 0) {
        json_decref(o.data);
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    invsync_refund_matched(canon, &o);

    arc = invsync_refund_check_currency(w, ev, canon, &o, err, len);

    if (arc == INVSYNC_ACT_APPLIED) {
        arc = invsync_refund_lines(w, ev, canon, &o, err, len);
    }

    json_decref(o.data);

    if (arc != INVSYNC_ACT_APPLIED) {
        return arc;
    }

    inputs = invsync_refund_effect(ev, canon, &o, &fx, state, sizeof(state));
    if (inputs == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    arc = invsync_action_apply(w, ev, canon, &fx, err, len);
    json_decref(inputs);

    /* an attempt of this refund before its order came may have left it
     * waiting, with its exception open (not when the order's look runs it
     * again: that one stops waiting after the rows that follow) */
    invsync_refund_wait_id(state, sizeof(state), ev);

    if ((arc == INVSYNC_ACT_APPLIED || arc == INVSYNC_ACT_DUPLICATE)
        && strcmp(ev->redelivery, state) != 0
        && invsync_refund_found(w, ev, canon, oid) != 0)
    {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    return arc;
}


/*
 * A refund found only by a payment reference two or more orders claim
 * (K payref:, docs/refunds.md): applied to neither, an exception naming
 * the reference and its claimants.
 */

static invsync_act_rc_e
invsync_refund_ambiguous(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const invsync_refund_order_t *o, char *err, size_t len)
{
    char  summary[640];

    snprintf(summary, sizeof(summary), "a refund whose payment reference "
             "several orders claim: %s", o->ambiguous);

    return invsync_action_exception(w, ev, canon, "refund_ambiguous_payment",
                                    NULL, invsync_action_str(canon,
                                                             "order_id"),
                                    summary, err, len);
}


/* what the actions after refund.record (and the audit) see of its order */

void
invsync_refund_matched(json_t *canon, const invsync_refund_order_t *o)
{
    json_object_set_new(canon, "order_channel", json_string(o->channel));
    json_object_set_new(canon, "order_id", json_string(o->id));
    json_object_set_new(canon, "matched_by", json_string(o->by));
}


/*
 * refund.record's effect in fx (its state in state, its strings borrowed
 * from o): the inputs it names are returned (new; NULL: out of memory).
 */

json_t *
invsync_refund_effect(const invsync_envelope_t *ev, json_t *canon,
    const invsync_refund_order_t *o, invsync_effect_t *fx, char *state,
    size_t cap)
{
    json_t  *inputs;

    snprintf(state, cap, "refund:%s:%s", ev->channel,
             invsync_action_str(canon, "refund_id"));

    inputs = json_pack("{s:O?, s:O?, s:O?, s:s, s:s, s:O?}",
                       "amount_minor", json_object_get(canon, "amount_minor"),
                       "currency", json_object_get(canon, "currency"),
                       "status", json_object_get(canon, "status"),
                       "order_channel", o->channel, "matched_by", o->by,
                       "lines_from", json_object_get(canon, "lines_from"));

    memset(fx, 0, sizeof(invsync_effect_t));
    fx->action = "refund.record";
    fx->state = state;
    fx->order = o->id;
    fx->order_channel = o->channel;

    /* a refund without times is one version: delivered again, unchanged */
    fx->version = invsync_action_int(canon, "updated_ms",
                                     invsync_action_int(canon, "created_ms",
                                                        0));
    fx->inputs = inputs;

    return inputs;
}


/*
 * The refund's lines (lines_from): its own ("refund"); none for a refund
 * that failed or moved no money ("none"); the order's, when it refunds
 * the order's whole total in its currency ("order", none of them
 * restocked: nobody said the goods came back).  Any other amount without
 * lines is an exception with the refund and the order's total.
 */
static invsync_act_rc_e
invsync_refund_lines(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const invsync_refund_order_t *o, char *err, size_t len)
{
    char              suffix[INVSYNC_ACTION_KEY_LEN];
    json_t           *data, *lines;
    int64_t           amount;
    const char       *cur, *ocur;
    invsync_act_rc_e  rc;

    if (json_array_size(json_object_get(canon, "lines")) > 0) {
        json_object_set_new(canon, "lines_from", json_string("refund"));
        return INVSYNC_ACT_APPLIED;
    }

    amount = invsync_action_int(canon, "amount_minor", 0);

    if (amount <= 0 || invsync_refund_void(canon)) {
        json_object_set_new(canon, "lines_from", json_string("none"));
        return INVSYNC_ACT_APPLIED;
    }

    cur = invsync_action_str(canon, "currency");
    ocur = invsync_action_str(o->data, "currency");

    if (strcmp(cur, ocur) == 0
        && amount == invsync_action_int(o->data, "total_minor", -1))
    {
        lines = invsync_refund_order_lines(o->data);
        if (lines == NULL) {
            snprintf(err, len, "out of memory");
            return INVSYNC_ACT_RETRY;
        }

        json_object_set_new(canon, "lines", lines);
        json_object_set_new(canon, "lines_from", json_string("order"));
        return INVSYNC_ACT_APPLIED;
    }

    snprintf(suffix, sizeof(suffix), "%s:%s:%s", o->channel, o->id,
             invsync_action_str(canon, "refund_id"));

    data = json_pack("{s:O, s:{s:s, s:s, s:O?, s:O?}}", "refund", canon,
                     "order", "channel", o->channel, "order_id", o->id,
                     "total_minor", json_object_get(o->data, "total_minor"),
                     "currency", json_object_get(o->data, "currency"));

    if (data == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    rc = invsync_action_exception(w, ev, data, "refund_amount_only", suffix,
                                  strcmp(o->channel, ev->channel) == 0
                                  ? o->id : NULL,
                                  "a refund of an amount that names no "
                                  "lines and is not the order's total", err,
                                  len);
    json_decref(data);

    return rc;
}


/* a refund that did not (or not yet) move money back moves nothing */
static int
invsync_refund_void(json_t *canon)
{
    const char  *st;

    st = invsync_action_str(canon, "status");

    return strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0;
}


/* every line of the recorded order, as refund lines not restocked */
static json_t *
invsync_refund_order_lines(json_t *order)
{
    size_t   i;
    json_t  *lines, *line, *l;

    lines = json_array();

    json_array_foreach(json_object_get(order, "lines"), i, line) {
        l = json_pack("{s:O?, s:O?, s:O?, s:b, s:n, s:n, s:n, s:n, s:O?}",
                      "channel_line_id",
                      json_object_get(line, "channel_line_id"),
                      "sku", json_object_get(line, "sku"),
                      "quantity", json_object_get(line, "quantity"),
                      "restock", 0, "restock_type", "location_id",
                      "amount_minor", "tax_minor",
                      "refs", json_object_get(line, "refs"));

        if (l == NULL || json_array_append_new(lines, l) != 0) {
            json_decref(lines);
            return NULL;
        }
    }

    return lines;
}


/*
 * An order event's refunds[] (a cancellation's, or a channel whose
 * refunds live only inside its orders, docs/events.md): each recorded as
 * its own refund, under the event id "<event>:refund:<refund id>" so each
 * has its own done key.  Their restock is left to the refund's own event
 * where the channel sends one, keyed by refund and line: nothing moves
 * twice.  One without lines on a channel that can read them (refunds_build)
 * is read first: its own event comes from the refund reader.
 */

invsync_act_rc_e
invsync_refund_of_order(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                  due;
    char                 event[INVSYNC_ACTION_KEY_LEN];
    size_t               i;
    json_t              *r, *refund;
    const char          *k;
    json_t              *v;
    invsync_act_rc_e     rc, worst;
    invsync_envelope_t   sub;

    worst = INVSYNC_ACT_APPLIED;

    json_array_foreach(json_object_get(canon, "refunds"), i, r) {
        /* its lines are read from the channel first (refund_read.c) */
        due = invsync_refund_read_due(w, ev, r);
        if (due != 0) {
            if (due < 0) {
                snprintf(err, len, "redis connection lost");
                return INVSYNC_ACT_RETRY;
            }

            continue;
        }

        refund = json_pack("{s:s, s:O, s:O, s:O, s:O}", "kind", "refund",
                           "channel", json_object_get(canon, "channel"),
                           "account", json_object_get(canon, "account"),
                           "event", json_object_get(canon, "event"),
                           "topic", json_object_get(canon, "topic"));
        if (refund == NULL) {
            snprintf(err, len, "out of memory");
            return INVSYNC_ACT_RETRY;
        }

        json_object_foreach(r, k, v) {
            json_object_set(refund, k, v);
        }

        snprintf(event, sizeof(event), "%s:refund:%s", ev->event,
                 invsync_action_str(r, "refund_id"));
        sub = *ev;
        sub.event = event;

        rc = invsync_refund_record(w, &sub, refund, err, len);

        /* its journal entries, as the refund row's own (journal.post) */
        if (rc == INVSYNC_ACT_APPLIED || rc == INVSYNC_ACT_DUPLICATE) {
            rc = invsync_journal_post(w, &sub, refund, err, len);
        }

        json_decref(refund);

        if (rc == INVSYNC_ACT_RETRY || rc == INVSYNC_ACT_POISON) {
            return rc;
        }

        if (rc == INVSYNC_ACT_EXCEPTION) {
            worst = rc;
        }
    }

    return worst;
}
