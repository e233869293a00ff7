
/*
 * The table of signature schemes, what nginx links: the generic ones of
 * src/core and one per channel folder that signs its webhooks.  The core
 * looks names up in it (invsync_scheme_find()).
 */


#include "invsync_schemes.h"


/* alphabetical; one row per scheme file (src/core/invsync_scheme_<name>.c
 * for the generic ones, src/channels/<name>/ for a channel's) */
const invsync_scheme_t  *invsync_schemes[] = {
    &invsync_scheme_hmac,
    &invsync_scheme_shipbob,
    &invsync_scheme_shopify,
    &invsync_scheme_square,
    &invsync_scheme_standard,
    &invsync_scheme_stripe,
    &invsync_scheme_tiktok,
    &invsync_scheme_woocommerce,
    NULL
};
