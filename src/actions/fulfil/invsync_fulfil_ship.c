
/*
 * Shipments as actions: opened after the routing step (order.route, and
 * re-routing), confirmed (the engine, a 3PL's webhook, invsyncctl ship
 * goes through the same script), cancelled with the order.  A shipment
 * already shipped when its order is cancelled cannot be called back: a
 * cancel_after_shipment exception says so (it becomes a return).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_fulfil.h"


invsync_act_rc_e
invsync_shipment_confirm(invsync_worker_t *w, const char *id,
    const char *carrier, const char *service, const char *tracking,
    const char *tracking_url, char *err, size_t len)
{
    invsync_ship_record_t  rec;

    memset(&rec, 0, sizeof(invsync_ship_record_t));
    rec.carrier = carrier;
    rec.service = service;
    rec.tracking = tracking;
    rec.tracking_url = tracking_url;
    rec.by = w->conf->consumer;

    return invsync_shipment_confirm_rec(w, id, &rec, err, len);
}


invsync_act_rc_e
invsync_shipment_confirm_rec(invsync_worker_t *w, const char *id,
    const invsync_ship_record_t *rec, char *err, size_t len)
{
    char               audit[128];
    invsync_ship_rc_e  rc;

    rc = invsync_ship_confirm_call(w, id, rec, audit, sizeof(audit), err,
                                   len);

    switch (rc) {
    case INVSYNC_SHIP_DONE:
        return INVSYNC_ACT_APPLIED;
    case INVSYNC_SHIP_BEFORE:
        snprintf(err, len, "shipment %s was %s before", id, audit);
        return INVSYNC_ACT_DUPLICATE;
    case INVSYNC_SHIP_CANCELLED:
        snprintf(err, len, "shipment %s is %s", id, audit);
        return INVSYNC_ACT_DUPLICATE;
    case INVSYNC_SHIP_REFUSED:
        return INVSYNC_ACT_POISON;
    default:
        return INVSYNC_ACT_RETRY;
    }
}


invsync_act_rc_e
invsync_shipment_open(invsync_worker_t *w, const char *channel,
    const char *order, char *err, size_t len)
{
    switch (invsync_ship_open_call(w, channel, order, err, len)) {
    case INVSYNC_SHIP_DONE:
        return INVSYNC_ACT_APPLIED;
    case INVSYNC_SHIP_REFUSED:
        return INVSYNC_ACT_POISON;
    default:
        return INVSYNC_ACT_RETRY;
    }
}


/* the row: after stock.release (the allocation is given back there) */

invsync_act_rc_e
invsync_shipment_cancel(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char               order[INVSYNC_SHIP_ID_LEN];
    size_t             i;
    json_t            *shipped, *data;
    const char        *oid, *id;
    invsync_act_rc_e   rc, r;
    invsync_ship_rc_e  src;

    oid = invsync_action_str(canon, "order_id");
    if (oid == NULL) {
        snprintf(err, len, "shipment.cancel: the order has no order_id");
        return INVSYNC_ACT_POISON;
    }

    snprintf(order, sizeof(order), "%s:%s", ev->channel, oid);
    shipped = NULL;
    src = invsync_ship_cancel_call(w, order, &shipped, err, len);

    if (src != INVSYNC_SHIP_DONE) {
        return src == INVSYNC_SHIP_REFUSED ? INVSYNC_ACT_POISON
                                           : INVSYNC_ACT_RETRY;
    }

    rc = INVSYNC_ACT_APPLIED;

    json_array_foreach(shipped, i, data) {
        id = json_string_value(data);
        data = json_pack("{s:s, s:s}", "order", order, "shipment", id);
        r = invsync_action_exception(w, ev, data, "cancel_after_shipment",
                                     id + strlen(ev->channel) + 1, oid,
                                     "the order was cancelled after its "
                                     "shipment left", err, len);
        json_decref(data);

        if (r == INVSYNC_ACT_RETRY) {
            rc = r;
            break;
        }

        rc = INVSYNC_ACT_EXCEPTION;
    }

    json_decref(shipped);

    return rc;
}
