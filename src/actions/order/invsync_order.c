
/*
 * The order capability: an order's state (order.record, for new orders,
 * changes and cancellations) and a fulfilment's (fulfillment.record).  The
 * stock an order reserves or a shipment consumes follows in the rows after
 * these (src/actions/stock/).  order/invsync_order_batch.c runs the order
 * rows of many events pipelined.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"


invsync_act_rc_e
invsync_order_record(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char               state[INVSYNC_ACTION_KEY_LEN];
    json_t            *inputs;
    invsync_effect_t   fx;
    invsync_act_rc_e   rc;

    memset(&fx, 0, sizeof(invsync_effect_t));
    inputs = json_object();

    invsync_order_effect(ev, canon, &fx, state, sizeof(state), inputs);
    fx.inputs = inputs;

    rc = invsync_action_apply(w, ev, canon, &fx, err, len);
    json_decref(inputs);

    /* the refund of a payment provider finds the order by its payments */
    if (rc == INVSYNC_ACT_APPLIED || rc == INVSYNC_ACT_DUPLICATE
        || rc == INVSYNC_ACT_STALE)
    {
        if (invsync_order_payref(w, ev, canon, err, len)
            != INVSYNC_ACT_APPLIED
            || invsync_order_refunds_waiting(w, ev, canon, err, len)
               != INVSYNC_ACT_APPLIED)
        {
            return INVSYNC_ACT_RETRY;
        }
    }

    return rc;
}


/*
 * An order that is also its shipment ("shipped": a channel with no
 * fulfilment events) consumes what it reserved, keyed by the order.
 */

invsync_act_rc_e
invsync_order_ship(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    return invsync_stock_ship(w, ev, canon,
                              invsync_action_str(canon, "order_id"), err,
                              len);
}


/* an order's effect: fx, state and inputs set from canon */

int
invsync_order_effect(const invsync_envelope_t *ev, json_t *canon,
    invsync_effect_t *fx, char *state, size_t cap, json_t *inputs)
{
    const char  *id;

    id = invsync_action_str(canon, "order_id");
    snprintf(state, cap, "order:%s:%s", ev->channel, id);
    fx->action = "order.record";
    fx->state = state;
    fx->order = id;
    fx->version = invsync_action_int(canon, "updated_ms", -1);
    json_object_set(inputs, "status", json_object_get(canon, "status"));
    json_object_set(inputs, "updated_at",
                    json_object_get(canon, "updated_at"));

    return 1;
}


invsync_act_rc_e
invsync_fulfil_record(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char               state[INVSYNC_ACTION_KEY_LEN];
    json_t            *inputs;
    invsync_effect_t   fx;
    invsync_act_rc_e   rc;

    memset(&fx, 0, sizeof(invsync_effect_t));
    inputs = json_object();

    snprintf(state, sizeof(state), "fulfillment:%s:%s", ev->channel,
             invsync_action_str(canon, "fulfillment_id"));
    fx.action = "fulfillment.record";
    fx.state = state;
    fx.order = invsync_action_str(canon, "order_id");
    fx.version = invsync_action_int(canon, "updated_ms",
                                    invsync_action_int(canon, "created_ms",
                                                       -1));
    json_object_set(inputs, "status", json_object_get(canon, "status"));
    fx.inputs = inputs;

    rc = invsync_action_apply(w, ev, canon, &fx, err, len);
    json_decref(inputs);

    return rc;
}


/* the shipment consumes what the order reserved: keyed by the fulfilment */

invsync_act_rc_e
invsync_fulfil_ship(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    return invsync_stock_ship(w, ev, canon,
                              invsync_action_str(canon, "fulfillment_id"),
                              err, len);
}
