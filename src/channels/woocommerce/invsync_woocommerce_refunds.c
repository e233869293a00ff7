
/*
 * An order's refunds from WooCommerce's REST API, with their lines:
 * GET /wp-json/wc/v3/orders/<id>/refunds.  The webhook (order.updated)
 * names each refund only by id, reason and total (docs/events.md,
 * "WooCommerce"); the lines are only here.  100 a page is WooCommerce's
 * most; an order with more refunds than that is not a shop's order.
 * WooCommerce lists the newest first; they are handed on oldest first (by
 * id, which WooCommerce gives in the order refunds are made), so that
 * each is counted against what the refunds before it took.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_woocommerce.h"


int
invsync_woo_refunds_build(const invsync_channel_ctx_t *ctx,
    const char *order_id, invsync_request_t *rq)
{
    size_t  i;

    /* WooCommerce's order ids are numbers: nothing else goes in a path */
    for (i = 0; order_id[i] != '\0'; i++) {
        if (order_id[i] < '0' || order_id[i] > '9' || i > 19) {
            return -1;
        }
    }

    if (i == 0) {
        return -1;
    }

    rq->method = "GET";

    return invsync_request_api(rq, ctx, "/wp-json/wc/v3/orders/%s/refunds"
                               "?per_page=100", order_id);
}


static int invsync_woo_refund_cmp(const void *a, const void *b);


invsync_channel_rc_e
invsync_woo_refunds_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, json_t **refunds, int64_t *delay_ms)
{
    char         id[32];
    size_t       i, n;
    json_t      *doc, *r, *out, **sorted;

    (void) ctx;
    (void) delay_ms;

    *refunds = NULL;

    if (a->status != 200) {
        return invsync_answer_retry(a, "unexpected answer: HTTP %ld",
                                    a->status);
    }

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (!json_is_array(doc)) {
        json_decref(doc);
        return invsync_answer_retry(a, "answer is not a list of refunds");
    }

    n = json_array_size(doc);
    sorted = calloc(n + 1, sizeof(json_t *));
    out = json_array();

    if (sorted == NULL || out == NULL) {
        free(sorted);
        json_decref(out);
        json_decref(doc);
        return invsync_answer_retry(a, "out of memory");
    }

    json_array_foreach(doc, i, r) {
        if (!json_is_object(r)
            || !invsync_id_digits(json_object_get(r, "id"), id, sizeof(id)))
        {
            free(sorted);
            json_decref(out);
            json_decref(doc);
            return invsync_answer_retry(a, "refund %zu has no id", i);
        }

        json_object_set_new(r, "_invsync_id", json_string(id));
        sorted[i] = r;
    }

    qsort(sorted, n, sizeof(json_t *), invsync_woo_refund_cmp);

    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%s", json_string_value(
                     json_object_get(sorted[i], "_invsync_id")));
        json_object_del(sorted[i], "_invsync_id");

        if (json_array_append_new(out, json_pack("{s:s, s:O}", "refund_id",
                                                 id, "refund", sorted[i]))
            != 0)
        {
            free(sorted);
            json_decref(out);
            json_decref(doc);
            return invsync_answer_retry(a, "out of memory");
        }
    }

    free(sorted);
    json_decref(doc);
    *refunds = out;

    return INVSYNC_CH_DONE;
}


/* by id as a number: shorter digits first, then as text */
static int
invsync_woo_refund_cmp(const void *a, const void *b)
{
    size_t       la, lb;
    const char  *sa, *sb;

    sa = json_string_value(json_object_get(*(json_t *const *) a,
                                           "_invsync_id"));
    sb = json_string_value(json_object_get(*(json_t *const *) b,
                                           "_invsync_id"));
    la = strlen(sa);
    lb = strlen(sb);

    return la != lb ? (la < lb ? -1 : 1) : strcmp(sa, sb);
}
