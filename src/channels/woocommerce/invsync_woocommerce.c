
/*
 * WooCommerce's row of the channel table: its scheme, normalizer, the
 * identifiers a SKU is mapped by (a product, or a variation of one; the
 * variations of one product are different SKUs), and its operations.
 */


#include "invsync_woocommerce.h"


static const invsync_channel_id_t  invsync_woocommerce_ids[] = {
    /* key            option       gid   ref          shape
     *   required nullable */
    { "variation_id", "variation", NULL, "variation", INVSYNC_ID_NUMBER,
      0, 1 },
    { "product_id",   "product",   NULL, "product",   INVSYNC_ID_NUMBER,
      1, 0 },
    { NULL, NULL, NULL, NULL, 0, 0, 0 }
};


const invsync_channel_t  invsync_channel_woocommerce = {
    .type = "woocommerce",
    .scheme = &invsync_scheme_woocommerce,
    .normalizer = &invsync_normalizer_woocommerce,
    .ids = invsync_woocommerce_ids,
    .stock_per_location = 0,
    .may_email_buyers = 1,
};
