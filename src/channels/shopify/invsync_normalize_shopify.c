
/*
 * Shopify webhooks (docs/events.md): orders, refunds, fulfillments,
 * inventory levels and returns as canonical events; every other topic is
 * ignored.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shopify.h"


typedef enum {
    INVSYNC_SHOPIFY_ORDER = 0,
    INVSYNC_SHOPIFY_CANCELLED,
    INVSYNC_SHOPIFY_REFUND,
    INVSYNC_SHOPIFY_FULFILLMENT,
    INVSYNC_SHOPIFY_INVENTORY,
    INVSYNC_SHOPIFY_RETURN,
    INVSYNC_SHOPIFY_TRANSIT,
    INVSYNC_SHOPIFY_DISPOSE,
    INVSYNC_SHOPIFY_DISPOSE_READ
} invsync_shopify_kind_e;


typedef struct {
    const char              *topic;
    invsync_shopify_kind_e   kind;
} invsync_shopify_topic_t;


static invsync_norm_rc_e invsync_shopify_normalize(
    const invsync_envelope_t *ev, json_t **out, char *err, size_t len);
static const char *invsync_shopify_status(const char *financial,
    const char *fulfillment);
static json_t *invsync_shopify_order(const invsync_envelope_t *ev,
    invsync_canon_src_t *s, int cancelled);
static int invsync_shopify_customer(const invsync_canon_src_t *s,
    json_t *e);
static int invsync_shopify_lines(const invsync_canon_src_t *s, json_t *e);
static int invsync_shopify_line_tax(const invsync_canon_src_t *line,
    int64_t *tax);
static int invsync_shopify_line(const invsync_canon_src_t *line, json_t *l,
    void *ctx);
static json_t *invsync_shopify_fulfillment(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);
static json_t *invsync_shopify_tracking(const invsync_canon_src_t *s);
static json_t *invsync_shopify_first(const invsync_canon_src_t *s,
    const char *key);
static json_t *invsync_shopify_inventory(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);


/* the topics with a canonical event; Shopify's own names */
static const invsync_shopify_topic_t  invsync_shopify_topics[] = {
    { "orders/create", INVSYNC_SHOPIFY_ORDER },
    { "orders/updated", INVSYNC_SHOPIFY_ORDER },
    { "orders/paid", INVSYNC_SHOPIFY_ORDER },
    { "orders/fulfilled", INVSYNC_SHOPIFY_ORDER },
    { "orders/partially_fulfilled", INVSYNC_SHOPIFY_ORDER },
    { "orders/cancelled", INVSYNC_SHOPIFY_CANCELLED },
    { "refunds/create", INVSYNC_SHOPIFY_REFUND },
    { "fulfillments/create", INVSYNC_SHOPIFY_FULFILLMENT },
    { "fulfillments/update", INVSYNC_SHOPIFY_FULFILLMENT },
    { "inventory_levels/update", INVSYNC_SHOPIFY_INVENTORY },
    { "returns/request", INVSYNC_SHOPIFY_RETURN },
    { "returns/approve", INVSYNC_SHOPIFY_RETURN },
    { "returns/decline", INVSYNC_SHOPIFY_RETURN },
    { "returns/cancel", INVSYNC_SHOPIFY_RETURN },
    { "returns/close", INVSYNC_SHOPIFY_RETURN },
    { "returns/reopen", INVSYNC_SHOPIFY_RETURN },
    { "reverse_deliveries/attach_deliverable", INVSYNC_SHOPIFY_TRANSIT },
    { "reverse_fulfillment_orders/dispose", INVSYNC_SHOPIFY_DISPOSE },
    { INVSYNC_TOPIC_DISPOSITION_READ, INVSYNC_SHOPIFY_DISPOSE_READ },
    { NULL, 0 }
};


/* shipping_address members in invsync_canon_address() order */
static const char  *invsync_shopify_address[] = {
    "address1", "address2", "city", "province", "zip", "country_code",
    "phone"
};


const invsync_normalizer_t  invsync_normalizer_shopify = {
    "shopify",
    invsync_shopify_normalize
};


static invsync_norm_rc_e
invsync_shopify_normalize(const invsync_envelope_t *ev, json_t **out,
    char *err, size_t len)
{
    char                            q[64];
    json_t                         *root, *e;
    invsync_norm_rc_e               rc;
    invsync_canon_src_t             s;
    const invsync_shopify_topic_t  *t;

    *out = NULL;

    for (t = invsync_shopify_topics; t->topic != NULL; t++) {
        if (ev->topic != NULL && strcmp(t->topic, ev->topic) == 0) {
            break;
        }
    }

    if (t->topic == NULL) {
        snprintf(err, len, "topic \"%s\" has no canonical event",
                 invsync_canon_quote(q, sizeof(q), ev->topic));
        return INVSYNC_NORM_IGNORE;
    }

    rc = invsync_canon_load(ev, &root, err, len);
    if (rc != INVSYNC_NORM_OK) {
        return rc;
    }

    invsync_canon_root(&s, root, err, len);

    switch (t->kind) {

    case INVSYNC_SHOPIFY_ORDER:
    case INVSYNC_SHOPIFY_CANCELLED:
        e = invsync_shopify_order(ev, &s,
                                  t->kind == INVSYNC_SHOPIFY_CANCELLED);
        break;

    case INVSYNC_SHOPIFY_REFUND:
        e = invsync_shopify_refund(ev, &s);
        break;

    case INVSYNC_SHOPIFY_FULFILLMENT:
        e = invsync_shopify_fulfillment(ev, &s);
        break;

    case INVSYNC_SHOPIFY_RETURN:
        e = invsync_shopify_return(ev, &s);
        break;

    case INVSYNC_SHOPIFY_TRANSIT:
        e = invsync_shopify_return_transit(ev, &s);
        break;

    case INVSYNC_SHOPIFY_DISPOSE:
        e = invsync_shopify_dispose(ev, &s);
        break;

    case INVSYNC_SHOPIFY_DISPOSE_READ:
        e = invsync_shopify_dispose_read(ev, &s);
        break;

    default: /* INVSYNC_SHOPIFY_INVENTORY */
        e = invsync_shopify_inventory(ev, &s);
        break;
    }

    json_decref(root);

    if (e == NULL) {
        return INVSYNC_NORM_POISON;
    }

    *out = e;

    return INVSYNC_NORM_OK;
}


/*
 * Cancellation is decided by the caller (topic, cancelled_at); then a full
 * refund, a complete fulfillment, captured money, an authorization.
 */
static const char *
invsync_shopify_status(const char *financial, const char *fulfillment)
{
    if (financial != NULL && strcmp(financial, "refunded") == 0) {
        return "refunded";
    }

    if (fulfillment != NULL && strcmp(fulfillment, "fulfilled") == 0) {
        return "completed";
    }

    if (financial == NULL || strcmp(financial, "authorized") == 0) {
        return "open";
    }

    if (strcmp(financial, "paid") == 0
        || strcmp(financial, "partially_refunded") == 0)
    {
        return "paid";
    }

    if (strcmp(financial, "pending") == 0
        || strcmp(financial, "partially_paid") == 0
        || strcmp(financial, "voided") == 0)
    {
        return "pending";
    }

    return "open";
}


static json_t *
invsync_shopify_order(const invsync_envelope_t *ev, invsync_canon_src_t *s,
    int cancelled)
{
    int          rc;
    json_t      *e;
    int64_t      total;
    const char  *cancelled_at, *financial, *fulfillment, *currency;

    if (invsync_canon_str(s, "cancelled_at", 0, &cancelled_at) < 0
        || invsync_canon_str(s, "financial_status", 0, &financial) < 0
        || invsync_canon_str(s, "fulfillment_status", 0, &fulfillment) < 0
        || invsync_canon_currency(s, "currency", INVSYNC_CANON_REQUIRED,
                                  &currency) < 0)
    {
        return NULL;
    }

    cancelled |= (cancelled_at != NULL);
    s->currency = currency;

    e = invsync_canon_new(ev, cancelled ? "order_cancelled" : "order",
                          s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    total = 0;
    rc = invsync_canon_money(s, "total_price", 0, &total);

    if (invsync_canon_set(s, e, "order_id",
                          invsync_canon_id(s, "id", INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "order_number",
                             invsync_canon_or(invsync_canon_string(s, "name",
                                                                   0),
                                              s, "order_number"))
        || invsync_canon_time(s, "created_at", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_time(s, "updated_at", INVSYNC_CANON_REQUIRED, e,
                              "updated_at", "updated_ms")
        || invsync_canon_set(s, e, "status",
                             json_string(cancelled ? "cancelled"
                                 : invsync_shopify_status(financial,
                                                          fulfillment)))
        || invsync_canon_set(s, e, "channel_status",
                             financial ? json_string(financial)
                                       : json_null())
        || invsync_canon_set(s, e, "currency", json_string(currency))
        || invsync_canon_set(s, e, "total_minor",
                             invsync_canon_number(rc, total))
        || invsync_canon_set(s, e, "shipped", json_false())
        /* what the customer chose: the title ("Express"), else the code */
        || invsync_canon_set(s, e, "shipping_method",
                             invsync_canon_first_of(s, "shipping_lines",
                                                    "title", "code"))
        || invsync_shopify_customer(s, e)
        || invsync_shopify_fulfilment(s, e)
        || invsync_shopify_lines(s, e)
        || invsync_shopify_payments(s, e)
        || invsync_shopify_order_refunds(s, e))
    {
        goto failed;
    }

    return e;

failed:

    json_decref(e);

    return NULL;
}


static int
invsync_shopify_customer(const invsync_canon_src_t *s, json_t *e)
{
    json_t               *c;
    invsync_canon_src_t   cust, bill, ship;

    if (invsync_canon_object(s, "customer", &cust) != 0
        || invsync_canon_object(s, "billing_address", &bill) != 0
        || invsync_canon_object(s, "shipping_address", &ship) != 0)
    {
        return -1;
    }

    c = json_object();
    if (invsync_canon_set(s, e, "customer", c) != 0) {
        return -1;
    }

    /* each getter's result goes straight into a set(), which owns it */
    if (invsync_canon_set(s, c, "email",
                          invsync_canon_or(invsync_canon_or(
                              invsync_canon_string(s, "email", 0),
                              s, "contact_email"), &cust, "email"))
        || invsync_canon_set(s, c, "name",
                             invsync_canon_or(
                                 invsync_canon_name(&cust, "first_name",
                                                    "last_name"),
                                 &bill, "name"))
        || invsync_canon_set(s, c, "phone",
                             invsync_canon_or(
                                 invsync_canon_string(s, "phone", 0),
                                 &cust, "phone"))
        || invsync_canon_set(s, e, "shipping_address",
                             invsync_canon_address(&ship,
                                                   invsync_shopify_address)))
    {
        return -1;
    }

    return 0;
}


/* taxes_included: the lines' prices hold their tax (tax_minor 0) */
static int
invsync_shopify_lines(const invsync_canon_src_t *s, json_t *e)
{
    int  inc;

    inc = 0;

    if (invsync_canon_bool(s, "taxes_included", 0, &inc) < 0) {
        return -1;
    }

    return invsync_canon_each(s, "line_items", e, "lines",
                              invsync_shopify_line, &inc);
}


static int
invsync_shopify_line(const invsync_canon_src_t *line, json_t *l, void *ctx)
{
    int       qrc, prc, trc;
    int64_t   quantity, price, tax;

    quantity = 0;
    tax = 0;
    trc = *(int *) ctx ? 1 : invsync_shopify_line_tax(line, &tax);
    qrc = invsync_canon_int(line, "quantity", INVSYNC_CANON_REQUIRED,
                            &quantity);
    price = 0;
    prc = (qrc < 0) ? -1 : invsync_canon_money(line, "price", 0, &price);

    return invsync_canon_set(line, l, "channel_line_id",
                             invsync_canon_id(line, "id",
                                              INVSYNC_CANON_REQUIRED))
           || invsync_canon_set(line, l, "sku",
                                invsync_canon_string(line, "sku", 0))
           || invsync_canon_set(line, l, "product_id",
                                invsync_canon_id(line, "product_id", 0))
           || invsync_canon_set(line, l, "variant_id",
                                invsync_canon_id(line, "variant_id", 0))
           || invsync_canon_set(line, l, "title",
                                invsync_canon_or(
                                    invsync_canon_string(line, "title", 0),
                                    line, "name"))
           || invsync_canon_set(line, l, "quantity",
                                invsync_canon_number(qrc, quantity))
           || invsync_canon_set(line, l, "price_minor",
                                invsync_canon_number(prc, price))
           || invsync_canon_set(line, l, "requires_shipping",
                                invsync_shopify_requires_shipping(line))
           || invsync_canon_set(line, l, "tax_minor",
                                invsync_canon_number(trc, tax))
           || invsync_shopify_refs(line, l) ? -1 : 0;
}


/*
 * The line's tax, all its units, which its price does not hold: its
 * tax_lines' prices added (each is that rate's tax of the whole line).
 * 1 read, 0 no tax_lines member (not known), -1 not readable.
 */
static int
invsync_shopify_line_tax(const invsync_canon_src_t *line, int64_t *tax)
{
    size_t               i, n;
    int64_t              v;
    invsync_canon_src_t  t;

    *tax = 0;

    if (json_object_get(line->obj, "tax_lines") == NULL) {
        return 0;
    }

    if (invsync_canon_array(line, "tax_lines", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = 0;

        if (invsync_canon_item(line, "tax_lines", i, &t) != 0
            || invsync_canon_money(&t, "price", 0, &v) < 0)
        {
            return -1;
        }

        *tax += v;
    }

    return 1;
}


/*
 * What the ledger matches a line by: its SKU text.  Shopify's mappings
 * name an inventory item, which order, refund and fulfilment lines do not
 * carry.
 */
int
invsync_shopify_refs(const invsync_canon_src_t *s, json_t *l)
{
    json_t  *refs;

    refs = json_array();

    if (invsync_canon_set(s, l, "refs", refs) != 0) {
        return -1;
    }

    return invsync_canon_ref(s, refs, "sku", json_object_get(l, "sku"));
}


static json_t *
invsync_shopify_fulfillment(const invsync_envelope_t *ev,
    invsync_canon_src_t *s)
{
    int                   qrc;
    size_t                i, n;
    json_t               *e, *lines, *l;
    int64_t               quantity;
    invsync_canon_src_t   line;

    e = invsync_canon_new(ev, "fulfillment", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    if (invsync_canon_set(s, e, "order_id",
                          invsync_canon_id(s, "order_id",
                                           INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "fulfillment_id",
                             invsync_canon_id(s, "id",
                                              INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "status",
                             invsync_canon_string(s, "status", 0))
        || invsync_canon_set(s, e, "location_id",
                             invsync_canon_id(s, "location_id", 0))
        || invsync_canon_time(s, "created_at", 0, e, "created_at",
                              "created_ms")
        || invsync_canon_time(s, "updated_at", 0, e, "updated_at",
                              "updated_ms")
        || invsync_canon_set(s, e, "tracking", invsync_shopify_tracking(s))
        || invsync_canon_array(s, "line_items", &n))
    {
        goto failed;
    }

    lines = json_array();
    if (invsync_canon_set(s, e, "lines", lines) != 0) {
        goto failed;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "line_items", i, &line) != 0) {
            goto failed;
        }

        l = json_object();
        if (invsync_canon_append(s, lines, l) != 0) {
            goto failed;
        }

        quantity = 0;
        qrc = invsync_canon_int(&line, "quantity", INVSYNC_CANON_REQUIRED,
                                &quantity);

        if (invsync_canon_set(s, l, "channel_line_id",
                              invsync_canon_id(&line, "id",
                                               INVSYNC_CANON_REQUIRED))
            || invsync_canon_set(s, l, "sku",
                                 invsync_canon_string(&line, "sku", 0))
            || invsync_canon_set(s, l, "quantity",
                                 invsync_canon_number(qrc, quantity))
            || invsync_shopify_refs(s, l))
        {
            goto failed;
        }
    }

    return e;

failed:

    json_decref(e);

    return NULL;
}


/* tracking_number(s) and tracking_url(s): the single one, else the first */
static json_t *
invsync_shopify_tracking(const invsync_canon_src_t *s)
{
    json_t  *t;

    t = json_object();

    if (invsync_canon_set(s, t, "company",
                          invsync_canon_string(s, "tracking_company", 0))
        || invsync_canon_set(s, t, "number",
                             invsync_shopify_first(s, "tracking_number"))
        || invsync_canon_set(s, t, "url",
                             invsync_shopify_first(s, "tracking_url")))
    {
        json_decref(t);
        return NULL;
    }

    if (json_is_null(json_object_get(t, "company"))
        && json_is_null(json_object_get(t, "number"))
        && json_is_null(json_object_get(t, "url")))
    {
        json_decref(t);
        return json_null();
    }

    return t;
}


static json_t *
invsync_shopify_first(const invsync_canon_src_t *s, const char *key)
{
    char     plural[32];
    size_t   n;
    json_t  *v;

    v = invsync_canon_string(s, key, 0);
    if (v == NULL || !json_is_null(v)) {
        return v;
    }

    json_decref(v);

    snprintf(plural, sizeof(plural), "%ss", key);

    if (invsync_canon_array(s, plural, &n) != 0) {
        return NULL;
    }

    if (n == 0) {
        return json_null();
    }

    v = json_array_get(json_object_get(s->obj, plural), 0);

    if (!json_is_string(v)) {
        snprintf(plural, sizeof(plural), "%ss[0]", key);
        invsync_canon_fail(s, plural, "not a string");
        return NULL;
    }

    return json_string_length(v) ? json_stringn(json_string_value(v),
                                                json_string_length(v))
                                 : json_null();
}


static json_t *
invsync_shopify_inventory(const invsync_envelope_t *ev,
    invsync_canon_src_t *s)
{
    int       rc;
    json_t   *e, *refs;
    int64_t   available;

    e = invsync_canon_new(ev, "inventory_level", s->err, s->len);
    if (e == NULL) {
        return NULL;
    }

    /* an untracked item has no count: null, not 0 */
    available = 0;
    rc = invsync_canon_int(s, "available", INVSYNC_CANON_SIGNED, &available);

    if (invsync_canon_set(s, e, "inventory_item_id",
                          invsync_canon_id(s, "inventory_item_id",
                                           INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "location_id",
                             invsync_canon_id(s, "location_id",
                                              INVSYNC_CANON_REQUIRED))
        || invsync_canon_set(s, e, "available",
                             invsync_canon_number(rc, available))
        || invsync_canon_time(s, "updated_at", INVSYNC_CANON_REQUIRED, e,
                              "updated_at", "updated_ms"))
    {
        goto failed;
    }

    /* the ledger matches a level by its inventory item */
    refs = json_array();

    if (invsync_canon_set(s, e, "refs", refs) != 0
        || invsync_canon_ref(s, refs, "item",
                             json_object_get(e, "inventory_item_id")))
    {
        goto failed;
    }

    return e;

failed:

    json_decref(e);

    return NULL;
}
