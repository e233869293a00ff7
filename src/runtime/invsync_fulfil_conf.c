
/*
 * worker.json "fulfilment": how many requests the fulfilment engines keep
 * in flight at once on the worker's curl multi (docs/fulfilment.md,
 * "Parallel requests"), each key refused with its JSON path.  A slot is
 * one shipment's request sequence: the shipment is claimed for it alone
 * (ship_claim.lua), so more slots never work one shipment twice.
 */


#include <stdio.h>

#include "invsync_config_read.h"


#define INVSYNC_SLOTS_MAX      64
/* Defaults sized by t/bench/order_tracking (docs/performance.md, "Order
 * to tracking"): a label takes two carrier round trips and a channel's
 * tracking up to four, so 8 carrier and 4 tracking slots kept 200
 * orders/s queueing (p99 ~10 s) even with a carrier answering at once */
#define INVSYNC_CARRIER_SLOTS  32
#define INVSYNC_TRACK_SLOTS    16


static const char  *invsync_fulfil_conf_keys[] = {
    "carrier_slots", "threepl_slots", "track_slots", NULL
};


int
invsync_cfg_fulfilment(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    long     carrier, threepl, track;
    json_t  *f;

    f = invsync_cfg_object(c, root, "$", "fulfilment");
    if (f == NULL && json_object_get(root, "fulfilment") != NULL) {
        return -1;
    }

    if ((f != NULL
         && invsync_cfg_keys(c, f, "$.fulfilment", invsync_fulfil_conf_keys)
            != 0)
        || invsync_cfg_int(c, f, "$.fulfilment", "carrier_slots", 1,
                           INVSYNC_SLOTS_MAX, INVSYNC_CARRIER_SLOTS,
                           &carrier) != 0
        || invsync_cfg_int(c, f, "$.fulfilment", "threepl_slots", 1,
                           INVSYNC_SLOTS_MAX, 8, &threepl) != 0
        || invsync_cfg_int(c, f, "$.fulfilment", "track_slots", 1,
                           INVSYNC_SLOTS_MAX, INVSYNC_TRACK_SLOTS,
                           &track) != 0)
    {
        return -1;
    }

    conf->carrier_slots = (int) carrier;
    conf->threepl_slots = (int) threepl;
    conf->track_slots = (int) track;

    return 0;
}
