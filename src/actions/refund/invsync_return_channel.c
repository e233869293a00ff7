
/*
 * A channel's own return (a canonical "return", docs/events.md): a
 * return requested or approved in the channel opens the RMA
 * "<channel>:<return id>" with the order's lines it names, once per
 * return however often its webhooks come; declined, cancelled or closed
 * in the channel closes it, with that state as the cause; its parcel's
 * tracking moves it in transit.  Dispositions of its units:
 * invsync_return_dispose.c.  docs/returns.md, "The channel's return".
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refund/invsync_return_int.h"


static invsync_act_rc_e invsync_return_announce_open(invsync_worker_t *w,
    const invsync_envelope_t *ev, const invsync_return_src_t *src,
    json_t *canon, const char *rma, int reopened, char *err, size_t len);
static invsync_return_rc_e invsync_return_apply_early(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *rma, int reopened,
    char *err, size_t len);
static int invsync_return_cmp_field(const void *a, const void *b);
static invsync_return_rc_e invsync_return_close_step(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *rma, const char *state,
    const char *reason, char *err, size_t len);
static invsync_return_rc_e invsync_return_early(invsync_worker_t *w,
    const char *rma, const char *field, json_t *val, json_t **rec,
    char *err, size_t len);
static invsync_return_rc_e invsync_return_transit_step(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *rma, const char *delivery,
    const char *tracking, char *err, size_t len);
static invsync_act_rc_e invsync_return_announce_close(invsync_worker_t *w,
    const invsync_return_src_t *src, json_t *canon, const char *rma,
    char *err, size_t len);
static invsync_act_rc_e invsync_return_announce_transit(invsync_worker_t *w,
    const invsync_return_src_t *src, json_t *canon, const char *rma,
    char *err, size_t len);


invsync_act_rc_e
invsync_return_announce(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char                  rma[INVSYNC_RMA_ID_LEN + 64];
    json_t               *rec;
    const char           *state;
    invsync_return_rc_e   rc;
    invsync_return_src_t  src;

    err[0] = '\0';
    state = invsync_action_str(canon, "state");
    snprintf(rma, sizeof(rma), "%s:%s", ev->channel,
             invsync_action_str(canon, "return_id"));

    if (!invsync_return_id_valid(rma)) {
        snprintf(err, len, "return id \"%.64s\" makes no valid RMA id",
                 invsync_action_str(canon, "return_id"));
        return INVSYNC_ACT_POISON;
    }

    memset(&src, 0, sizeof(src));
    src.channel = ev->channel;
    src.event = ev->event;
    src.topic = ev->topic;
    src.stream = ev->stream;
    src.entry = ev->entry;

    if (strcmp(state, "requested") == 0 || strcmp(state, "approved") == 0) {
        return invsync_return_announce_open(w, ev, &src, canon, rma, 0,
                                            err, len);
    }

    if (strcmp(state, "in_transit") == 0) {
        return invsync_return_announce_transit(w, &src, canon, rma, err,
                                               len);
    }

    if (strcmp(state, "reopened") != 0) {
        return invsync_return_announce_close(w, &src, canon, rma, err, len);
    }

    /* reopened: a closed RMA never opens again (its state never goes
     * back); one invsync never had is opened as an approved one, if the
     * event names its lines */
    rec = invsync_return_get(w, rma, &rc);

    if (rc == INVSYNC_RETURN_LOST) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    /* one whose event names no lines would be an RMA of nothing: no
     * receipt line or refund due could be priced against it */
    if (rec == NULL
        && json_array_size(json_object_get(canon, "lines")) == 0)
    {
        return invsync_return_channel_exc(w, ev, canon, "reopened in the "
            "channel, but invsync never had its RMA and the channel names "
            "no lines: open one (invsyncctl return open)", err, len);
    }

    if (rec == NULL) {
        return invsync_return_announce_open(w, ev, &src, canon, rma, 1,
                                            err, len);
    }

    rc = strcmp(invsync_action_str(rec, "state"), "closed") == 0
         ? INVSYNC_RETURN_REFUSED : INVSYNC_RETURN_BEFORE;
    json_decref(rec);

    if (rc == INVSYNC_RETURN_BEFORE) {
        return INVSYNC_ACT_DUPLICATE;
    }

    return invsync_return_channel_exc(w, ev, canon, "reopened in the "
        "channel, but its RMA is closed: open a new one "
        "(invsyncctl return open)", err, len);
}


/*
 * requested or approved: the RMA opened once, with the lines named, then
 * what the channel said of it before (K rmaearly:): its labels, its end.
 * Opened before (a delivery again, or one that crashed between the two)
 * still applies what came early, each step once by its cause.
 */
static invsync_act_rc_e
invsync_return_announce_open(invsync_worker_t *w,
    const invsync_envelope_t *ev, const invsync_return_src_t *src,
    json_t *canon, const char *rma, int reopened, char *err, size_t len)
{
    char                  audit[128], why[400];
    json_t               *lines, *first;
    const char           *reason;
    invsync_return_rc_e   rc, erc;

    rc = invsync_return_channel_lines(w, ev->channel, canon,
                                      "channel_line_id", &lines, err, len);

    if (rc == INVSYNC_RETURN_DONE) {
        /* the RMA's reason: the first line's (the restock rules read it
         * for every line of a receipt) */
        first = json_array_get(json_object_get(canon, "lines"), 0);
        reason = first ? invsync_action_str(first, "reason") : "";

        rc = invsync_return_open(w, src, rma,
                                 invsync_action_str(canon, "order_id"),
                                 lines, reason, audit, sizeof(audit), err,
                                 len);
        json_decref(lines);
    }

    if (rc == INVSYNC_RETURN_DONE || rc == INVSYNC_RETURN_BEFORE) {
        erc = invsync_return_apply_early(w, src, rma, reopened, err, len);

        if (erc == INVSYNC_RETURN_LOST) {
            return INVSYNC_ACT_RETRY;
        }

        if (erc == INVSYNC_RETURN_DONE) {
            /* an early step recorded now is this delivery's doing */
            rc = INVSYNC_RETURN_DONE;
        }
    }

    switch (rc) {
    case INVSYNC_RETURN_DONE:
        return INVSYNC_ACT_APPLIED;

    case INVSYNC_RETURN_BEFORE:
        return INVSYNC_ACT_DUPLICATE;

    case INVSYNC_RETURN_LOST:
        return INVSYNC_ACT_RETRY;

    default:
        break;
    }

    snprintf(why, sizeof(why), "%s", err);

    return invsync_return_channel_exc(w, ev, canon, why, err, len);
}


/*
 * What came before the RMA, on it now: each label in transit (by
 * delivery id, so always in one order), then the end state.  A reopened
 * return takes only its labels: the reopening came after any end.  DONE
 * when a step was recorded now, BEFORE when nothing was, LOST.
 */
static invsync_return_rc_e
invsync_return_apply_early(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *rma, int reopened,
    char *err, size_t len)
{
    size_t                i, n;
    json_t               *early, *v;
    const char           *field, **keys;
    invsync_return_rc_e   rc, out;

    early = invsync_return_early_get(w, rma);
    if (early == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    /* the labels by their field: HGETALL's order is the hash's own */
    n = json_object_size(early);
    keys = calloc(n + 1, sizeof(*keys));
    if (keys == NULL) {
        json_decref(early);
        snprintf(err, len, "out of memory");
        return INVSYNC_RETURN_LOST;
    }

    i = 0;
    json_object_foreach(early, field, v) {
        keys[i++] = field;
    }
    qsort(keys, n, sizeof(*keys), invsync_return_cmp_field);

    out = INVSYNC_RETURN_BEFORE;
    rc = INVSYNC_RETURN_BEFORE;

    for (i = 0; i < n && rc != INVSYNC_RETURN_LOST; i++) {
        if (strncmp(keys[i], "transit:", 8) != 0) {
            continue;
        }

        v = json_object_get(early, keys[i]);
        rc = invsync_return_transit_step(w, src, rma,
                 invsync_action_str(v, "delivery_id"),
                 invsync_action_str(v, "tracking"), err, len);
        out = rc == INVSYNC_RETURN_DONE ? rc : out;
    }

    free(keys);
    v = json_object_get(early, "end");

    if (rc != INVSYNC_RETURN_LOST && v != NULL && !reopened) {
        rc = invsync_return_close_step(w, src, rma,
                                       invsync_action_str(v, "state"),
                                       invsync_action_str(v, "reason"),
                                       err, len);
        out = rc == INVSYNC_RETURN_DONE ? rc : out;
    }

    json_decref(early);

    return rc == INVSYNC_RETURN_LOST ? rc : out;
}


static int
invsync_return_cmp_field(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}


/*
 * No RMA yet for what the channel says: remember it for the request
 * (K rmaearly:), then look again, since the request may have opened the
 * RMA in between (it reads the record only after it opened it).  *rec the
 * RMA found the second time, NULL when still none.
 */
static invsync_return_rc_e
invsync_return_early(invsync_worker_t *w, const char *rma, const char *field,
    json_t *val, json_t **rec, char *err, size_t len)
{
    invsync_return_rc_e  rc;

    *rec = NULL;
    rc = invsync_return_early_keep(w, rma, field, val, err, len);
    json_decref(val);

    if (rc != INVSYNC_RETURN_DONE) {
        return rc;
    }

    *rec = invsync_return_get(w, rma, &rc);

    if (rc == INVSYNC_RETURN_LOST) {
        snprintf(err, len, "redis connection lost");
        return rc;
    }

    return INVSYNC_RETURN_DONE;
}


/*
 * declined, cancelled, closed: the RMA closed once, the state its cause.
 * No RMA yet: remembered for the request that opens it (a channel's
 * webhooks may come in any order).
 */
static invsync_act_rc_e
invsync_return_announce_close(invsync_worker_t *w,
    const invsync_return_src_t *src, json_t *canon, const char *rma,
    char *err, size_t len)
{
    json_t               *rec;
    const char           *state, *reason;
    invsync_return_rc_e   rc;

    state = invsync_action_str(canon, "state");
    reason = invsync_action_str(canon, "reason");
    rec = invsync_return_get(w, rma, &rc);

    if (rc == INVSYNC_RETURN_LOST) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (rec == NULL) {
        rc = invsync_return_early(w, rma, "end",
                                  json_pack("{s:s, s:s}", "state", state,
                                            "reason", reason),
                                  &rec, err, len);
        if (rc == INVSYNC_RETURN_LOST) {
            return INVSYNC_ACT_RETRY;
        }

        if (rec == NULL) {
            snprintf(err, len, "no RMA %s yet: %s kept for its request "
                     "(K rmaearly:)", rma, state);
            return INVSYNC_ACT_IGNORED;
        }
    }

    rc = strcmp(invsync_action_str(rec, "state"), "closed") == 0
         ? INVSYNC_RETURN_BEFORE : INVSYNC_RETURN_DONE;
    json_decref(rec);

    if (rc == INVSYNC_RETURN_BEFORE) {
        return INVSYNC_ACT_DUPLICATE;
    }

    rc = invsync_return_close_step(w, src, rma, state, reason, err, len);

    return rc == INVSYNC_RETURN_DONE ? INVSYNC_ACT_APPLIED
           : rc == INVSYNC_RETURN_LOST ? INVSYNC_ACT_RETRY
           : INVSYNC_ACT_DUPLICATE;
}


/*
 * The close step, once per return and state whichever of its webhooks
 * says it: DONE, BEFORE (closed before, or meanwhile by another
 * delivery), LOST.
 */
static invsync_return_rc_e
invsync_return_close_step(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *rma, const char *state,
    const char *reason, char *err, size_t len)
{
    char                  cause[INVSYNC_RMA_ID_LEN + 96], audit[128];
    char                  why[256];
    json_t               *step;
    invsync_return_rc_e   rc;

    snprintf(cause, sizeof(cause), "%s:%.32s", rma, state);
    snprintf(why, sizeof(why), "%.32s%s%.128s", state, reason[0] ? ": " : "",
             reason);

    step = json_pack("{s:[s], s:s, s:n, s:s}", "states", "closed", "cause",
                     cause, "by", "why", why);

    rc = invsync_return_script(w, src, "step", rma, step, cause, audit,
                               sizeof(audit), err, len);

    return rc == INVSYNC_RETURN_DONE || rc == INVSYNC_RETURN_LOST
           ? rc : INVSYNC_RETURN_BEFORE;
}


/*
 * in_transit: the parcel's tracking on the RMA, once per delivery (a
 * second label is a second delivery).  No RMA yet: remembered for the
 * request.  One closed: nothing.
 */
static invsync_act_rc_e
invsync_return_announce_transit(invsync_worker_t *w,
    const invsync_return_src_t *src, json_t *canon, const char *rma,
    char *err, size_t len)
{
    char                  field[96];
    json_t               *rec;
    const char           *delivery, *tracking;
    invsync_return_rc_e   rc;

    delivery = invsync_action_str(canon, "delivery_id");
    tracking = invsync_action_str(canon, "tracking");
    rec = invsync_return_get(w, rma, &rc);

    if (rc == INVSYNC_RETURN_LOST) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (rec == NULL) {
        snprintf(field, sizeof(field), "transit:%.64s", delivery);
        rc = invsync_return_early(w, rma, field,
                                  json_pack("{s:s, s:s}", "delivery_id",
                                            delivery, "tracking", tracking),
                                  &rec, err, len);
        if (rc == INVSYNC_RETURN_LOST) {
            return INVSYNC_ACT_RETRY;
        }

        if (rec == NULL) {
            snprintf(err, len, "no RMA %s yet: its label kept for its "
                     "request (K rmaearly:)", rma);
            return INVSYNC_ACT_IGNORED;
        }
    }

    json_decref(rec);

    rc = invsync_return_transit_step(w, src, rma, delivery, tracking, err,
                                     len);

    /* before, or the RMA closed meanwhile: nothing to record */
    return rc == INVSYNC_RETURN_DONE ? INVSYNC_ACT_APPLIED
           : rc == INVSYNC_RETURN_LOST ? INVSYNC_ACT_RETRY
           : INVSYNC_ACT_DUPLICATE;
}


static invsync_return_rc_e
invsync_return_transit_step(invsync_worker_t *w,
    const invsync_return_src_t *src, const char *rma, const char *delivery,
    const char *tracking, char *err, size_t len)
{
    char                  cause[INVSYNC_RMA_ID_LEN + 160], audit[128];
    json_t               *step;
    invsync_return_rc_e   rc;

    snprintf(cause, sizeof(cause), "%s:in_transit:%.64s", rma, delivery);
    step = json_pack("{s:[s], s:s, s:n, s:s*}", "states", "in_transit",
                     "cause", cause, "by", "tracking",
                     tracking[0] ? tracking : NULL);

    rc = invsync_return_script(w, src, "step", rma, step, cause, audit,
                               sizeof(audit), err, len);

    return rc == INVSYNC_RETURN_DONE || rc == INVSYNC_RETURN_LOST
           ? rc : INVSYNC_RETURN_BEFORE;
}


/*
 * The canonical lines [{<idkey>, quantity, condition}] as the RMA's (or
 * a receipt's) [{sku, qty, condition, line_id}]: each the recorded
 * order's line whose channel_line_id (line_id) is the line's <idkey>,
 * its SKU mapped as the ledger maps it.  REFUSED, with err, for an order
 * not recorded or a line that is not one of its own.
 */
int
invsync_return_channel_lines(invsync_worker_t *w, const char *channel,
    json_t *canon, const char *idkey, json_t **out, char *err, size_t len)
{
    int          found, lost;
    char         ref[INVSYNC_ACTION_KEY_LEN], sku[256];
    size_t       i, k;
    json_t      *data, *l, *ol, *hit;
    const char  *order, *id;

    *out = NULL;
    order = invsync_action_str(canon, "order_id");
    snprintf(ref, sizeof(ref), "%s:%s", channel, order);
    data = invsync_order_data(w, ref, &lost);

    if (lost) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    if (data == NULL) {
        snprintf(err, len, "a return of order %s:%s, which invsync has not "
                 "recorded", channel, order);
        return INVSYNC_RETURN_REFUSED;
    }

    *out = json_array();

    json_array_foreach(json_object_get(canon, "lines"), i, l) {
        id = invsync_action_str(l, idkey);
        hit = NULL;

        json_array_foreach(json_object_get(data, "lines"), k, ol) {
            if (strcmp(invsync_action_str(ol, "channel_line_id"), id) == 0) {
                hit = ol;
                break;
            }
        }

        found = hit ? invsync_stock_map(w, channel, hit, sku, sizeof(sku))
                    : 0;

        if (found != 1) {
            snprintf(err, len, found < 0 ? "redis connection lost"
                     : hit ? "line %s of order %s:%s has no mapped SKU"
                           : "line %s is not a line of order %s:%s", id,
                     channel, order);
            json_decref(*out);
            json_decref(data);
            *out = NULL;
            return found < 0 ? INVSYNC_RETURN_LOST : INVSYNC_RETURN_REFUSED;
        }

        /* the order line too: of two lines of one SKU, the one the
         * channel names is priced and received (invsync_return_lines.c) */
        json_array_append_new(*out, json_pack("{s:s, s:O, s:O*, s:O*}",
                              "sku", sku, "qty",
                              json_object_get(l, "quantity"), "condition",
                              json_object_get(l, "condition"), "line_id",
                              json_object_get(hit, "channel_line_id")));
    }

    json_decref(data);

    return INVSYNC_RETURN_DONE;
}


/* return_unknown, once per return (or per disposition webhook) */
invsync_act_rc_e
invsync_return_channel_exc(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *why, char *err, size_t len)
{
    char         summary[640], suffix[INVSYNC_RMA_ID_LEN + 16];
    const char  *id, *kind;

    kind = invsync_action_str(canon, "kind");
    id = strcmp(kind, "return") == 0 ? invsync_action_str(canon, "return_id")
                                     : NULL;

    if (id != NULL) {
        snprintf(suffix, sizeof(suffix), "return:%.120s", id);
        snprintf(summary, sizeof(summary), "the channel's return %.120s "
                 "(%s) cannot be applied: %s", id,
                 invsync_action_str(canon, "state"), why);
    } else {
        snprintf(summary, sizeof(summary), "disposition %.120s: %s",
                 invsync_action_str(canon, "disposition_id"), why);
    }

    return invsync_action_exception(w, ev, canon, "return_unknown",
                                    id ? suffix : NULL,
                                    id ? invsync_action_str(canon, "order_id")
                                       : NULL,
                                    summary, err, len);
}
