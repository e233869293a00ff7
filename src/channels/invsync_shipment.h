
/*
 * A shipment as a channel's tracking operations see it: what left which
 * location with which carrier and number, the order's lines it holds by
 * the channel's own line ids, and where the sequence of requests that
 * tells the channel stands (track_build / track_parse of
 * invsync_channel.h).  The engine fills it from the shipment's hash
 * (docs/fulfilment.md); the channel reads it and moves its step on.
 *
 * The ledger's location is given as is; a channel that keeps locations of
 * its own maps it by its options (Shopify: channels[].options.locations,
 * ledger location -> Shopify location id; docs/channels.md).  A location
 * it cannot map is left where the channel put it.
 */


#ifndef INVSYNC_SHIPMENT_H_INCLUDED
#define INVSYNC_SHIPMENT_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


#define INVSYNC_SHIPMENT_LINES     64
#define INVSYNC_SHIPMENT_ID_LEN    64
#define INVSYNC_SHIPMENT_TEXT_LEN  128
#define INVSYNC_SHIPMENT_URL_LEN   1024
#define INVSYNC_SHIPMENT_ERR_LEN   300


/*
 * Where the telling stands.  The engine starts at LOOK (every attempt,
 * after a crash or a retry too: what the channel has already is read
 * before anything is created, so a retry never makes a second one) and
 * sends what track_build makes of the step until DONE or REFUSED.
 */
typedef enum {
    INVSYNC_TRACK_LOOK = 0,     /* what the channel has of the order */
    INVSYNC_TRACK_MOVE,         /* the channel's assignment to our place */
    INVSYNC_TRACK_CREATE,       /* the fulfilment, with its tracking */
    INVSYNC_TRACK_COMPLETE,     /* the order marked shipped */
    INVSYNC_TRACK_DONE,         /* told: ref names what the channel has */
    INVSYNC_TRACK_REFUSED       /* the channel said no: err says why */
} invsync_track_step_e;


/* one order line of the shipment: the channel's line id (the canonical
 * order's channel_line_id), the ledger SKU, the quantity shipped */
typedef struct {
    char                 line_id[INVSYNC_SHIPMENT_ID_LEN];
    char                 sku[INVSYNC_SHIPMENT_TEXT_LEN];
    int64_t              qty;
} invsync_shipment_line_t;


struct invsync_shipment_s {
    /* what shipped: read by the channel, never changed by it */
    char                     id[2 * INVSYNC_SHIPMENT_TEXT_LEN + 64];
    char                     order_id[INVSYNC_SHIPMENT_ID_LEN];
    char                     location[INVSYNC_SHIPMENT_ID_LEN];   /* ledger */
    size_t                   nlines;
    invsync_shipment_line_t  lines[INVSYNC_SHIPMENT_LINES];
    char                     carrier[INVSYNC_SHIPMENT_ID_LEN];
    char                     service[INVSYNC_SHIPMENT_ID_LEN];
    char                     tracking[INVSYNC_SHIPMENT_TEXT_LEN];
    char                     tracking_url[INVSYNC_SHIPMENT_URL_LEN];
    int64_t                  shipped_at_ms;
    unsigned                 last:1;    /* no other shipment of the order
                                         * is still to be told */

    /* the sequence: moved on by track_parse */
    invsync_track_step_e     step;
    char                     ref[INVSYNC_SHIPMENT_TEXT_LEN];  /* DONE */
    char                     err[INVSYNC_SHIPMENT_ERR_LEN];   /* REFUSED */
    json_t                  *found;     /* the channel's notes between
                                         * steps (what LOOK found), owned
                                         * by the shipment; NULL: none */
};


#endif /* INVSYNC_SHIPMENT_H_INCLUDED */
