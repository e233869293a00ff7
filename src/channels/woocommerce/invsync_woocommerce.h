
/*
 * WooCommerce's room: the parts src/channels/woocommerce/ defines for its
 * row of the channel table (channels.md section 3).
 */


#ifndef INVSYNC_WOOCOMMERCE_H_INCLUDED
#define INVSYNC_WOOCOMMERCE_H_INCLUDED


#include "invsync_channel.h"
#include "invsync_schemes.h"


extern const invsync_normalizer_t  invsync_normalizer_woocommerce;


#endif /* INVSYNC_WOOCOMMERCE_H_INCLUDED */
