
/*
 * Square's room: the parts src/channels/square/ defines for its row of
 * the channel table (channels.md section 5).
 */


#ifndef INVSYNC_SQUARE_H_INCLUDED
#define INVSYNC_SQUARE_H_INCLUDED


#include "invsync_channels.h"
#include "invsync_schemes.h"


/*
 * The Square-Version header of every request.  Square dates its API
 * versions; the one chosen here is unconfirmed against the live API
 * (channels.md 5.3 writes "2025-xx-xx"): change it here only.
 */
#define INVSYNC_SQUARE_VERSION  "2025-10-16"

#define INVSYNC_SQUARE_LOCATIONS  10    /* SearchOrders takes at most 10 */


extern const invsync_normalizer_t  invsync_normalizer_square;

/* invsync_square_mode.c: counter, pickup or shipped; per line */
int invsync_square_fulfilment(const invsync_canon_src_t *s, json_t *e);
json_t *invsync_square_requires_shipping(const invsync_canon_src_t *line);
int invsync_square_location_id(const char *s);
const char *invsync_square_sale_location(const invsync_channel_conf_t *cc,
    const char *location_id, int *mapped);

/* invsync_normalize_square_refund.c */
json_t *invsync_square_refund(const invsync_envelope_t *ev,
    invsync_canon_src_t *obj);
int invsync_square_payments(const invsync_canon_src_t *s, json_t *e);

/* invsync_square_stock.c */
size_t invsync_square_push_build(const invsync_channel_ctx_t *ctx,
    invsync_push_item_t *items, size_t n, const char *idempotency,
    invsync_request_t *rq);
invsync_channel_rc_e invsync_square_push_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_push_item_t *items, size_t n, int64_t *delay_ms);
int invsync_square_read_item(invsync_read_item_t *it);
size_t invsync_square_read_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq);
invsync_channel_rc_e invsync_square_read_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_read_item_t *items, size_t n, int64_t *delay_ms);
/* a quantity as Square writes it, a decimal string: 1, or 0 when it is
 * not a whole number */
int invsync_square_quantity(json_t *v, int64_t *q);

/* invsync_square_catalog.c: the read back's second request, for the
 * items with no count (their step) */
#define INVSYNC_SQUARE_STEP_COUNTS   0
#define INVSYNC_SQUARE_STEP_CATALOG  1
#define INVSYNC_SQUARE_STEP_DONE     2
int invsync_square_catalog_wanted(const invsync_read_item_t *items, size_t n);
size_t invsync_square_catalog_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq);
invsync_channel_rc_e invsync_square_catalog_parse(const invsync_answer_t *a,
    invsync_read_item_t *items, size_t n);

/* invsync_square_poll.c */
int invsync_square_poll_build(const invsync_channel_ctx_t *ctx,
    const invsync_page_t *page, invsync_request_t *rq);
invsync_channel_rc_e invsync_square_poll_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_page_t *page, int64_t *delay_ms);
int invsync_square_poll_order(const invsync_channel_ctx_t *ctx,
    json_t *order, invsync_polled_t *p);
void invsync_square_account(const invsync_channel_ctx_t *ctx, char *buf,
    size_t cap);
int invsync_square_check_options(const invsync_channel_conf_t *cc,
    char *err, size_t len);


#endif /* INVSYNC_SQUARE_H_INCLUDED */
