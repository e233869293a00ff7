
/*
 * What shipped of an order's SKU and from where (invsync_order_shipped.c):
 * what a refund's restock and a return's receipt both need.  Read in two
 * pipelined steps (the order's shipments, audit and allocation; then each
 * shipment or audit entry), so that a batch of refunds reads every order's
 * in the same two round trips (invsync_refund_batch.c), and answered for
 * any of the order's SKUs from the same replies.
 */


#ifndef INVSYNC_ORDER_SHIPPED_H
#define INVSYNC_ORDER_SHIPPED_H


#include "invsync_actions.h"


/* an order's replies; zeroed by the caller, released by _free() */
typedef struct {
    const char   *order;        /* "<channel>:<order id>", borrowed */
    redisReply   *ids;          /* SMEMBERS shipments:<order> */
    redisReply   *audit;        /* ZRANGE audit:order:<order> */
    redisReply   *held;         /* HGET alloc:<order> held */
    redisReply  **more;         /* a HMGET per shipment, else an XRANGE
                                 * per audit entry */
    size_t        nmore;
} invsync_shipped_t;


/* units shipped of sku (0: none) and the location they left from ("" when
 * none); 0, or -1 on Redis */
int invsync_order_shipped(invsync_worker_t *w, const char *order,
    const char *sku, int64_t *qty, char *loc, size_t cap);

/* the two steps: append, then read each; 0, or -1 (session lost, or no
 * memory) */
int invsync_shipped_append(invsync_worker_t *w, invsync_shipped_t *s);
int invsync_shipped_read(invsync_worker_t *w, invsync_shipped_t *s);
int invsync_shipped_append_more(invsync_worker_t *w, invsync_shipped_t *s);
int invsync_shipped_read_more(invsync_worker_t *w, invsync_shipped_t *s);

/* the answer for sku from the replies read */
void invsync_shipped_of(const invsync_shipped_t *s, const char *sku,
    int64_t *qty, char *loc, size_t cap);
void invsync_shipped_free(invsync_shipped_t *s);


#endif /* INVSYNC_ORDER_SHIPPED_H */
