
/*
 * Shopify's row of the channel table: its scheme, normalizer, the
 * identifiers a SKU is mapped by (an inventory item at a location, as
 * numbers or gid://shopify/ ids), and its operations.
 */


#include <stdio.h>

#include "invsync_shopify.h"


static int invsync_shopify_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq);


/* Link: the next page of a REST list; the REST call bucket */
static const char  *invsync_shopify_answer_headers[] = {
    "Link",
    "X-Shopify-Shop-Api-Call-Limit",
    NULL
};


static const invsync_channel_id_t  invsync_shopify_ids[] = {
    /* key               option            gid
     *   ref     shape               required nullable location */
    { "inventory_item_id", "inventory-item", "gid://shopify/InventoryItem/",
      "item", INVSYNC_ID_NUMBER, 1, 0, 0 },
    { "location_id",       "location",       "gid://shopify/Location/",
      NULL,   INVSYNC_ID_NUMBER, 1, 0, 1 },
    { NULL, NULL, NULL, NULL, 0, 0, 0, 0 }
};


const invsync_channel_t  invsync_channel_shopify = {
    .type = "shopify",
    .scheme = &invsync_scheme_shopify,
    .normalizer = &invsync_normalizer_shopify,
    .ids = invsync_shopify_ids,
    .answer_headers = invsync_shopify_answer_headers,
    .authorize = invsync_shopify_authorize,
    .push_max = 250,            /* per-request cap unconfirmed: channels.md */
    .push_build = invsync_shopify_push_build,
    .push_parse = invsync_shopify_push_parse,
    .read_max = 50,             /* a query's cost: invsync_shopify_stock.c */
    .read_item = invsync_shopify_read_item,
    .read_build = invsync_shopify_read_build,
    .read_parse = invsync_shopify_read_parse,
    .poll_build = invsync_shopify_poll_build,
    .poll_parse = invsync_shopify_poll_parse,
    .poll_order = invsync_shopify_poll_order,
    .account = invsync_shopify_account,
    .check_options = invsync_shopify_check_options,
    .track_build = invsync_shopify_track_build,
    .track_parse = invsync_shopify_track_parse,
    .refund_build = invsync_shopify_refund_build,
    .refund_parse = invsync_shopify_refund_parse,
    .sale_location = invsync_shopify_sale_location,
    .disposition_build = invsync_shopify_disposition_build,
    .disposition_parse = invsync_shopify_disposition_parse,
    .stock_per_location = 1,
    .may_email_buyers = 1,
};


/* the Admin API access token in its header */

static int
invsync_shopify_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq)
{
    return invsync_request_header(rq, "X-Shopify-Access-Token: %s",
                                  ctx->credentials ? ctx->credentials : "");
}
