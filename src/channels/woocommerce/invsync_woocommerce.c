
/*
 * WooCommerce's row of the channel table: its scheme, normalizer, the
 * identifiers a SKU is mapped by (a product, or a variation of one; the
 * variations of one product are different SKUs), and its operations.
 */


#include "invsync_woocommerce.h"


static int invsync_woo_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq);


/* the number of pages of a REST list */
static const char  *invsync_woo_answer_headers[] = {
    "X-WP-TotalPages",
    NULL
};


static const invsync_channel_id_t  invsync_woocommerce_ids[] = {
    /* key            option       gid   ref          shape
     *   required nullable location */
    { "variation_id", "variation", NULL, "variation", INVSYNC_ID_NUMBER,
      0, 1, 0 },
    { "product_id",   "product",   NULL, "product",   INVSYNC_ID_NUMBER,
      1, 0, 0 },
    { NULL, NULL, NULL, NULL, 0, 0, 0, 0 }
};


const invsync_channel_t  invsync_channel_woocommerce = {
    .type = "woocommerce",
    .scheme = &invsync_scheme_woocommerce,
    .normalizer = &invsync_normalizer_woocommerce,
    .ids = invsync_woocommerce_ids,
    .answer_headers = invsync_woo_answer_headers,
    .authorize = invsync_woo_authorize,
    .push_max = 100,            /* the batch endpoints' limit */
    .push_build = invsync_woo_push_build,
    .push_parse = invsync_woo_push_parse,
    .read_max = 100,
    .read_item = invsync_woo_read_item,
    .read_build = invsync_woo_read_build,
    .read_parse = invsync_woo_read_parse,
    .poll_build = invsync_woo_poll_build,
    .poll_parse = invsync_woo_poll_parse,
    .poll_order = invsync_woo_poll_order,
    .account = invsync_woo_account,
    .track_build = invsync_woo_track_build,
    .track_parse = invsync_woo_track_parse,
    .refund_build = invsync_woo_refund_build,
    .refund_parse = invsync_woo_refund_parse,
    .refunds_build = invsync_woo_refunds_build,
    .refunds_parse = invsync_woo_refunds_parse,
    .stock_per_location = 0,
    .may_email_buyers = 1,
};


/* HTTP Basic with "consumer_key:consumer_secret", the credentials file */

static int
invsync_woo_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq)
{
    return invsync_request_basic(rq, ctx->credentials ? ctx->credentials
                                                      : "");
}
