
/*
 * The ledger side of the order, fulfilment and refund rows: an order's
 * lines reserve stock, a cancellation releases it, a shipment consumes it,
 * a restocked refund returns it.  Every movement goes through
 * src/core/lua/ledger.lua (stock/invsync_ledger.c), keyed by the order (or
 * fulfilment, refund) and its line, never by the delivery: a webhook and a
 * backfill of the same order move stock once.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


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

        found = invsync_stock_map(w, ev->channel, line, sku, sizeof(sku));
        if (found < 0) {
            snprintf(err, len, "redis connection lost");
            return INVSYNC_ACT_RETRY;
        }

        /* a line that requires no shipping (a digital good) and has no
         * ledger SKU moves no stock: nothing for a person to map */
        if (found == 0 && json_is_false(json_object_get(line,
                                                        "requires_shipping")))
        {
            continue;
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

        found = invsync_stock_map(w, ev->channel, line, sku, sizeof(sku));
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


/* a member as text: strings as they are, integers in decimal */

const char *
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
