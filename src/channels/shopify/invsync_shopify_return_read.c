
/*
 * What a reverse_fulfillment_orders/dispose webhook does not say (docs/
 * channels/shopify.md, "The disposition"): the return and the order its
 * reverse fulfilment order belongs to, and the order line of each of its
 * lines, read with the GraphQL Admin API's reverseFulfillmentOrder.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shopify.h"


/*
 * A reverse fulfilment order has a line per return line.  250 is the most
 * a GraphQL connection gives in one page (Shopify refuses first: > 250);
 * its requested cost, about 3 a line (the node, its fulfillment line item,
 * its line item) plus the order and the return, is about 755 of the 1000
 * a query may cost.  The reader asks one page (disposition_build takes no
 * cursor), so an answer with pageInfo.hasNextPage is not taken as the
 * whole: a return of more than 250 lines is not read, and goes to a
 * person as return_unknown (docs/channels/shopify.md).
 */
#define INVSYNC_SHOPIFY_RFO_READ                                             \
    "query Rfo($id: ID!) { reverseFulfillmentOrder(id: $id) { id "           \
    "return { id } order { id } lineItems(first: 250) { pageInfo { "         \
    "hasNextPage } nodes { id fulfillmentLineItem { lineItem { id } } } } "  \
    "} }"


static const char *invsync_shopify_gid_tail(json_t *gid);


int
invsync_shopify_disposition_build(const invsync_channel_ctx_t *ctx,
    const char *disposition_id, invsync_request_t *rq)
{
    json_t  *doc, *id;

    if (disposition_id[0] == '\0'
        || strspn(disposition_id, "0123456789") != strlen(disposition_id))
    {
        return -1;
    }

    rq->method = "POST";

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SHOPIFY_GRAPHQL) != 0) {
        return -1;
    }

    id = json_string(disposition_id);
    doc = json_pack("{s:s, s:{s:o}}", "query", INVSYNC_SHOPIFY_RFO_READ,
                    "variables", "id",
                    invsync_shopify_gid("ReverseFulfillmentOrder", id));
    json_decref(id);

    return doc != NULL && invsync_request_json(rq, doc) == 0 ? 0 : -1;
}


invsync_channel_rc_e
invsync_shopify_disposition_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, json_t **read, int64_t *delay_ms)
{
    size_t       i;
    json_t      *doc, *rfo, *conn, *lines, *node;
    const char  *ret, *order, *line, *ol;

    (void) ctx;
    *read = NULL;

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (invsync_shopify_throttled(doc, delay_ms)) {
        json_decref(doc);
        return INVSYNC_CH_THROTTLED;
    }

    if (a->status != 200 || doc == NULL
        || json_array_size(json_object_get(doc, "errors")) > 0)
    {
        return invsync_shopify_failed(a, doc);
    }

    invsync_shopify_bucket(doc, delay_ms);
    rfo = json_object_get(json_object_get(doc, "data"),
                          "reverseFulfillmentOrder");

    if (json_is_null(rfo)) {
        json_decref(doc);
        return INVSYNC_CH_DONE;     /* no such reverse fulfilment order */
    }

    ret = invsync_shopify_gid_tail(json_object_get(json_object_get(rfo,
                                   "return"), "id"));
    order = invsync_shopify_gid_tail(json_object_get(json_object_get(rfo,
                                     "order"), "id"));

    if (ret == NULL || order == NULL) {
        json_decref(doc);
        return invsync_answer_retry(a, "a reverse fulfillment order without "
                                    "its return or order");
    }

    conn = json_object_get(rfo, "lineItems");

    /* a page short of the whole would leave the rest of its lines
     * unknown: their units never received */
    if (json_is_true(json_object_get(json_object_get(conn, "pageInfo"),
                                     "hasNextPage")))
    {
        json_decref(doc);
        return invsync_answer_retry(a, "a reverse fulfillment order of more "
                                    "than 250 lines: not read (one page "
                                    "only)");
    }

    lines = json_object();

    json_array_foreach(json_object_get(conn, "nodes"), i, node)
    {
        line = invsync_shopify_gid_tail(json_object_get(node, "id"));
        ol = invsync_shopify_gid_tail(json_object_get(json_object_get(
                 json_object_get(node, "fulfillmentLineItem"), "lineItem"),
                 "id"));

        if (line != NULL && ol != NULL) {
            json_object_set_new(lines, line, json_string(ol));
        }
    }

    *read = json_pack("{s:s, s:s, s:o}", "return_id", ret, "order_id", order,
                      "lines", lines);
    json_decref(doc);

    return *read != NULL ? INVSYNC_CH_DONE
                         : invsync_answer_retry(a, "out of memory");
}


/* "gid://shopify/Kind/123" -> "123" (in gid's string), or NULL */
static const char *
invsync_shopify_gid_tail(json_t *gid)
{
    const char  *s, *p;

    s = json_string_value(gid);
    p = s != NULL ? strrchr(s, '/') : NULL;

    return p != NULL && p[1] != '\0' ? p + 1 : NULL;
}
