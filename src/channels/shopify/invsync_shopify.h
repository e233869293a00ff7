
/*
 * Shopify's room: the parts src/channels/shopify/ defines for its row of
 * the channel table (channels.md section 2).
 */


#ifndef INVSYNC_SHOPIFY_H_INCLUDED
#define INVSYNC_SHOPIFY_H_INCLUDED


#include "invsync_channels.h"
#include "invsync_schemes.h"
#include "invsync_shipment.h"


/* the Admin API version of every Shopify request (channels.md 2.4) */
#define INVSYNC_SHOPIFY_GRAPHQL  "/admin/api/2026-04/graphql.json"


extern const invsync_normalizer_t  invsync_normalizer_shopify;

/* invsync_normalize_shopify_lines.c: an order's line_items as e.lines */
int invsync_shopify_lines(const invsync_canon_src_t *s, json_t *e);

/* invsync_normalize_shopify.c: what the ledger matches a line by */
int invsync_shopify_refs(const invsync_canon_src_t *s, json_t *l);

/* invsync_shopify_mode.c: pickup, point of sale or shipped; per line */
int invsync_shopify_fulfilment(const invsync_canon_src_t *s, json_t *e);
json_t *invsync_shopify_requires_shipping(const invsync_canon_src_t *line);
const char *invsync_shopify_sale_location(const invsync_channel_conf_t *cc,
    const char *location_id, int *mapped);

/* invsync_normalize_shopify_refund.c: refunds, an order's too */
json_t *invsync_shopify_refund(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
int invsync_shopify_refund_members(invsync_canon_src_t *s, json_t *e,
    json_t *order_id);
int invsync_shopify_payments(const invsync_canon_src_t *s, json_t *e);
int invsync_shopify_order_refunds(const invsync_canon_src_t *s, json_t *e);

/* invsync_normalize_shopify_return.c: returns and their dispositions */
json_t *invsync_shopify_return(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
json_t *invsync_shopify_return_transit(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
json_t *invsync_shopify_dispose(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
json_t *invsync_shopify_dispose_read(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);

/* invsync_shopify_stock.c */
size_t invsync_shopify_push_build(const invsync_channel_ctx_t *ctx,
    invsync_push_item_t *items, size_t n, const char *idempotency,
    invsync_request_t *rq);
invsync_channel_rc_e invsync_shopify_push_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_push_item_t *items, size_t n, int64_t *delay_ms);
int invsync_shopify_read_item(invsync_read_item_t *it);
size_t invsync_shopify_read_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq);
invsync_channel_rc_e invsync_shopify_read_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_read_item_t *items, size_t n, int64_t *delay_ms);

/* invsync_shopify_stock.c, for the other GraphQL operations: an id as a
 * gid; THROTTLED in the body (1, with the wait); a thin bucket's delay;
 * not 200, not JSON or GraphQL errors as RETRY (takes doc) */
json_t *invsync_shopify_gid(const char *kind, json_t *id);
int invsync_shopify_throttled(json_t *doc, int64_t *delay_ms);
void invsync_shopify_bucket(json_t *doc, int64_t *delay_ms);
invsync_channel_rc_e invsync_shopify_failed(const invsync_answer_t *a,
    json_t *doc);

/* invsync_shopify_track.c */
int invsync_shopify_check_options(const invsync_channel_conf_t *cc,
    char *err, size_t len);
int invsync_shopify_track_build(const invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, invsync_request_t *rq);
invsync_channel_rc_e invsync_shopify_track_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_shipment_t *s, int64_t *delay_ms);

/* invsync_shopify_refund.c */
int invsync_shopify_refund_build(const invsync_channel_ctx_t *ctx,
    invsync_refund_push_t *r, invsync_request_t *rq);
invsync_channel_rc_e invsync_shopify_refund_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_refund_push_t *r, int64_t *delay_ms);

/* invsync_shopify_return_read.c: what a disposition belongs to */
int invsync_shopify_disposition_build(const invsync_channel_ctx_t *ctx,
    const char *disposition_id, invsync_request_t *rq);
invsync_channel_rc_e invsync_shopify_disposition_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    json_t **read, int64_t *delay_ms);

/* invsync_shopify_poll.c */
int invsync_shopify_poll_build(const invsync_channel_ctx_t *ctx,
    const invsync_page_t *page, invsync_request_t *rq);
invsync_channel_rc_e invsync_shopify_poll_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_page_t *page, int64_t *delay_ms);
int invsync_shopify_poll_order(const invsync_channel_ctx_t *ctx,
    json_t *order, invsync_polled_t *p);
void invsync_shopify_account(const invsync_channel_ctx_t *ctx, char *buf,
    size_t cap);


#endif /* INVSYNC_SHOPIFY_H_INCLUDED */
