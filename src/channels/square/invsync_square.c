
/*
 * Square's row of the channel table: its scheme, normalizer, the
 * identifiers a SKU is mapped by (an item variation at a location, both
 * Square object ids), and its operations.  Requests carry the access
 * token as a Bearer and the API version they were written against.
 */


#include <stdio.h>

#include "invsync_square.h"


static int invsync_square_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq);


static const invsync_channel_id_t  invsync_square_ids[] = {
    /* key                 option         gid   ref     shape
     *   required nullable location */
    { "catalog_object_id", "variation-id", NULL, "item", INVSYNC_ID_TOKEN,
      1, 0, 0 },
    { "location_id",       "location",     NULL, NULL,   INVSYNC_ID_TOKEN,
      1, 0, 1 },
    { NULL, NULL, NULL, NULL, 0, 0, 0, 0 }
};


const invsync_channel_t  invsync_channel_square = {
    .type = "square",
    .scheme = &invsync_scheme_square,
    .normalizer = &invsync_normalizer_square,
    .ids = invsync_square_ids,
    .check_options = invsync_square_check_options,
    .authorize = invsync_square_authorize,
    .push_max = 100,            /* changes in one batch-create */
    .push_build = invsync_square_push_build,
    .push_parse = invsync_square_push_parse,
    .read_max = 100,
    .read_item = invsync_square_read_item,
    .read_build = invsync_square_read_build,
    .read_parse = invsync_square_read_parse,
    .poll_build = invsync_square_poll_build,
    .poll_parse = invsync_square_poll_parse,
    .poll_order = invsync_square_poll_order,
    .account = invsync_square_account,
    .sale_location = invsync_square_sale_location,
    .stock_per_location = 1,
    /* Square takes a sale out of its count and says so at once; the
     * order's lines only come with the next SearchOrders poll */
    .counts_before_orders = 1,
    .may_email_buyers = 1,
};


static int
invsync_square_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq)
{
    if (invsync_request_header(rq, "Square-Version: %s",
                               INVSYNC_SQUARE_VERSION) != 0)
    {
        return -1;
    }

    return invsync_request_header(rq, "Authorization: Bearer %s",
                                  ctx->credentials ? ctx->credentials : "");
}
