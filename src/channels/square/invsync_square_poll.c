
/*
 * Square's order polling (channels.md section 5.6): SearchOrders (POST
 * /v2/orders/search) of the channel's locations (worker.json
 * channels[].options.locations, at most 10), the orders updated since a
 * time in the order of their update, 500 a page, the next page by the
 * answer's cursor.  Square's order webhooks carry no lines (only the
 * order's id, state and version): the orders themselves come from here.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_square.h"


#define INVSYNC_SQUARE_SEARCH  "/v2/orders/search"


int
invsync_square_poll_build(const invsync_channel_ctx_t *ctx,
    const invsync_page_t *page, invsync_request_t *rq)
{
    char     since[64];
    json_t  *doc, *locs;

    rq->method = "POST";

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SQUARE_SEARCH) != 0) {
        return -1;
    }

    invsync_iso_time(page->since_ms, 0, since, sizeof(since));
    locs = json_object_get(ctx->conf->options, "locations");

    doc = json_pack("{s:O, s:{s:{s:{s:{s:s}}, s:{s:[sss]}}, s:{s:s, s:s}},"
                    " s:i, s:b}",
                    "location_ids", locs,
                    "query", "filter", "date_time_filter", "updated_at",
                    "start_at", since, "state_filter", "states", "OPEN",
                    "COMPLETED", "CANCELED", "sort", "sort_field",
                    "UPDATED_AT", "sort_order", "ASC",
                    "limit", 500, "return_entries", 0);

    if (doc != NULL && page->cursor[0] != '\0') {
        json_object_set_new(doc, "cursor", json_string(page->cursor));
    }

    return invsync_request_json(rq, doc);
}


invsync_channel_rc_e
invsync_square_poll_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_page_t *page, int64_t *delay_ms)
{
    json_t      *doc, *orders;
    const char  *cursor, *p;

    (void) ctx;
    (void) delay_ms;

    if (a->status != 200) {
        return invsync_answer_retry(a, "unexpected answer: HTTP %ld",
                                    a->status);
    }

    doc = json_loadb(a->body, a->len, 0, NULL);
    orders = json_object_get(doc, "orders");

    /* no order at all is answered {} */
    if (!json_is_object(doc) || (orders != NULL && !json_is_array(orders))) {
        json_decref(doc);
        return invsync_answer_retry(a, "answer is not a list of orders");
    }

    cursor = json_string_value(json_object_get(doc, "cursor"));

    /* an opaque token the engine keeps and sends back: one that fits,
     * of printable ASCII (found by t/fuzz/fuzz_answers.c) */
    for (p = cursor; p != NULL && *p != '\0'; p++) {
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f) {
            break;
        }
    }

    if (cursor != NULL
        && (*p != '\0' || strlen(cursor) >= sizeof(page->cursor)))
    {
        json_decref(doc);
        return invsync_answer_retry(a, "unusable cursor");
    }

    page->orders = orders != NULL ? json_incref(orders) : json_array();
    snprintf(page->cursor, sizeof(page->cursor), "%s",
             cursor != NULL ? cursor : "");
    json_decref(doc);

    return page->cursor[0] != '\0' ? INVSYNC_CH_MORE : INVSYNC_CH_DONE;
}


/* its version is updated_at: the canonical order's updated_ms */

int
invsync_square_poll_order(const invsync_channel_ctx_t *ctx, json_t *order,
    invsync_polled_t *p)
{
    const char  *id;

    (void) ctx;

    p->topic = "order.polled";
    p->version = json_string_value(json_object_get(order, "updated_at"));
    id = json_string_value(json_object_get(order, "id"));

    if (id == NULL || strlen(id) >= sizeof(p->id) || p->version == NULL) {
        return -1;
    }

    snprintf(p->id, sizeof(p->id), "%s", id);

    return 0;
}


/* the module's account of a Square webhook is its merchant_id, which the
 * API base does not tell: options.merchant_id, else "" */

void
invsync_square_account(const invsync_channel_ctx_t *ctx, char *buf,
    size_t cap)
{
    const char  *m;

    m = json_string_value(json_object_get(ctx->conf->options,
                                          "merchant_id"));
    snprintf(buf, cap, "%s", m != NULL ? m : "");
}


/*
 * options: "locations", the Square location ids whose orders are polled
 * (1..10 of them: SearchOrders's limit), required with poll_s;
 * "merchant_id", the account of polled orders; "ledger_locations", an
 * object: a Square location id -> the ledger location (worker.json
 * locations[].id) its counter sales and pickups are placed at
 * (invsync_square_sale_location()).  Checked with or without options
 * (cc->options may be NULL).
 */

int
invsync_square_check_options(const invsync_channel_conf_t *cc, char *err,
    size_t len)
{
    size_t       i;
    json_t      *v, *loc;
    const char  *key, *s, *id;

    if (cc->poll_s > 0
        && json_object_get(cc->options, "locations") == NULL)
    {
        snprintf(err, len, "\"locations\" is required with \"poll_s\": "
                 "the Square locations whose orders are polled");
        return -1;
    }

    json_object_foreach(cc->options, key, v) {
        if (strcmp(key, "locations") == 0) {
            if (!json_is_array(v) || json_array_size(v) == 0
                || json_array_size(v) > INVSYNC_SQUARE_LOCATIONS)
            {
                snprintf(err, len, "\"locations\" must list 1 to %d "
                         "location ids", INVSYNC_SQUARE_LOCATIONS);
                return -1;
            }

            json_array_foreach(v, i, loc) {
                if (!invsync_square_location_id(json_string_value(loc))) {
                    snprintf(err, len, "\"locations\"[%zu] is not a Square "
                             "location id", i);
                    return -1;
                }
            }

        } else if (strcmp(key, "ledger_locations") == 0) {
            if (!json_is_object(v) || json_object_size(v) == 0) {
                snprintf(err, len, "\"ledger_locations\" must be an object: "
                         "a Square location id -> its ledger location");
                return -1;
            }

            json_object_foreach(v, id, loc) {
                if (!invsync_square_location_id(id)) {
                    snprintf(err, len, "\"ledger_locations\".\"%.64s\": "
                             "not a Square location id", id);
                    return -1;
                }

                s = json_string_value(loc);

                if (s == NULL || s[0] == '\0') {
                    snprintf(err, len, "\"ledger_locations\".\"%s\" must "
                             "be a ledger location id (locations[].id)", id);
                    return -1;
                }
            }

        } else if (strcmp(key, "merchant_id") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0) {
                snprintf(err, len, "\"merchant_id\" must be a string");
                return -1;
            }

        } else {
            snprintf(err, len, "unknown option \"%.40s\" (known: "
                     "ledger_locations, locations, merchant_id)", key);
            return -1;
        }
    }

    return 0;
}
