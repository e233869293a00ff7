
/*
 * STUB of helper "ship"'s header (FULFIL-CONTRACT.md): the declarations
 * the 3PL path uses.  Replaced by ship's file when its branch is merged.
 */


#ifndef INVSYNC_FULFIL_H_INCLUDED
#define INVSYNC_FULFIL_H_INCLUDED


#include "invsync_runtime.h"


invsync_act_rc_e invsync_shipment_confirm(invsync_worker_t *w,
    const char *id, const char *carrier, const char *service,
    const char *tracking, const char *tracking_url, char *err, size_t len);

size_t invsync_key_shipment(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id);
size_t invsync_key_fulfil_due(char *dst, size_t cap,
    const invsync_conf_t *conf);

/* the driver's 3PL part, until ship's driver calls invsync_3pl_due() */
int invsync_3pl_tick(invsync_worker_t *w);


#endif /* INVSYNC_FULFIL_H_INCLUDED */
