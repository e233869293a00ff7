
/*
 * The rows of the channel table, one per folder of src/channels, each
 * defined in src/channels/<type>/invsync_<type>.c.
 */


#ifndef INVSYNC_CHANNELS_H_INCLUDED
#define INVSYNC_CHANNELS_H_INCLUDED


#include "invsync_channel.h"
#include "invsync_provider.h"


extern const invsync_channel_t  invsync_channel_shipbob;
extern const invsync_channel_t  invsync_channel_shopify;
extern const invsync_channel_t  invsync_channel_square;
extern const invsync_channel_t  invsync_channel_stripe;
extern const invsync_channel_t  invsync_channel_tiktok;
extern const invsync_channel_t  invsync_channel_woocommerce;


/* the 3PL rows (invsync_provider.c) */
extern const invsync_3pl_t  invsync_3pl_shipbob;


#endif /* INVSYNC_CHANNELS_H_INCLUDED */
