
/*
 * Shopify's stock operations (channels.md sections 2.4 and 2.7).  Push:
 * inventorySetQuantities through the Admin GraphQL API (2026-04: the
 * @idempotent directive and changeFromQuantity are required; null skips
 * the compare-and-set), absolute "available" quantities.  Read back:
 * nodes(ids:) of the inventory items with their levels.  Both read the
 * calculated-cost bucket of every answer: THROTTLED waits for it to
 * refill, a thin one slows the next request.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_shopify.h"


/*
 * The calculated cost of nodes(ids:) is about ids x (2 + first): 50 x 12
 * = 600 of the 1000 a single query may cost.  An item stocked at more
 * than 10 locations may have its level on a later page: unreadable.
 */
#define INVSYNC_SHOPIFY_READ_LEVELS  "10"
#define INVSYNC_SHOPIFY_MARGIN_MS    100
#define INVSYNC_SHOPIFY_WAIT_MAX_MS  3600000     /* as the engines cap it */


static void invsync_shopify_user_error(invsync_push_item_t *it, json_t *e);
static int64_t invsync_shopify_refill_ms(double need, double rate,
    int64_t margin_ms);


size_t
invsync_shopify_push_build(const invsync_channel_ctx_t *ctx,
    invsync_push_item_t *items, size_t n, const char *idempotency,
    invsync_request_t *rq)
{
    char     query[512];
    size_t   i;
    json_t  *quantities, *doc;

    rq->method = "POST";

    if (n > invsync_channel_shopify.push_max) {
        n = invsync_channel_shopify.push_max;
    }

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SHOPIFY_GRAPHQL) != 0) {
        return 0;
    }

    /* retries of this request reuse its key; a new change gets a new one */
    snprintf(query, sizeof(query),
             "mutation SetStock($input: InventorySetQuantitiesInput!) { "
             "inventorySetQuantities(input: $input) @idempotent(key: \"%s\") "
             "{ inventoryAdjustmentGroup { id } "
             "userErrors { field message code } } }", idempotency);

    quantities = json_array();

    for (i = 0; i < n; i++) {
        json_array_append_new(quantities, json_pack("{s:o, s:o, s:I, s:n}",
            "inventoryItemId",
            invsync_shopify_gid("InventoryItem",
                json_object_get(items[i].ref, "inventory_item_id")),
            "locationId",
            invsync_shopify_gid("Location",
                json_object_get(items[i].ref, "location_id")),
            "quantity", (json_int_t) items[i].qty,
            "changeFromQuantity"));
    }

    doc = json_pack("{s:s, s:{s:{s:s, s:s, s:s+, s:o}}}", "query", query,
                    "variables", "input", "name", "available",
                    "reason", "correction",
                    "referenceDocumentUri", "invsync://push/",
                    idempotency, "quantities", quantities);

    return invsync_request_json(rq, doc) == 0 ? n : 0;
}


/*
 * userErrors name their quantity by index: those items failed.  The
 * others were applied when the answer has an adjustment group; without
 * one nothing was (the mutation refused as a whole, as the simulator
 * does by default): they go again.  An error that names none fails
 * them all.
 */

invsync_channel_rc_e
invsync_shopify_push_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_push_item_t *items, size_t n,
    int64_t *delay_ms)
{
    int          applied;
    size_t       i, k;
    json_t      *doc, *set, *ue, *e, *field;
    const char  *index;

    (void) ctx;

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

    set = json_object_get(json_object_get(doc, "data"),
                          "inventorySetQuantities");
    ue = json_object_get(set, "userErrors");
    applied = json_array_size(ue) == 0
              || json_is_object(json_object_get(set,
                                                "inventoryAdjustmentGroup"));

    for (i = 0; i < n; i++) {
        items[i].ok = applied ? 1 : -1;
    }

    json_array_foreach(ue, i, e) {
        field = json_object_get(e, "field");
        index = json_string_value(json_array_get(field, 2));

        /* ["input", "quantities", "3", ...] names the fourth item */
        k = index != NULL ? (size_t) strtoul(index, NULL, 10) : n;

        if (k < n) {
            invsync_shopify_user_error(&items[k], e);
            continue;
        }

        for (k = 0; k < n; k++) {
            invsync_shopify_user_error(&items[k], e);
        }

        break;
    }

    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/* a mapping is read by its inventory item and location, as digits */

int
invsync_shopify_read_item(invsync_read_item_t *it)
{
    if (!invsync_id_digits(json_object_get(it->ref, "inventory_item_id"),
                           it->id, sizeof(it->id))
        || !invsync_id_digits(json_object_get(it->ref, "location_id"),
                              it->at, sizeof(it->at)))
    {
        return -1;
    }

    snprintf(it->name, sizeof(it->name), "%s@%s", it->id, it->at);

    return 0;
}


size_t
invsync_shopify_read_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq)
{
    char     gid[64];
    size_t   i;
    json_t  *ids, *doc;

    rq->method = "POST";

    if (n > invsync_channel_shopify.read_max) {
        n = invsync_channel_shopify.read_max;
    }

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SHOPIFY_GRAPHQL) != 0) {
        return 0;
    }

    ids = json_array();

    for (i = 0; i < n; i++) {
        snprintf(gid, sizeof(gid), "gid://shopify/InventoryItem/%s",
                 items[i].id);
        json_array_append_new(ids, json_string(gid));
    }

    doc = json_pack("{s:s, s:{s:o}}", "query",
                    "query InvsyncReconcile($ids: [ID!]!) { "
                    "nodes(ids: $ids) { ... on InventoryItem { id "
                    "inventoryLevels(first: "
                    INVSYNC_SHOPIFY_READ_LEVELS ") { edges { node "
                    "{ location { id } quantities(names: "
                    "[\"available\"]) { name quantity } } } "
                    "pageInfo { hasNextPage } } } } }",
                    "variables", "ids", ids);

    return invsync_request_json(rq, doc) == 0 ? n : 0;
}


/*
 * nodes(ids:) answers in the order asked: null for an id Shopify does
 * not know, else the item's levels, of which the mapped location's
 * "available" is what the channel shows.
 */

invsync_channel_rc_e
invsync_shopify_read_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_read_item_t *items, size_t n,
    int64_t *delay_ms)
{
    int                   found;
    char                  loc[64];
    size_t                i, k, j;
    json_t               *doc, *nodes, *node, *levels, *edge, *q;
    const char           *id, *name;
    invsync_read_item_t  *it;

    (void) ctx;

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (invsync_shopify_throttled(doc, delay_ms)) {
        json_decref(doc);
        return INVSYNC_CH_THROTTLED;
    }

    nodes = json_object_get(json_object_get(doc, "data"), "nodes");

    if (a->status != 200 || doc == NULL
        || json_array_size(json_object_get(doc, "errors")) > 0)
    {
        return invsync_shopify_failed(a, doc);
    }

    if (json_array_size(nodes) != n) {
        json_decref(doc);
        return invsync_answer_retry(a, "answer without the %zu nodes asked "
                                    "for", n);
    }

    for (i = 0; i < n; i++) {
        it = &items[i];
        node = json_array_get(nodes, i);

        if (!json_is_object(node)) {
            it->read = INVSYNC_READ_MISSING;
            it->why = "no such inventory item";
            continue;
        }

        snprintf(loc, sizeof(loc), "gid://shopify/Location/%s", it->at);
        levels = json_object_get(node, "inventoryLevels");
        found = 0;

        json_array_foreach(json_object_get(levels, "edges"), k, edge) {
            id = json_string_value(json_object_get(json_object_get(
                     json_object_get(edge, "node"), "location"), "id"));

            if (id == NULL || strcmp(id, loc) != 0) {
                continue;
            }

            found = 1;

            json_array_foreach(json_object_get(json_object_get(edge, "node"),
                                               "quantities"), j, q)
            {
                name = json_string_value(json_object_get(q, "name"));

                if (name != NULL && strcmp(name, "available") == 0
                    && json_is_integer(json_object_get(q, "quantity")))
                {
                    it->read = INVSYNC_READ_SHOWS;
                    it->shows = json_integer_value(json_object_get(q,
                                                        "quantity"));
                }
            }

            break;
        }

        if (!found && !json_is_true(json_object_get(json_object_get(levels,
                                        "pageInfo"), "hasNextPage")))
        {
            it->read = INVSYNC_READ_MISSING;
            it->why = "not stocked at the mapped location";
        }
    }

    invsync_shopify_bucket(doc, delay_ms);
    json_decref(doc);

    return INVSYNC_CH_DONE;
}


json_t *
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
 * THROTTLED, in the body even with HTTP 200: 1 with the time the bucket
 * needs to hold the query's cost again (2 s when the answer does not say).
 */

int
invsync_shopify_throttled(json_t *doc, int64_t *delay_ms)
{
    size_t       i;
    json_t      *e, *cost, *th;
    double       avail, rate, want;
    const char  *code;

    json_array_foreach(json_object_get(doc, "errors"), i, e) {
        code = json_string_value(json_object_get(json_object_get(e,
                                                 "extensions"), "code"));

        if (code == NULL || strcmp(code, "THROTTLED") != 0) {
            continue;
        }

        cost = json_object_get(json_object_get(doc, "extensions"), "cost");
        th = json_object_get(cost, "throttleStatus");
        avail = json_number_value(json_object_get(th, "currentlyAvailable"));
        rate = json_number_value(json_object_get(th, "restoreRate"));
        want = json_number_value(json_object_get(cost,
                                                 "requestedQueryCost"));

        *delay_ms = rate > 0 && want > avail
                    ? invsync_shopify_refill_ms(want - avail, rate,
                                                INVSYNC_SHOPIFY_MARGIN_MS)
                    : 2000;
        return 1;
    }

    return 0;
}


/* a bucket too thin for two more such requests delays the next one */

void
invsync_shopify_bucket(json_t *doc, int64_t *delay_ms)
{
    json_t  *cost, *th;
    double   avail, rate, want;

    cost = json_object_get(json_object_get(doc, "extensions"), "cost");
    th = json_object_get(cost, "throttleStatus");
    avail = json_number_value(json_object_get(th, "currentlyAvailable"));
    rate = json_number_value(json_object_get(th, "restoreRate"));
    want = json_number_value(json_object_get(cost, "requestedQueryCost"));

    if (rate > 0 && want > 0 && avail < 2 * want) {
        *delay_ms = invsync_shopify_refill_ms(2 * want - avail, rate, 0);
    }
}


/*
 * The time the bucket takes to refill by need points at rate a second,
 * and a margin.
 * The numbers are the answer's: a huge cost or a tiny rate must not
 * overflow the conversion (undefined behaviour), so the wait is bounded
 * before it becomes an integer.
 */

static int64_t
invsync_shopify_refill_ms(double need, double rate, int64_t margin_ms)
{
    double  ms;

    ms = need * 1000 / rate + (double) margin_ms;

    if (!(ms < INVSYNC_SHOPIFY_WAIT_MAX_MS)) {      /* NaN too */
        return INVSYNC_SHOPIFY_WAIT_MAX_MS;
    }

    return ms > 0 ? (int64_t) ms : 0;
}


static void
invsync_shopify_user_error(invsync_push_item_t *it, json_t *e)
{
    const char  *code, *message;

    code = json_string_value(json_object_get(e, "code"));
    message = json_string_value(json_object_get(e, "message"));

    it->ok = 0;
    snprintf(it->err, sizeof(it->err), "%s: %s", code ? code : "error",
             message ? message : "");
    invsync_channel_text(it->err);
}


/* not HTTP 200, not JSON, or GraphQL errors: RETRY with why; takes doc */

invsync_channel_rc_e
invsync_shopify_failed(const invsync_answer_t *a, json_t *doc)
{
    const char            *code;
    invsync_channel_rc_e   rc;

    if (a->status != 200 || doc == NULL) {
        rc = invsync_answer_retry(a, "HTTP %ld%s", a->status,
                                  doc == NULL ? ", not JSON" : "");

    } else {
        code = json_string_value(json_object_get(json_object_get(
                   json_array_get(json_object_get(doc, "errors"), 0),
                   "extensions"), "code"));
        rc = invsync_answer_retry(a, "GraphQL error %s",
                                  code ? code : "(no code)");
    }

    json_decref(doc);

    return rc;
}
