
/*
 * Shopify's side of the pusher: inventorySetQuantities through the Admin
 * GraphQL API (2026-04: the @idempotent directive and changeFromQuantity
 * are required; null skips the compare-and-set), absolute "available"
 * quantities, the calculated-cost bucket read from every answer, THROTTLED
 * and HTTP 429 honoured.  See channels.md sections 2.4 and 2.7.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_push.h"


static size_t invsync_shopify_build(invsync_pushchan_t *pc, char *url,
    size_t urllen, char **body);
static invsync_push_rc_e invsync_shopify_parse(invsync_pushchan_t *pc,
    long status, const char *body, size_t len, int64_t *delay_ms);
static json_t *invsync_shopify_gid(const char *kind, json_t *id);


const invsync_pushops_t  invsync_pushops_shopify = {
    "shopify",
    250,                        /* per-request cap unconfirmed: channels.md */
    invsync_shopify_build,
    invsync_shopify_parse
};


static size_t
invsync_shopify_build(invsync_pushchan_t *pc, char *url, size_t urllen,
    char **body)
{
    char     query[512], hdr[1100];
    size_t   i;
    json_t  *quantities, *doc;

    snprintf(url, urllen, "%s%s", pc->conf->api_base,
             INVSYNC_SHOPIFY_GRAPHQL);
    snprintf(hdr, sizeof(hdr), "X-Shopify-Access-Token: %s",
             pc->credentials ? pc->credentials : "");
    pc->headers = curl_slist_append(pc->headers, hdr);

    /* retries of this request reuse its key; a new change gets a new one */
    snprintf(query, sizeof(query),
             "mutation SetStock($input: InventorySetQuantitiesInput!) { "
             "inventorySetQuantities(input: $input) @idempotent(key: \"%s\") "
             "{ inventoryAdjustmentGroup { id } "
             "userErrors { field message code } } }", pc->idempotency);

    quantities = json_array();

    for (i = 0; i < pc->nitems; i++) {
        json_array_append_new(quantities, json_pack("{s:o, s:o, s:I, s:n}",
            "inventoryItemId",
            invsync_shopify_gid("InventoryItem",
                json_object_get(pc->items[i].ref, "inventory_item_id")),
            "locationId",
            invsync_shopify_gid("Location",
                json_object_get(pc->items[i].ref, "location_id")),
            "quantity", (json_int_t) pc->items[i].qty,
            "changeFromQuantity"));
    }

    doc = json_pack("{s:s, s:{s:{s:s, s:s, s:s+, s:o}}}", "query", query,
                    "variables", "input", "name", "available",
                    "reason", "correction",
                    "referenceDocumentUri", "invsync://push/",
                    pc->idempotency, "quantities", quantities);

    *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    return pc->nitems;
}


static json_t *
invsync_shopify_gid(const char *kind, json_t *id)
{
    char         buf[128];
    const char  *s;

    s = json_string_value(id);

    if (s != NULL && strncmp(s, "gid://", 6) == 0) {
        return json_string(s);
    }

    if (s != NULL) {
        snprintf(buf, sizeof(buf), "gid://shopify/%s/%s", kind, s);

    } else {
        snprintf(buf, sizeof(buf), "gid://shopify/%s/%" JSON_INTEGER_FORMAT,
                 kind, json_integer_value(id));
    }

    return json_string(buf);
}


/*
 * THROTTLED (in the body, even with HTTP 200) or 429: retry after the
 * bucket refills; userErrors name their quantity by index: those items
 * failed, the others were applied.  A thin bucket slows the next request.
 */

static invsync_push_rc_e
invsync_shopify_parse(invsync_pushchan_t *pc, long status, const char *body,
    size_t len, int64_t *delay_ms)
{
    size_t       i, k;
    json_t      *doc, *errors, *e, *cost, *th, *ue, *field;
    double       avail, rate, want;
    const char  *code;

    doc = json_loadb(body, len, 0, NULL);

    cost = json_object_get(json_object_get(doc, "extensions"), "cost");
    th = json_object_get(cost, "throttleStatus");
    avail = json_number_value(json_object_get(th, "currentlyAvailable"));
    rate = json_number_value(json_object_get(th, "restoreRate"));
    want = json_number_value(json_object_get(cost, "requestedQueryCost"));

    if (rate > 0 && want > 0 && avail < 2 * want) {
        *delay_ms = (int64_t) ((2 * want - avail) * 1000 / rate);
    }

    if (status == 429) {
        *delay_ms = (int64_t) (atof(pc->answer.retry_after) * 1000);
        json_decref(doc);
        return INVSYNC_PUSH_THROTTLED;
    }

    errors = json_object_get(doc, "errors");

    json_array_foreach(errors, i, e) {
        code = json_string_value(json_object_get(json_object_get(e,
                                                 "extensions"), "code"));

        if (code != NULL && strcmp(code, "THROTTLED") == 0) {
            if (rate > 0) {
                *delay_ms = (int64_t) ((want - avail) * 1000 / rate) + 1;
            }

            json_decref(doc);
            return INVSYNC_PUSH_THROTTLED;
        }
    }

    if (status != 200 || doc == NULL || json_array_size(errors) > 0) {
        json_decref(doc);
        return INVSYNC_PUSH_RETRY;
    }

    for (i = 0; i < pc->nitems; i++) {
        pc->items[i].ok = 1;
    }

    ue = json_object_get(json_object_get(json_object_get(doc, "data"),
                                         "inventorySetQuantities"),
                         "userErrors");

    json_array_foreach(ue, i, e) {
        field = json_object_get(e, "field");
        k = pc->nitems;

        /* ["input", "quantities", "3", ...] names the fourth item */
        if (json_array_size(field) >= 3) {
            k = (size_t) strtoul(json_string_value(json_array_get(field, 2))
                                 ? json_string_value(json_array_get(field, 2))
                                 : "", NULL, 10);
        }

        if (k >= pc->nitems) {
            for (k = 0; k < pc->nitems; k++) {
                pc->items[k].ok = 0;
                snprintf(pc->items[k].err, sizeof(pc->items[k].err), "%s: %s",
                         json_string_value(json_object_get(e, "code"))
                         ? json_string_value(json_object_get(e, "code"))
                         : "error",
                         json_string_value(json_object_get(e, "message"))
                         ? json_string_value(json_object_get(e, "message"))
                         : "");
            }

            break;
        }

        pc->items[k].ok = 0;
        snprintf(pc->items[k].err, sizeof(pc->items[k].err), "%s: %s",
                 json_string_value(json_object_get(e, "code"))
                 ? json_string_value(json_object_get(e, "code")) : "error",
                 json_string_value(json_object_get(e, "message"))
                 ? json_string_value(json_object_get(e, "message")) : "");
    }

    json_decref(doc);

    return INVSYNC_PUSH_DONE;
}
