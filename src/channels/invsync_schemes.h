
/*
 * The channels' signature schemes, one per channel folder; their table
 * (with the generic schemes of src/core) is src/channels/invsync_schemes.c,
 * which nginx links.
 */


#ifndef INVSYNC_SCHEMES_H_INCLUDED
#define INVSYNC_SCHEMES_H_INCLUDED


#include "invsync.h"


extern const invsync_scheme_t  invsync_scheme_shipbob;
extern const invsync_scheme_t  invsync_scheme_shopify;
extern const invsync_scheme_t  invsync_scheme_square;
extern const invsync_scheme_t  invsync_scheme_stripe;
extern const invsync_scheme_t  invsync_scheme_tiktok;
extern const invsync_scheme_t  invsync_scheme_woocommerce;


#endif /* INVSYNC_SCHEMES_H_INCLUDED */
