
/*
 * Square's stock operations (channels.md sections 5.3 and 5.6).  Push:
 * BatchChangeInventory (POST /v2/inventory/changes/batch-create), one
 * PHYSICAL_COUNT change per item, absolute quantities as decimal strings,
 * at most 100 changes, the idempotency key reused on a retry.  Read back:
 * BatchRetrieveInventoryCounts (POST /v2/inventory/counts/batch-retrieve)
 * of the items' variations at their locations, then, for those with no
 * count, BatchRetrieveCatalogObjects (invsync_square_catalog.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_square.h"


#define INVSYNC_SQUARE_CHANGES  "/v2/inventory/changes/batch-create"
#define INVSYNC_SQUARE_COUNTS   "/v2/inventory/counts/batch-retrieve"

/* the most counts one BatchRetrieveInventoryCounts page holds */
#define INVSYNC_SQUARE_COUNTS_PAGE  1000


static invsync_channel_rc_e invsync_square_errors(const invsync_answer_t *a,
    json_t *doc, invsync_push_item_t *items, size_t n);
static int invsync_square_listed(json_t *list, const char *s);


size_t
invsync_square_push_build(const invsync_channel_ctx_t *ctx,
    invsync_push_item_t *items, size_t n, const char *idempotency,
    invsync_request_t *rq)
{
    char     qty[32], at[40];
    size_t   i;
    json_t  *changes;

    rq->method = "POST";

    if (n > invsync_channel_square.push_max) {
        n = invsync_channel_square.push_max;
    }

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SQUARE_CHANGES) != 0) {
        return 0;
    }

    /* a later count wins over an earlier one: the time it was taken */
    invsync_iso_time(ctx->now_ms, 1, at, sizeof(at));
    changes = json_array();

    for (i = 0; i < n; i++) {
        snprintf(qty, sizeof(qty), "%lld",
                 (long long) (items[i].qty > 0 ? items[i].qty : 0));

        json_array_append_new(changes, json_pack(
            "{s:s, s:{s:O, s:O, s:s, s:s, s:s}}",
            "type", "PHYSICAL_COUNT", "physical_count",
            "catalog_object_id",
            json_object_get(items[i].ref, "catalog_object_id"),
            "location_id", json_object_get(items[i].ref, "location_id"),
            "quantity", qty, "state", "IN_STOCK", "occurred_at", at));
    }

    return invsync_request_json(rq, json_pack("{s:s, s:o, s:b}",
                                              "idempotency_key", idempotency,
                                              "changes", changes,
                                              "ignore_unchanged_counts", 1))
           == 0 ? n : 0;
}


/*
 * 200: every change was applied.  A refusal is an "errors" list; the
 * batch is all or nothing, so a change the errors name is refused and the
 * others are sent again.  429 (RATE_LIMITED) never reaches here.
 */

invsync_channel_rc_e
invsync_square_push_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_push_item_t *items, size_t n,
    int64_t *delay_ms)
{
    size_t                 i;
    json_t                *doc;
    invsync_channel_rc_e   rc;

    (void) ctx;
    (void) delay_ms;

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (a->status == 200 && json_is_object(doc)
        && json_array_size(json_object_get(doc, "errors")) == 0)
    {
        for (i = 0; i < n; i++) {
            items[i].ok = 1;
        }

        json_decref(doc);
        return INVSYNC_CH_DONE;
    }

    rc = invsync_square_errors(a, doc, items, n);
    json_decref(doc);

    return rc;
}


int
invsync_square_read_item(invsync_read_item_t *it)
{
    const char  *v, *l;

    v = json_string_value(json_object_get(it->ref, "catalog_object_id"));
    l = json_string_value(json_object_get(it->ref, "location_id"));

    if (v == NULL || l == NULL || v[0] == '\0' || l[0] == '\0'
        || strlen(v) >= sizeof(it->id) || strlen(l) >= sizeof(it->at))
    {
        return -1;
    }

    snprintf(it->id, sizeof(it->id), "%s", v);
    snprintf(it->at, sizeof(it->at), "%s", l);
    snprintf(it->name, sizeof(it->name), "%s@%s", v, l);

    return 0;
}


/*
 * The variations of the first items at their locations.  Square answers
 * every count of those variations at those locations, one a pair at most:
 * the items are taken while variations x locations stays within one page
 * (INVSYNC_SQUARE_COUNTS_PAGE), so that no answer needs a second page
 * (read_parse would take what it left out for unread).  The others wait
 * for the next request.
 */

size_t
invsync_square_read_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq)
{
    size_t   i, nids, nlocs;
    json_t  *ids, *locs;

    rq->method = "POST";

    if (n > invsync_channel_square.read_max) {
        n = invsync_channel_square.read_max;
    }

    if (invsync_square_catalog_wanted(items, n)) {
        return invsync_square_catalog_build(ctx, items, n, rq);
    }

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SQUARE_COUNTS) != 0) {
        return 0;
    }

    ids = json_array();
    locs = json_array();

    for (i = 0; i < n; i++) {
        nids = json_array_size(ids)
               + !invsync_square_listed(ids, items[i].id);
        nlocs = json_array_size(locs)
                + !invsync_square_listed(locs, items[i].at);

        if (i > 0 && nids * nlocs > INVSYNC_SQUARE_COUNTS_PAGE) {
            break;
        }

        if (nids > json_array_size(ids)) {
            json_array_append_new(ids, json_string(items[i].id));
        }

        if (nlocs > json_array_size(locs)) {
            json_array_append_new(locs, json_string(items[i].at));
        }
    }

    n = i;

    return invsync_request_json(rq, json_pack("{s:o, s:o, s:[s], s:i}",
                                              "catalog_object_ids", ids,
                                              "location_ids", locs,
                                              "states", "IN_STOCK",
                                              "limit",
                                              INVSYNC_SQUARE_COUNTS_PAGE))
           == 0 ? n : 0;
}


static int
invsync_square_listed(json_t *list, const char *s)
{
    size_t   i;
    json_t  *v;

    json_array_foreach(list, i, v) {
        if (strcmp(json_string_value(v), s) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The counts of the variations at the locations asked for.  One that is
 * absent has no count there: the variation was never counted there, is
 * not tracked, or is unknown to Square (channels.md 5.6 leaves it open):
 * the catalog tells which, in a second request of the same items (MORE;
 * invsync_square_catalog.c).  When the answer has a next page (a cursor)
 * an absent one is unread instead.
 */

invsync_channel_rc_e
invsync_square_read_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_read_item_t *items, size_t n,
    int64_t *delay_ms)
{
    int                    more, catalog;
    size_t                 i, k;
    json_t                *doc, *counts, *c;
    int64_t                q;
    const char            *id, *loc;
    invsync_channel_rc_e   rc;

    (void) ctx;
    (void) delay_ms;

    if (invsync_square_catalog_wanted(items, n)) {
        return invsync_square_catalog_parse(a, items, n);
    }

    doc = json_loadb(a->body, a->len, 0, NULL);
    counts = json_object_get(doc, "counts");

    if (a->status != 200 || !json_is_object(doc)
        || json_array_size(json_object_get(doc, "errors")) > 0
        || (counts != NULL && !json_is_array(counts)))
    {
        /* the reason before doc goes */
        rc = invsync_answer_retry(a, "HTTP %ld%s", a->status,
                                  json_is_object(doc) ? "" : ", not JSON");
        json_decref(doc);
        return rc;
    }

    more = json_string_value(json_object_get(doc, "cursor")) != NULL;
    catalog = 0;

    for (i = 0; i < n; i++) {
        /* until a count says otherwise: the catalog's to tell */
        items[i].read = INVSYNC_READ_UNREAD;
        items[i].shows = 0;
        items[i].step = more ? INVSYNC_SQUARE_STEP_DONE
                             : INVSYNC_SQUARE_STEP_CATALOG;

        json_array_foreach(counts, k, c) {
            id = json_string_value(json_object_get(c, "catalog_object_id"));
            loc = json_string_value(json_object_get(c, "location_id"));

            if (id == NULL || loc == NULL || strcmp(id, items[i].id) != 0
                || strcmp(loc, items[i].at) != 0)
            {
                continue;
            }

            items[i].step = INVSYNC_SQUARE_STEP_DONE;

            if (invsync_square_quantity(json_object_get(c, "quantity"), &q)) {
                items[i].read = INVSYNC_READ_SHOWS;
                items[i].shows = q;

            } else {
                /* a quantity by weight or volume: not ours to compare */
                items[i].read = INVSYNC_READ_UNTRACKED;
            }

            break;
        }

        catalog |= items[i].step == INVSYNC_SQUARE_STEP_CATALOG;
    }

    json_decref(doc);

    return catalog ? INVSYNC_CH_MORE : INVSYNC_CH_DONE;
}


int
invsync_square_quantity(json_t *v, int64_t *q)
{
    char        *end;
    const char  *s;
    long long    n;

    s = json_string_value(v);

    if (s == NULL || s[0] == '\0') {
        return 0;
    }

    n = strtoll(s, &end, 10);

    /* "53", or "53.0" and the like */
    if (*end == '.' && strspn(end + 1, "0") == strlen(end + 1)) {
        end += strlen(end);
    }

    if (*end != '\0') {
        return 0;
    }

    *q = (int64_t) n;

    return 1;
}


/*
 * An "errors" answer: each error names its change by its field
 * ("changes[3].physical_count.catalog_object_id"); those are refused, the
 * others go again.  No error that names a change: the request failed.
 */

static invsync_channel_rc_e
invsync_square_errors(const invsync_answer_t *a, json_t *doc,
    invsync_push_item_t *items, size_t n)
{
    int          named;
    size_t       i, k;
    json_t      *e;
    const char  *field, *code, *detail;

    named = 0;

    if (a->status >= 400 && a->status < 500) {
        json_array_foreach(json_object_get(doc, "errors"), i, e) {
            field = json_string_value(json_object_get(e, "field"));

            if (field == NULL || strncmp(field, "changes[", 8) != 0) {
                continue;
            }

            k = (size_t) strtoul(field + 8, NULL, 10);

            if (k >= n) {
                continue;
            }

            code = json_string_value(json_object_get(e, "code"));
            detail = json_string_value(json_object_get(e, "detail"));
            items[k].ok = 0;
            snprintf(items[k].err, sizeof(items[k].err), "%s: %s",
                     code ? code : "error", detail ? detail : "");
            invsync_channel_text(items[k].err);
            named++;
        }
    }

    if (named == 0) {
        code = json_string_value(json_object_get(json_array_get(
                   json_object_get(doc, "errors"), 0), "code"));
        return invsync_answer_retry(a, "HTTP %ld%s%s", a->status,
                                    code ? ", " : "", code ? code : "");
    }

    for (i = 0; i < n; i++) {
        if (items[i].err[0] == '\0') {
            items[i].ok = -1;
        }
    }

    return INVSYNC_CH_DONE;
}
