
/*
 * Shopify's row of the channel table: its scheme, normalizer, the
 * identifiers a SKU is mapped by (an inventory item at a location, as
 * numbers or gid://shopify/ ids), and its operations.
 */


#include "invsync_shopify.h"


static const invsync_channel_id_t  invsync_shopify_ids[] = {
    /* key               option            gid
     *   ref     shape               required nullable */
    { "inventory_item_id", "inventory-item", "gid://shopify/InventoryItem/",
      "item", INVSYNC_ID_NUMBER, 1, 0 },
    { "location_id",       "location",       "gid://shopify/Location/",
      NULL,   INVSYNC_ID_NUMBER, 1, 0 },
    { NULL, NULL, NULL, NULL, 0, 0, 0 }
};


const invsync_channel_t  invsync_channel_shopify = {
    .type = "shopify",
    .scheme = &invsync_scheme_shopify,
    .normalizer = &invsync_normalizer_shopify,
    .ids = invsync_shopify_ids,
    .stock_per_location = 1,
    .may_email_buyers = 1,
};
