
/*
 * Where a refunded line shipped from (invsync_refund_shipped.c).
 */


#ifndef INVSYNC_REFUND_SHIPPED_H
#define INVSYNC_REFUND_SHIPPED_H


#include "invsync_actions.h"


int invsync_refund_shipped_from(invsync_worker_t *w, const char *order,
    const char *sku, char *loc, size_t cap);


#endif /* INVSYNC_REFUND_SHIPPED_H */
