
/*
 * What shipped of an order's SKU and from where (invsync_order_shipped.c):
 * what a refund's restock and a return's receipt both need.
 */


#ifndef INVSYNC_ORDER_SHIPPED_H
#define INVSYNC_ORDER_SHIPPED_H


#include "invsync_actions.h"


/* units shipped of sku (0: none) and the location they left from ("" when
 * none); 0, or -1 on Redis */
int invsync_order_shipped(invsync_worker_t *w, const char *order,
    const char *sku, int64_t *qty, char *loc, size_t cap);


#endif /* INVSYNC_ORDER_SHIPPED_H */
