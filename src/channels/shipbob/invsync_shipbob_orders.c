
/*
 * ShipBob's 3PL row: orders after the public Orders API (developer
 * .shipbob.com; docs/channels/shipbob.md says what is confirmed and what
 * is chosen).  The shipment id is the order's reference_id, which ShipBob
 * keeps unique (a second create is 422 "Duplicate reference ID"): that is
 * what makes a create after a lost answer safe, with a look by
 * ReferenceIds before it and after a 422.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shipbob.h"


static int invsync_sb_find_build(const invsync_channel_ctx_t *ctx,
    const char *id, invsync_request_t *rq);
static invsync_channel_rc_e invsync_sb_find_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    const char *id, invsync_3pl_order_t *o);
static int invsync_sb_create_build(const invsync_channel_ctx_t *ctx,
    const invsync_3pl_shipment_t *s, invsync_request_t *rq);
static invsync_channel_rc_e invsync_sb_create_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_3pl_order_t *o);
static int invsync_sb_get_build(const invsync_channel_ctx_t *ctx,
    const char *ref, invsync_request_t *rq);
static invsync_channel_rc_e invsync_sb_get_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_3pl_order_t *o);
static int invsync_sb_cancel_build(const invsync_channel_ctx_t *ctx,
    const char *ref, invsync_request_t *rq);
static invsync_channel_rc_e invsync_sb_cancel_parse(
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_3pl_order_t *o);

static json_t *invsync_sb_body(const invsync_answer_t *a);
static invsync_channel_rc_e invsync_sb_problem(const invsync_answer_t *a,
    json_t *doc);
static invsync_channel_rc_e invsync_sb_order(const invsync_answer_t *a,
    json_t *order, invsync_3pl_order_t *o);
static void invsync_sb_items(json_t *order, invsync_3pl_order_t *o);
static void invsync_sb_copy(char *dst, size_t cap, json_t *obj,
    const char *key);
static json_t *invsync_sb_recipient(const invsync_3pl_shipment_t *s);
static json_t *invsync_sb_products(json_t *lines);
static int invsync_sb_escape(char *dst, size_t cap, const char *src);


const invsync_3pl_t  invsync_3pl_shipbob = {
    .type = "shipbob",
    .find_build = invsync_sb_find_build,
    .find_parse = invsync_sb_find_parse,
    .create_build = invsync_sb_create_build,
    .create_parse = invsync_sb_create_parse,
    .get_build = invsync_sb_get_build,
    .get_parse = invsync_sb_get_parse,
    .cancel_build = invsync_sb_cancel_build,
    .cancel_parse = invsync_sb_cancel_parse,
};


/* GET /order?ReferenceIds=<id>: an array, newest first */

static int
invsync_sb_find_build(const invsync_channel_ctx_t *ctx, const char *id,
    invsync_request_t *rq)
{
    char  q[3 * INVSYNC_3PL_URL_LEN];

    invsync_request_init(rq, "GET");

    if (invsync_sb_escape(q, sizeof(q), id) != 0) {
        return -1;
    }

    return invsync_request_api(rq, ctx, "/order?ReferenceIds=%s", q);
}


/* the filter is the API's: only an order whose reference_id is id counts */
static invsync_channel_rc_e
invsync_sb_find_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, const char *id, invsync_3pl_order_t *o)
{
    size_t                i;
    json_t               *doc, *it;
    const char           *ref;
    invsync_channel_rc_e  rc;

    (void) ctx;

    memset(o, 0, sizeof(invsync_3pl_order_t));
    doc = invsync_sb_body(a);

    if (a->status != 200) {
        return invsync_sb_problem(a, doc);
    }

    if (!json_is_array(doc)) {
        json_decref(doc);
        return invsync_answer_retry(a, "the order list is not a JSON array");
    }

    o->state = INVSYNC_3PL_NONE;
    rc = INVSYNC_CH_DONE;

    json_array_foreach(doc, i, it) {
        ref = json_string_value(json_object_get(it, "reference_id"));

        if (ref != NULL && strcmp(ref, id) == 0) {
            rc = invsync_sb_order(a, it, o);
            break;
        }
    }

    json_decref(doc);

    return rc;
}


/* POST /order with the shipbob_channel_id header */

static int
invsync_sb_create_build(const invsync_channel_ctx_t *ctx,
    const invsync_3pl_shipment_t *s, invsync_request_t *rq)
{
    char         cid[32];
    json_t      *doc, *recipient, *products;
    const char  *method;

    invsync_request_init(rq, "POST");

    if (invsync_shipbob_channel_id(ctx->conf, cid, sizeof(cid)) == NULL
        || invsync_request_api(rq, ctx, "/order") != 0
        || invsync_request_header(rq, "shipbob_channel_id: %s", cid) != 0
        || invsync_request_header(rq, "Content-Type: application/json") != 0)
    {
        return -1;
    }

    recipient = invsync_sb_recipient(s);
    products = invsync_sb_products(s->lines);
    method = s->shipping_method != NULL && s->shipping_method[0] != '\0'
             ? s->shipping_method : "Standard";

    if (recipient == NULL || products == NULL) {
        json_decref(recipient);
        json_decref(products);
        return -1;
    }

    doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
                    "reference_id", s->id,
                    "order_number", s->order_number ? s->order_number : s->id,
                    "shipping_method", method,
                    "type", "DTC",
                    "recipient", recipient,
                    "products", products);

    return doc != NULL ? invsync_request_json(rq, doc) : -1;
}


static invsync_channel_rc_e
invsync_sb_create_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_3pl_order_t *o)
{
    json_t                *doc;
    const char            *title;
    invsync_channel_rc_e   rc;

    (void) ctx;

    memset(o, 0, sizeof(invsync_3pl_order_t));
    doc = invsync_sb_body(a);

    if (a->status == 422) {
        title = json_string_value(json_object_get(doc, "title"));

        if ((title != NULL && strstr(title, "Duplicate") != NULL)
            || json_object_get(json_object_get(doc, "errors"),
                               "reference_id") != NULL)
        {
            json_decref(doc);
            o->state = INVSYNC_3PL_DUPLICATE;
            return INVSYNC_CH_DONE;
        }
    }

    if (a->status != 200 && a->status != 201) {
        return invsync_sb_problem(a, doc);
    }

    rc = invsync_sb_order(a, doc, o);
    json_decref(doc);

    return rc;
}


/* GET /order/{id} */

static int
invsync_sb_get_build(const invsync_channel_ctx_t *ctx, const char *ref,
    invsync_request_t *rq)
{
    invsync_request_init(rq, "GET");

    if (ref[0] == '\0' || strspn(ref, "0123456789") != strlen(ref)) {
        return -1;
    }

    return invsync_request_api(rq, ctx, "/order/%s", ref);
}


static invsync_channel_rc_e
invsync_sb_get_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_3pl_order_t *o)
{
    json_t                *doc;
    invsync_channel_rc_e   rc;

    (void) ctx;

    memset(o, 0, sizeof(invsync_3pl_order_t));
    doc = invsync_sb_body(a);

    if (a->status == 404) {
        json_decref(doc);
        o->state = INVSYNC_3PL_NONE;
        return INVSYNC_CH_DONE;
    }

    if (a->status != 200) {
        return invsync_sb_problem(a, doc);
    }

    rc = invsync_sb_order(a, doc, o);
    json_decref(doc);

    return rc;
}


/* POST /order/{id}/cancel: Success, or Failure once shipped */

static int
invsync_sb_cancel_build(const invsync_channel_ctx_t *ctx, const char *ref,
    invsync_request_t *rq)
{
    invsync_request_init(rq, "POST");

    if (ref[0] == '\0' || strspn(ref, "0123456789") != strlen(ref)) {
        return -1;
    }

    return invsync_request_api(rq, ctx, "/order/%s/cancel", ref);
}


static invsync_channel_rc_e
invsync_sb_cancel_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_3pl_order_t *o)
{
    json_t                *doc;
    const char            *status;
    invsync_channel_rc_e   rc;

    (void) ctx;

    memset(o, 0, sizeof(invsync_3pl_order_t));
    doc = invsync_sb_body(a);

    if (a->status == 404) {
        json_decref(doc);
        o->state = INVSYNC_3PL_NONE;
        return INVSYNC_CH_DONE;
    }

    if (a->status != 200) {
        return invsync_sb_problem(a, doc);
    }

    status = json_string_value(json_object_get(doc, "status"));
    rc = INVSYNC_CH_DONE;

    if (status != NULL && strcmp(status, "Success") == 0) {
        o->state = INVSYNC_3PL_CANCELLED;
        invsync_sb_copy(o->ref, sizeof(o->ref), doc, "order_id");

    } else if (status != NULL && strcmp(status, "Failure") == 0) {
        rc = invsync_sb_order(a, json_object_get(doc, "order"), o);
        o->state = INVSYNC_3PL_REFUSED;

    } else {
        rc = invsync_answer_retry(a, "a cancel answer with status \"%.32s\"",
                                  status ? status : "(none)");
    }

    json_decref(doc);

    return rc;
}


/* ---- answers ------------------------------------------------------------ */

static json_t *
invsync_sb_body(const invsync_answer_t *a)
{
    return a->len > 0 ? json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES,
                                   NULL)
                      : NULL;
}


/* a ProblemDetails as the reason: its title and the fields it names */
static invsync_channel_rc_e
invsync_sb_problem(const invsync_answer_t *a, json_t *doc)
{
    char                   fields[160];
    size_t                 n;
    json_t                *v;
    const char            *title, *key;
    invsync_channel_rc_e   rc;

    title = json_string_value(json_object_get(doc, "title"));
    if (title == NULL) {
        title = json_string_value(json_object_get(doc, "message"));
    }

    fields[0] = '\0';
    n = 0;

    json_object_foreach(json_object_get(doc, "errors"), key, v) {
        if (n < sizeof(fields)) {
            n += snprintf(fields + n, sizeof(fields) - n, "%s%s",
                          n ? ", " : " (", key);
        }
    }

    if (n > 0 && n + 1 < sizeof(fields)) {
        strcat(fields, ")");
    }

    rc = invsync_answer_retry(a, "HTTP %ld: %.80s%s", a->status,
                              title ? title : "no ProblemDetails", fields);
    json_decref(doc);

    return rc;
}


/*
 * An order: cancelled; shipped when a shipment is Completed with its
 * tracking (ShipBob's order is then Fulfilled); else open.  One shipment
 * counts: the first with tracking (partial shipments are not split).
 */
static invsync_channel_rc_e
invsync_sb_order(const invsync_answer_t *a, json_t *order,
    invsync_3pl_order_t *o)
{
    size_t       i;
    json_t      *sh, *tr;
    const char  *status;

    if (!json_is_object(order)
        || !invsync_id_digits(json_object_get(order, "id"), o->ref,
                              sizeof(o->ref)))
    {
        return invsync_answer_retry(a, "an order without a numeric \"id\"");
    }

    status = json_string_value(json_object_get(order, "status"));
    o->state = status != NULL && strcmp(status, "Cancelled") == 0
               ? INVSYNC_3PL_CANCELLED : INVSYNC_3PL_OPEN;

    json_array_foreach(json_object_get(order, "shipments"), i, sh) {
        tr = json_object_get(sh, "tracking");
        status = json_string_value(json_object_get(sh, "status"));

        if (!json_is_object(tr) || status == NULL
            || strcmp(status, "Completed") != 0)
        {
            continue;
        }

        o->state = INVSYNC_3PL_SHIPPED;
        invsync_sb_copy(o->carrier, sizeof(o->carrier), tr, "carrier");
        invsync_sb_copy(o->service, sizeof(o->service), tr,
                        "carrier_service");
        invsync_sb_copy(o->tracking, sizeof(o->tracking), tr,
                        "tracking_number");
        invsync_sb_copy(o->url, sizeof(o->url), tr, "tracking_url");
        break;
    }

    if (o->state == INVSYNC_3PL_SHIPPED && o->tracking[0] == '\0') {
        return invsync_answer_retry(a, "a completed shipment without "
                                    "tracking_number");
    }

    invsync_sb_items(order, o);

    return INVSYNC_CH_DONE;
}


/*
 * The inventory ids of our products: a return order names its items by
 * inventory id (and the product's name), not by the reference_id we sent
 * (docs/channels/shipbob.md, "Returns"); the order's shipments pair
 * them: products[] {reference_id, inventory_items[] {id}}.  Each as
 * "inventory:<id>" -> reference_id in o->items.
 */
static void
invsync_sb_items(json_t *order, invsync_3pl_order_t *o)
{
    char         id[32], ref[48];
    size_t       i, j, k;
    json_t      *sh, *p, *it;
    const char  *sku;

    o->items = NULL;

    json_array_foreach(json_object_get(order, "shipments"), i, sh) {
        json_array_foreach(json_object_get(sh, "products"), j, p) {
            sku = json_string_value(json_object_get(p, "reference_id"));

            if (sku == NULL || sku[0] == '\0') {
                continue;
            }

            json_array_foreach(json_object_get(p, "inventory_items"), k, it) {
                if (!invsync_id_digits(json_object_get(it, "id"), id,
                                       sizeof(id)))
                {
                    continue;
                }

                if (o->items == NULL) {
                    o->items = json_object();
                }

                snprintf(ref, sizeof(ref), "inventory:%s", id);
                json_object_set_new(o->items, ref, json_string(sku));
            }
        }
    }
}


/* a string member, or an integer as decimal; cut to cap, "" when absent */
static void
invsync_sb_copy(char *dst, size_t cap, json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);
    dst[0] = '\0';

    if (json_is_string(v)) {
        snprintf(dst, cap, "%s", json_string_value(v));

    } else if (json_is_integer(v)) {
        snprintf(dst, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }
}


/* ---- requests ----------------------------------------------------------- */

/* a canonical member, or "" */
static const char *
invsync_sb_str(json_t *obj, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "";
}


/* the canonical shipping address as ShipBob's recipient */
static json_t *
invsync_sb_recipient(const invsync_3pl_shipment_t *s)
{
    json_t      *ad, *cu;
    const char  *name, *email, *phone;

    ad = s->address;
    cu = s->customer;
    name = invsync_sb_str(ad, "name");
    name = name[0] ? name : invsync_sb_str(cu, "name");
    email = invsync_sb_str(cu, "email");
    phone = invsync_sb_str(ad, "phone");
    phone = phone[0] ? phone : invsync_sb_str(cu, "phone");

    return json_pack("{s:s, s:s*, s:s*, s:{s:s, s:s*, s:s, s:s*, s:s, s:s*}}",
                     "name", name,
                     "email", email[0] ? email : NULL,
                     "phone_number", phone[0] ? phone : NULL,
                     "address",
                     "address1", invsync_sb_str(ad, "address1"),
                     "address2", json_string_value(json_object_get(ad,
                                                   "address2")),
                     "city", invsync_sb_str(ad, "city"),
                     "state", json_string_value(json_object_get(ad,
                                                "province")),
                     "country", invsync_sb_str(ad, "country_code"),
                     "zip_code", json_string_value(json_object_get(ad,
                                                   "zip")));
}


/* our lines as products: the ledger SKU is the merchant's reference_id,
 * and also its name, which ShipBob needs for a product it does not know */
static json_t *
invsync_sb_products(json_t *lines)
{
    size_t   i;
    json_t  *arr, *ln, *p;

    arr = json_array();

    json_array_foreach(lines, i, ln) {
        p = json_pack("{s:s, s:s, s:I}",
                      "reference_id", invsync_sb_str(ln, "sku"),
                      "name", invsync_sb_str(ln, "sku"),
                      "quantity", (json_int_t) json_integer_value(
                          json_object_get(ln, "qty")));

        if (p == NULL || json_array_append_new(arr, p) != 0) {
            json_decref(arr);
            return NULL;
        }
    }

    return arr;
}


/* RFC 3986 percent-encoding of a query value (unreserved kept) */
static int
invsync_sb_escape(char *dst, size_t cap, const char *src)
{
    size_t       n;
    const char  *ok = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789-._~";

    for (n = 0; *src != '\0'; src++) {
        if (n + 4 > cap) {
            return -1;
        }

        if (strchr(ok, *src) != NULL) {
            dst[n++] = *src;
        } else {
            n += snprintf(dst + n, cap - n, "%%%02X", (unsigned char) *src);
        }
    }

    dst[n] = '\0';

    return 0;
}
