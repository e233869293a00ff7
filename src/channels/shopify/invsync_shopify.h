
/*
 * Shopify's room: the parts src/channels/shopify/ defines for its row of
 * the channel table (channels.md section 2).
 */


#ifndef INVSYNC_SHOPIFY_H_INCLUDED
#define INVSYNC_SHOPIFY_H_INCLUDED


#include "invsync_channel.h"
#include "invsync_schemes.h"


extern const invsync_normalizer_t  invsync_normalizer_shopify;


#endif /* INVSYNC_SHOPIFY_H_INCLUDED */
