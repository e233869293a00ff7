
/*
 * WooCommerce's order polling (channels.md section 3): the REST orders
 * modified after a time (GMT), 100 a page, numbered pages up to
 * X-WP-TotalPages.  WooCommerce never retries a webhook: this is what
 * finds the orders whose webhook was lost.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_woocommerce.h"


#define INVSYNC_WOO_ORDERS  "/wp-json/wc/v3/orders"


int
invsync_woo_poll_build(const invsync_channel_ctx_t *ctx,
    const invsync_page_t *page, invsync_request_t *rq)
{
    char  since[64];
    long  n;

    rq->method = "GET";
    n = page->cursor[0] != '\0' ? strtol(page->cursor, NULL, 10) : 1;
    invsync_iso_time(page->since_ms, 0, since, sizeof(since));

    return invsync_request_api(rq, ctx, "%s?modified_after=%s"
                               "&dates_are_gmt=true&per_page=100&page=%ld"
                               "&orderby=id&order=asc", INVSYNC_WOO_ORDERS,
                               since, n > 0 ? n : 1);
}


invsync_channel_rc_e
invsync_woo_poll_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_page_t *page, int64_t *delay_ms)
{
    long     n, total;
    json_t  *doc;

    (void) ctx;
    (void) delay_ms;

    if (a->status != 200) {
        return invsync_answer_retry(a, "unexpected answer: HTTP %ld",
                                    a->status);
    }

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (!json_is_array(doc)) {
        json_decref(doc);
        return invsync_answer_retry(a, "answer is not a list of orders");
    }

    page->orders = doc;
    n = page->cursor[0] != '\0' ? strtol(page->cursor, NULL, 10) : 1;
    /* absent (""), or longer than kept: not known */
    total = a->headers[0] != NULL && a->headers[0][0] != '\0'
            ? strtol(a->headers[0], NULL, 10) : -1;
    if (total < -1) {
        total = -1;             /* a negative count is no count: unknown */
    }
    page->pages = total;

    if (total > n) {
        snprintf(page->cursor, sizeof(page->cursor), "%ld", n + 1);
        return INVSYNC_CH_MORE;
    }

    page->cursor[0] = '\0';

    return INVSYNC_CH_DONE;
}


int
invsync_woo_poll_order(const invsync_channel_ctx_t *ctx, json_t *order,
    invsync_polled_t *p)
{
    json_t  *id;

    (void) ctx;

    p->topic = "order.updated";
    p->version = json_string_value(json_object_get(order,
                                                   "date_modified_gmt"));
    id = json_object_get(order, "id");

    if (json_is_integer(id)) {
        snprintf(p->id, sizeof(p->id), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(id));

    } else if (json_is_string(id) && json_string_length(id) < sizeof(p->id)) {
        snprintf(p->id, sizeof(p->id), "%s", json_string_value(id));

    } else {
        p->id[0] = '\0';
    }

    return p->id[0] != '\0' && p->version != NULL ? 0 : -1;
}


/* the module's account of a WooCommerce webhook: X-WC-Webhook-Source,
 * the shop's URL with its slash */

void
invsync_woo_account(const invsync_channel_ctx_t *ctx, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s/",
             (int) invsync_api_base_len(ctx->conf->api_base),
             ctx->conf->api_base);
}
