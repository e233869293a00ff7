
/*
 * Fulfilment: the shipments of a routed order (one per location of its
 * allocation, docs/fulfilment.md), opened after routing, confirmed when
 * they ship, cancelled with their order.  The scripts' calls are the
 * runtime's (src/runtime/invsync_ship.h), shared with invsyncctl ship;
 * the engine that buys labels and talks to 3PLs is the worker's
 * (src/worker/invsync_worker_fulfil.c).
 */


#ifndef INVSYNC_FULFIL_H_INCLUDED
#define INVSYNC_FULFIL_H_INCLUDED


#include "invsync_actions.h"
#include "invsync_ship.h"


/*
 * A shipment confirmed (label bought and handed over, 3PL shipped, manual
 * confirm): ship_confirm.lua, the ledger's ship movement at its location,
 * state shipped, track:due.  APPLIED when confirmed now, DUPLICATE when
 * it was shipped before or is cancelled (err says which), RETRY when the
 * Redis session was lost, POISON when there is no such shipment.
 * service, tracking_url may be NULL.
 */
invsync_act_rc_e invsync_shipment_confirm(invsync_worker_t *w,
    const char *id, const char *carrier, const char *service,
    const char *tracking, const char *tracking_url, char *err, size_t len);

/* the same with every member a label gives (the carrier path) */
invsync_act_rc_e invsync_shipment_confirm_rec(invsync_worker_t *w,
    const char *id, const invsync_ship_record_t *rec, char *err,
    size_t len);

/* after routing: the order's shipments from K alloc:<order> */
invsync_act_rc_e invsync_shipment_open(invsync_worker_t *w,
    const char *channel, const char *order, char *err, size_t len);

/* the rows "shipment.by_channel" of order and fulfillment events: the
 * shipments the channel shipped itself (invsync_fulfil_channel.c) */
invsync_act_rc_e invsync_shipment_by_channel(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
int invsync_shipment_by_channel_applies(json_t *canon);

/* the order_cancelled row "shipment.cancel" */
invsync_act_rc_e invsync_shipment_cancel(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);


#endif /* INVSYNC_FULFIL_H_INCLUDED */
