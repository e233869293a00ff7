
/*
 * The rows of the channel table, one per folder of src/channels, each
 * defined in src/channels/<type>/invsync_<type>.c.
 */


#ifndef INVSYNC_CHANNELS_H_INCLUDED
#define INVSYNC_CHANNELS_H_INCLUDED


#include "invsync_channel.h"


extern const invsync_channel_t  invsync_channel_shopify;
extern const invsync_channel_t  invsync_channel_square;
extern const invsync_channel_t  invsync_channel_stripe;
extern const invsync_channel_t  invsync_channel_tiktok;
extern const invsync_channel_t  invsync_channel_woocommerce;


#endif /* INVSYNC_CHANNELS_H_INCLUDED */
