
/*
 * WooCommerce's side of the pusher: the REST batch endpoints, products
 * and variations of one parent per request, at most 100 items (the batch
 * limit), HTTP Basic with the consumer key and secret; per-item errors
 * come inside a 200.  See channels.md section 3.4.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_push.h"


static size_t invsync_woo_build(invsync_pushchan_t *pc, char *url,
    size_t urllen, char **body);
static invsync_push_rc_e invsync_woo_parse(invsync_pushchan_t *pc,
    long status, const char *body, size_t len, int64_t *delay_ms);
static const char *invsync_woo_id(json_t *ref, const char *key, char *buf,
    size_t cap);


const invsync_pushops_t  invsync_pushops_woocommerce = {
    "woocommerce",
    100,
    invsync_woo_build,
    invsync_woo_parse
};


/*
 * Variations are updated under their parent: the first item decides the
 * endpoint, the items that share it go along, the others are handed back.
 */

static size_t
invsync_woo_build(invsync_pushchan_t *pc, char *url, size_t urllen,
    char **body)
{
    int                   first_var, is_var;
    char                  parent[64], var[64], pid[64];
    size_t                i, n;
    json_t               *update, *doc;
    invsync_push_item_t   tmp;

    first_var = invsync_woo_id(pc->items[0].ref, "variation_id", var,
                               sizeof(var))[0] != '\0';
    invsync_woo_id(pc->items[0].ref, "product_id", parent, sizeof(parent));

    n = 0;

    for (i = 0; i < pc->nitems; i++) {
        is_var = invsync_woo_id(pc->items[i].ref, "variation_id", var,
                                sizeof(var))[0] != '\0';
        invsync_woo_id(pc->items[i].ref, "product_id", pid, sizeof(pid));

        if (first_var ? is_var && strcmp(pid, parent) == 0 : !is_var) {
            tmp = pc->items[n];
            pc->items[n] = pc->items[i];
            pc->items[i] = tmp;
            n++;
        }
    }

    if (first_var) {
        snprintf(url, urllen, "%s/wp-json/wc/v3/products/%s/variations/batch",
                 pc->conf->api_base, parent);
    } else {
        snprintf(url, urllen, "%s/wp-json/wc/v3/products/batch",
                 pc->conf->api_base);
    }

    update = json_array();

    for (i = 0; i < n; i++) {
        invsync_woo_id(pc->items[i].ref, first_var ? "variation_id"
                                                   : "product_id",
                       pid, sizeof(pid));
        json_array_append_new(update, json_pack("{s:I, s:b, s:I}",
                              "id", (json_int_t) strtoll(pid, NULL, 10),
                              "manage_stock", 1,
                              "stock_quantity",
                              (json_int_t) pc->items[i].qty));
    }

    doc = json_pack("{s:o}", "update", update);
    *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    return n;
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


static invsync_push_rc_e
invsync_woo_parse(invsync_pushchan_t *pc, long status, const char *body,
    size_t len, int64_t *delay_ms)
{
    char         want[64], key[16];
    size_t       i, k;
    json_t      *doc, *update, *e, *err;
    json_int_t   id;

    if (status == 429) {
        *delay_ms = (int64_t) (atof(pc->answer.retry_after) * 1000);
        return INVSYNC_PUSH_THROTTLED;
    }

    if (status != 200) {
        return INVSYNC_PUSH_RETRY;
    }

    doc = json_loadb(body, len, 0, NULL);
    update = json_object_get(doc, "update");

    if (!json_is_array(update)) {
        json_decref(doc);
        return INVSYNC_PUSH_RETRY;
    }

    snprintf(key, sizeof(key), "%s",
             invsync_woo_id(pc->items[0].ref, "variation_id", want,
                            sizeof(want))[0] ? "variation_id" : "product_id");

    /* each entry answers one id: ok, or {"id", "error": {...}} */
    for (k = 0; k < pc->nitems; k++) {
        invsync_woo_id(pc->items[k].ref, key, want, sizeof(want));

        if (want[0] == '\0') {
            invsync_woo_id(pc->items[k].ref, "product_id", want,
                           sizeof(want));
        }

        pc->items[k].ok = 0;
        snprintf(pc->items[k].err, sizeof(pc->items[k].err),
                 "no answer for id %s", want);

        json_array_foreach(update, i, e) {
            id = json_integer_value(json_object_get(e, "id"));

            if (id != strtoll(want, NULL, 10)) {
                continue;
            }

            err = json_object_get(e, "error");

            if (err == NULL) {
                pc->items[k].ok = 1;

            } else {
                snprintf(pc->items[k].err, sizeof(pc->items[k].err),
                         "%s: %s",
                         json_string_value(json_object_get(err, "code"))
                         ? json_string_value(json_object_get(err, "code"))
                         : "error",
                         json_string_value(json_object_get(err, "message"))
                         ? json_string_value(json_object_get(err, "message"))
                         : "");
            }

            break;
        }
    }

    json_decref(doc);
    (void) delay_ms;

    return INVSYNC_PUSH_DONE;
}
