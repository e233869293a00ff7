
/*
 * WooCommerce's stock operations (channels.md section 3.4).  Push: the
 * REST batch endpoints, products, or the variations of one parent, per
 * request, at most 100 items (the batch limit); per-item errors come
 * inside a 200.  Read back: the products (or one product's variations)
 * listed with include=, up to 100 a page.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_woocommerce.h"


#define INVSYNC_WOO_PRODUCTS  "/wp-json/wc/v3/products"


static const char *invsync_woo_id(json_t *ref, const char *key, char *buf,
    size_t cap);
static int invsync_woo_push_same(const void *first, const void *other);
static int invsync_woo_read_same(const void *first, const void *other);
static void invsync_woo_item_error(invsync_push_item_t *it, json_t *err);


/*
 * Variations are updated under their parent: the first item decides the
 * endpoint, the items that share it go along, the others wait their turn.
 */

size_t
invsync_woo_push_build(const invsync_channel_ctx_t *ctx,
    invsync_push_item_t *items, size_t n, const char *idempotency,
    invsync_request_t *rq)
{
    int      rc;
    char     parent[64], id[64];
    size_t   i;
    json_t  *update;

    (void) idempotency;

    rq->method = "POST";
    n = invsync_items_group(items, n, sizeof(invsync_push_item_t),
                            invsync_channel_woocommerce.push_max,
                            invsync_woo_push_same);

    if (invsync_woo_id(items[0].ref, "variation_id", id, sizeof(id))[0]) {
        invsync_woo_id(items[0].ref, "product_id", parent, sizeof(parent));
        rc = invsync_request_api(rq, ctx, "%s/%s/variations/batch",
                                 INVSYNC_WOO_PRODUCTS, parent);

    } else {
        rc = invsync_request_api(rq, ctx, "%s/batch", INVSYNC_WOO_PRODUCTS);
    }

    if (rc != 0) {
        return 0;
    }

    update = json_array();

    for (i = 0; i < n; i++) {
        if (!invsync_woo_id(items[i].ref, "variation_id", id, sizeof(id))[0]) {
            invsync_woo_id(items[i].ref, "product_id", id, sizeof(id));
        }

        json_array_append_new(update, json_pack("{s:I, s:b, s:I}",
                              "id", (json_int_t) strtoll(id, NULL, 10),
                              "manage_stock", 1,
                              "stock_quantity", (json_int_t) items[i].qty));
    }

    return invsync_request_json(rq, json_pack("{s:o}", "update", update))
           == 0 ? n : 0;
}


/* each entry of "update" answers one id: ok, or {"id", "error": {...}} */

invsync_channel_rc_e
invsync_woo_push_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_push_item_t *items, size_t n,
    int64_t *delay_ms)
{
    char         want[64];
    size_t       i, k;
    json_t      *doc, *update, *e;
    const char  *key;

    (void) ctx;
    (void) delay_ms;

    if (a->status != 200) {
        return invsync_answer_retry(a, "HTTP %ld", a->status);
    }

    doc = json_loadb(a->body, a->len, 0, NULL);
    update = json_object_get(doc, "update");

    if (!json_is_array(update)) {
        json_decref(doc);
        return invsync_answer_retry(a, "an answer without \"update\"");
    }

    key = invsync_woo_id(items[0].ref, "variation_id", want,
                         sizeof(want))[0] ? "variation_id" : "product_id";

    for (k = 0; k < n; k++) {
        invsync_woo_id(items[k].ref, key, want, sizeof(want));

        if (want[0] == '\0') {
            invsync_woo_id(items[k].ref, "product_id", want, sizeof(want));
        }

        items[k].ok = 0;
        snprintf(items[k].err, sizeof(items[k].err), "no answer for id %s",
                 want);

        json_array_foreach(update, i, e) {
            if (json_integer_value(json_object_get(e, "id"))
                != strtoll(want, NULL, 10))
            {
                continue;
            }

            if (json_object_get(e, "error") == NULL) {
                items[k].ok = 1;
                items[k].err[0] = '\0';

            } else {
                invsync_woo_item_error(&items[k],
                                       json_object_get(e, "error"));
            }

            break;
        }
    }

    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/* a product by its id; a variation by its id under its product's */

int
invsync_woo_read_item(invsync_read_item_t *it)
{
    if (invsync_id_digits(json_object_get(it->ref, "variation_id"), it->id,
                          sizeof(it->id)))
    {
        if (!invsync_id_digits(json_object_get(it->ref, "product_id"),
                               it->at, sizeof(it->at)))
        {
            return -1;
        }

        snprintf(it->name, sizeof(it->name), "%s/%s", it->at, it->id);
        return 0;
    }

    if (!invsync_id_digits(json_object_get(it->ref, "product_id"), it->id,
                           sizeof(it->id)))
    {
        return -1;
    }

    snprintf(it->name, sizeof(it->name), "%s", it->id);

    return 0;
}


/* the first item's endpoint (simple products, or one product's
 * variations) and the items of the same */

size_t
invsync_woo_read_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq)
{
    int     rc;
    size_t  i, max, len;

    rq->method = "GET";
    max = invsync_channel_woocommerce.read_max;
    n = invsync_items_group(items, n, sizeof(invsync_read_item_t), max,
                            invsync_woo_read_same);

    if (items[0].at[0] != '\0') {
        rc = invsync_request_api(rq, ctx, "%s/%s/variations?per_page=%zu"
                                 "&include=", INVSYNC_WOO_PRODUCTS,
                                 items[0].at, max);
    } else {
        rc = invsync_request_api(rq, ctx, "%s?per_page=%zu&include=",
                                 INVSYNC_WOO_PRODUCTS, max);
    }

    if (rc != 0) {
        return 0;
    }

    /* 100 ids of up to 20 digits and the base fit: checked anyway */
    len = strlen(rq->url);

    for (i = 0; i < n && len < sizeof(rq->url); i++) {
        len += snprintf(rq->url + len, sizeof(rq->url) - len, "%s%s",
                        i ? "," : "", items[i].id);
    }

    return len < sizeof(rq->url) ? n : 0;
}


/*
 * A list limited to the ids asked for: an id not in it is not known to
 * the shop (deleted, trashed, or not a variation of that product); a
 * product that does not manage stock shows no quantity.
 */

invsync_channel_rc_e
invsync_woo_read_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_read_item_t *items, size_t n,
    int64_t *delay_ms)
{
    char                   id[32];
    size_t                 i, k;
    json_t                *doc, *p, *q;
    const char            *code;
    invsync_read_item_t   *it;
    invsync_channel_rc_e   rc;

    (void) ctx;
    (void) delay_ms;

    doc = json_loadb(a->body, a->len, 0, NULL);
    code = json_string_value(json_object_get(doc, "code"));

    /* the variations of a product that is gone */
    if (a->status == 404 && items[0].at[0] != '\0' && code != NULL
        && strcmp(code, "woocommerce_rest_product_invalid_id") == 0)
    {
        for (i = 0; i < n; i++) {
            items[i].read = INVSYNC_READ_MISSING;
            items[i].why = "no such product";
        }

        json_decref(doc);
        return INVSYNC_CH_DONE;
    }

    if (a->status != 200 || !json_is_array(doc)) {
        /* the reason before doc goes */
        rc = invsync_answer_retry(a, "HTTP %ld%s", a->status,
                                  json_is_array(doc) ? "" : ", not a list");
        json_decref(doc);
        return rc;
    }

    for (i = 0; i < n; i++) {
        it = &items[i];
        it->read = INVSYNC_READ_MISSING;
        it->why = it->at[0] ? "no such variation of the product"
                            : "no such product";

        json_array_foreach(doc, k, p) {
            if (!invsync_id_digits(json_object_get(p, "id"), id, sizeof(id))
                || strcmp(id, it->id) != 0)
            {
                continue;
            }

            q = json_object_get(p, "stock_quantity");

            if (json_is_true(json_object_get(p, "manage_stock"))
                && json_is_integer(q))
            {
                it->read = INVSYNC_READ_SHOWS;
                it->shows = json_integer_value(q);

            } else {
                it->read = INVSYNC_READ_UNTRACKED;
            }

            it->why = NULL;
            break;
        }
    }

    json_decref(doc);

    return INVSYNC_CH_DONE;
}


static const char *
invsync_woo_id(json_t *ref, const char *key, char *buf, size_t cap)
{
    json_t  *v;

    v = json_object_get(ref, key);
    buf[0] = '\0';

    if (json_is_string(v)) {
        snprintf(buf, cap, "%s", json_string_value(v));

    } else if (json_is_integer(v) && json_integer_value(v) != 0) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }

    return buf;
}


/* simple products together; variations with those of the same parent */

static int
invsync_woo_push_same(const void *first, const void *other)
{
    char                        a[64], b[64];
    int                         va, vb;
    const invsync_push_item_t  *f = first, *o = other;

    va = invsync_woo_id(f->ref, "variation_id", a, sizeof(a))[0] != '\0';
    vb = invsync_woo_id(o->ref, "variation_id", b, sizeof(b))[0] != '\0';

    if (va != vb) {
        return 0;
    }

    if (!va) {
        return 1;
    }

    invsync_woo_id(f->ref, "product_id", a, sizeof(a));
    invsync_woo_id(o->ref, "product_id", b, sizeof(b));

    return strcmp(a, b) == 0;
}


static int
invsync_woo_read_same(const void *first, const void *other)
{
    const invsync_read_item_t  *f = first, *o = other;

    return strcmp(f->at, o->at) == 0;
}


static void
invsync_woo_item_error(invsync_push_item_t *it, json_t *err)
{
    const char  *code, *message;

    code = json_string_value(json_object_get(err, "code"));
    message = json_string_value(json_object_get(err, "message"));

    snprintf(it->err, sizeof(it->err), "%s: %s", code ? code : "error",
             message ? message : "");
    invsync_channel_text(it->err);
}
