
/*
 * Shopify's order polling (channels.md section 2): the REST orders list
 * changed since a time, 250 a page, the next page by the Link header's
 * rel="next" URL; the REST call bucket (X-Shopify-Shop-Api-Call-Limit)
 * nearly full pauses the round for a leak.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_shopify.h"


#define INVSYNC_SHOPIFY_ORDERS  "/admin/api/2026-04/orders.json"


static int invsync_shopify_link_next(const char *link, const char *base,
    char *dst, size_t cap);


int
invsync_shopify_poll_build(const invsync_channel_ctx_t *ctx,
    const invsync_page_t *page, invsync_request_t *rq)
{
    char  since[64];

    rq->method = "GET";

    if (page->cursor[0] != '\0') {
        return invsync_request_url(rq, "%s", page->cursor);
    }

    /* "YYYY-MM-DDTHH:MM:SSZ" needs no escaping in a query */
    invsync_iso_time(page->since_ms, 0, since, sizeof(since));

    return invsync_request_api(rq, ctx, "%s?status=any&limit=250"
                               "&updated_at_min=%s", INVSYNC_SHOPIFY_ORDERS,
                               since);
}


invsync_channel_rc_e
invsync_shopify_poll_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_page_t *page, int64_t *delay_ms)
{
    int      rc;
    long     used, max;
    json_t  *doc;

    if (a->status != 200) {
        return invsync_answer_retry(a, "unexpected answer: HTTP %ld",
                                    a->status);
    }

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (!json_is_array(json_object_get(doc, "orders"))) {
        json_decref(doc);
        return invsync_answer_retry(a, "answer is not a list of orders");
    }

    /* a Link cut short would end the round as if it were complete */
    rc = a->headers[0] == NULL
         ? -1 : invsync_shopify_link_next(a->headers[0], ctx->conf->api_base,
                                          page->cursor, sizeof(page->cursor));

    if (rc < 0) {
        json_decref(doc);
        return invsync_answer_retry(a, "unusable next page link");
    }

    page->orders = json_incref(json_object_get(doc, "orders"));
    json_decref(doc);

    if (rc == 0) {
        page->cursor[0] = '\0';
        return INVSYNC_CH_DONE;
    }

    /* a nearly full REST bucket: the next page after a leak */
    if (a->headers[1] != NULL
        && sscanf(a->headers[1], "%ld/%ld", &used, &max) == 2
        && max > 0 && used >= max - 1)
    {
        *delay_ms = 1000;
    }

    return INVSYNC_CH_MORE;
}


int
invsync_shopify_poll_order(const invsync_channel_ctx_t *ctx, json_t *order,
    invsync_polled_t *p)
{
    json_t  *id;

    (void) ctx;

    p->topic = "orders/updated";
    p->version = json_string_value(json_object_get(order, "updated_at"));
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


/* the module's account of a Shopify webhook: the shop's domain, the host
 * of api_base */

void
invsync_shopify_account(const invsync_channel_ctx_t *ctx, char *buf,
    size_t cap)
{
    size_t       n;
    const char  *host, *end;

    host = strstr(ctx->conf->api_base, "://");
    host = host ? host + 3 : ctx->conf->api_base;
    end = strchr(host, '/');
    n = end ? (size_t) (end - host) : strlen(host);

    snprintf(buf, cap, "%.*s", (int) n, host);
}


/*
 * The rel="next" URL of the Link header into dst: 1, 0 when there is no
 * next page, -1 when there is one that cannot be followed: too long, or
 * not on the channel's api_base (the access token goes with the request),
 * or not a URL's bytes.
 */

static int
invsync_shopify_link_next(const char *link, const char *base, char *dst,
    size_t cap)
{
    size_t       blen, ulen;
    const char  *p, *q, *lt, *gt, *end;

    blen = invsync_api_base_len(base);

    for (p = link; (lt = strchr(p, '<')) != NULL; p = gt + 1) {
        gt = strchr(lt, '>');
        if (gt == NULL) {
            return -1;
        }

        end = strchr(gt, '<');
        if (end == NULL) {
            end = gt + strlen(gt);
        }

        if (memmem(gt, end - gt, "rel=\"next\"", 10) == NULL
            && memmem(gt, end - gt, "rel=next", 8) == NULL)
        {
            continue;
        }

        ulen = gt - lt - 1;

        if (ulen >= cap || ulen <= blen || strncmp(lt + 1, base, blen) != 0
            || lt[1 + blen] != '/')
        {
            return -1;
        }

        /* the next request's URL: no space, control byte nor non-ASCII
         * (found by t/fuzz/fuzz_answers.c) */
        for (q = lt + 1; q < gt; q++) {
            if ((unsigned char) *q <= 0x20 || (unsigned char) *q >= 0x7f) {
                return -1;
            }
        }

        memcpy(dst, lt + 1, ulen);
        dst[ulen] = '\0';

        return 1;
    }

    return 0;
}
