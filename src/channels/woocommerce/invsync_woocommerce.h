
/*
 * WooCommerce's room: the parts src/channels/woocommerce/ defines for its
 * row of the channel table (channels.md section 3).
 */


#ifndef INVSYNC_WOOCOMMERCE_H_INCLUDED
#define INVSYNC_WOOCOMMERCE_H_INCLUDED


#include "invsync_channels.h"
#include "invsync_schemes.h"
#include "invsync_shipment.h"


extern const invsync_normalizer_t  invsync_normalizer_woocommerce;

/* invsync_woocommerce_mode.c: local pickup or shipped */
int invsync_woo_fulfilment(const invsync_canon_src_t *s, json_t *e);

/* invsync_woocommerce_stock.c */
size_t invsync_woo_push_build(const invsync_channel_ctx_t *ctx,
    invsync_push_item_t *items, size_t n, const char *idempotency,
    invsync_request_t *rq);
invsync_channel_rc_e invsync_woo_push_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_push_item_t *items, size_t n,
    int64_t *delay_ms);
int invsync_woo_read_item(invsync_read_item_t *it);
size_t invsync_woo_read_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq);
invsync_channel_rc_e invsync_woo_read_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_read_item_t *items, size_t n,
    int64_t *delay_ms);

/* invsync_woocommerce_track.c */
int invsync_woo_track_build(const invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, invsync_request_t *rq);
invsync_channel_rc_e invsync_woo_track_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_shipment_t *s, int64_t *delay_ms);

/* invsync_woocommerce_refund.c */
int invsync_woo_refund_build(const invsync_channel_ctx_t *ctx,
    invsync_refund_push_t *r, invsync_request_t *rq);
invsync_channel_rc_e invsync_woo_refund_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_refund_push_t *r, int64_t *delay_ms);
/* invsync_woocommerce_refunds.c: an order's refunds, with their lines */
int invsync_woo_refunds_build(const invsync_channel_ctx_t *ctx,
    const char *order_id, invsync_request_t *rq);
invsync_channel_rc_e invsync_woo_refunds_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    json_t **refunds, int64_t *delay_ms);

/* invsync_normalize_woocommerce_refund.c: one refund read from the API */
json_t *invsync_woo_refund_read(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
/* invsync_normalize_woocommerce.c: what the ledger matches a line by */
int invsync_woo_refs(const invsync_canon_src_t *s, json_t *obj,
    const char *sku, const char *variation);

/* invsync_woocommerce_poll.c */
int invsync_woo_poll_build(const invsync_channel_ctx_t *ctx,
    const invsync_page_t *page, invsync_request_t *rq);
invsync_channel_rc_e invsync_woo_poll_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_page_t *page, int64_t *delay_ms);
int invsync_woo_poll_order(const invsync_channel_ctx_t *ctx, json_t *order,
    invsync_polled_t *p);
void invsync_woo_account(const invsync_channel_ctx_t *ctx, char *buf,
    size_t cap);


#endif /* INVSYNC_WOOCOMMERCE_H_INCLUDED */
