
/*
 * Tracking back to Shopify (channels.md section 2.6), three steps: LOOK
 * reads the order's fulfillment orders and fulfillments; a fulfillment
 * with the shipment's tracking number means it was told already (a retry,
 * or an answer lost): DONE.  Otherwise the fulfillment orders holding the
 * shipment's lines are found; one Shopify assigned to another location
 * than the one invsync shipped from (options.locations maps ledger
 * locations to Shopify's) is moved there (MOVE, whose answer has both
 * fulfillment orders as LOOK reads them: a move may make a new one, and
 * the plan is made again from it), and CREATE fulfils those lines with
 * the tracking.  fulfillmentCreate has no idempotency key: looking first
 * is what keeps a retry from fulfilling twice.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_shopify.h"


static json_t *invsync_shopify_track_plan(const invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, json_t *order);
static int invsync_shopify_track_take(const invsync_shipment_line_t *ln,
    json_t *fos, json_t *plan, json_t **locs);
static const char *invsync_shopify_track_found(const invsync_shipment_t *s,
    json_t *order);
static int invsync_shopify_track_moved(json_t *order, json_t *id,
    json_t *res);
static int invsync_shopify_track_location(const invsync_channel_ctx_t *ctx,
    const char *location, char *buf, size_t cap);
static json_t *invsync_shopify_track_info(const invsync_shipment_t *s);
static invsync_channel_rc_e invsync_shopify_track_refused(
    invsync_shipment_t *s, json_t *doc, const char *op, json_t *errors);


/* EasyPost's carrier names (and Shopify's own) as Shopify spells them:
 * exactly, capitals included, or it makes no tracking link */
static const char  *invsync_shopify_carriers[][2] = {
    { "UPS",         "UPS" },
    { "USPS",        "USPS" },
    { "FedEx",       "FedEx" },
    { "DHLExpress",  "DHL Express" },
    { "DHL Express", "DHL Express" },
    { "CanadaPost",  "Canada Post" },
    { "Canada Post", "Canada Post" },
    { "RoyalMail",   "Royal Mail" },
    { "Royal Mail",  "Royal Mail" },
    { "DPD",         "DPD" },
    { "DPDUK",       "DPD" },
    { NULL, NULL }
};


/*
 * The calculated cost of the look is about 5 x (2 + 50 x 2) + 20 = 530 of
 * the 1000 a query may cost: an order with more than 5 fulfillment orders
 * or 50 lines on one has the rest unread, and a shipment of those lines
 * is refused ("less left to fulfil than shipped").
 */
#define INVSYNC_SHOPIFY_FO                                                   \
    "id status assignedLocation { location { id } } "                        \
    "lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } }"

#define INVSYNC_SHOPIFY_LOOK                                                 \
    "query Look($id: ID!) { order(id: $id) { id "                            \
    "fulfillmentOrders(first: 5) { nodes { " INVSYNC_SHOPIFY_FO " } } "      \
    "fulfillments(first: 20) { id trackingInfo { company number url } } } }"

/* the move answers both fulfillment orders as LOOK reads them: the plan
 * is made again from them, without a second LOOK */
#define INVSYNC_SHOPIFY_MOVE                                                 \
    "mutation Move($id: ID!, $to: ID!) { fulfillmentOrderMove(id: $id, "     \
    "newLocationId: $to) { movedFulfillmentOrder { " INVSYNC_SHOPIFY_FO      \
    " } originalFulfillmentOrder { " INVSYNC_SHOPIFY_FO " } "                \
    "userErrors { field message } } }"

#define INVSYNC_SHOPIFY_CREATE                                               \
    "mutation Ship($fulfillment: FulfillmentInput!) { "                      \
    "fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id "       \
    "status trackingInfo { company number url } } "                          \
    "userErrors { field message } } }"


int
invsync_shopify_track_build(const invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, invsync_request_t *rq)
{
    json_t  *doc, *vars;

    rq->method = "POST";

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SHOPIFY_GRAPHQL) != 0) {
        snprintf(s->err, sizeof(s->err), "the request URL is too long");
        return -1;
    }

    switch (s->step) {

    case INVSYNC_TRACK_LOOK:
        vars = json_pack("{s:s+}", "id", "gid://shopify/Order/",
                         s->order_id);
        doc = json_pack("{s:s, s:o}", "query", INVSYNC_SHOPIFY_LOOK,
                        "variables", vars);
        break;

    case INVSYNC_TRACK_MOVE:
        doc = json_pack("{s:s, s:O}", "query", INVSYNC_SHOPIFY_MOVE,
                        "variables", json_object_get(s->found, "move"));
        break;

    case INVSYNC_TRACK_CREATE:
        vars = json_pack("{s:{s:O, s:o, s:b}}", "fulfillment",
                         "lineItemsByFulfillmentOrder",
                         json_object_get(s->found, "create"),
                         "trackingInfo", invsync_shopify_track_info(s),
                         "notifyCustomer", 1);
        doc = json_pack("{s:s, s:o}", "query", INVSYNC_SHOPIFY_CREATE,
                        "variables", vars);
        break;

    default:
        doc = NULL;
    }

    if (doc == NULL || invsync_request_json(rq, doc) != 0) {
        snprintf(s->err, sizeof(s->err), "no request for step %d",
                 (int) s->step);
        return -1;
    }

    return 0;
}


invsync_channel_rc_e
invsync_shopify_track_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_shipment_t *s, int64_t *delay_ms)
{
    json_t      *doc, *data, *res, *v, *order;
    const char  *ref;

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
    data = json_object_get(doc, "data");

    if (s->step == INVSYNC_TRACK_LOOK) {
        res = json_object_get(data, "order");

        if (!json_is_object(res)) {
            snprintf(s->err, sizeof(s->err), "Shopify has no order %s",
                     s->order_id);
            s->step = INVSYNC_TRACK_REFUSED;

        } else if ((ref = invsync_shopify_track_found(s, res)) != NULL) {
            snprintf(s->ref, sizeof(s->ref), "%s", ref);
            s->step = INVSYNC_TRACK_DONE;

        } else {
            json_decref(s->found);
            s->found = invsync_shopify_track_plan(ctx, s, res);
        }

        json_decref(doc);
        return INVSYNC_CH_DONE;
    }

    if (s->step == INVSYNC_TRACK_MOVE) {
        res = json_object_get(data, "fulfillmentOrderMove");

        if (json_array_size(json_object_get(res, "userErrors")) > 0
            || !json_is_object(res))
        {
            return invsync_shopify_track_refused(s, doc, "fulfillmentOrderMove",
                       json_object_get(res, "userErrors"));
        }

        /* the fulfillment order may have a new id now: the plan again
         * from what the move answered, or from a new LOOK when it
         * answered less */
        order = json_incref(json_object_get(s->found, "order"));

        if (invsync_shopify_track_moved(order, json_object_get(
                json_object_get(s->found, "move"), "id"), res) == 0)
        {
            json_decref(s->found);
            s->found = invsync_shopify_track_plan(ctx, s, order);

        } else {
            s->step = INVSYNC_TRACK_LOOK;
        }

        json_decref(order);
        json_decref(doc);
        return INVSYNC_CH_DONE;
    }

    res = json_object_get(data, "fulfillmentCreate");
    v = json_object_get(json_object_get(res, "fulfillment"), "id");

    if (json_array_size(json_object_get(res, "userErrors")) > 0
        || json_string_value(v) == NULL)
    {
        return invsync_shopify_track_refused(s, doc, "fulfillmentCreate",
                                             json_object_get(res,
                                                             "userErrors"));
    }

    snprintf(s->ref, sizeof(s->ref), "%s", json_string_value(v));
    s->step = INVSYNC_TRACK_DONE;
    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/*
 * What LOOK found, as the move left it: in order's fulfillment orders the
 * one moved (id) is replaced by the move's answer, the original (when the
 * move split it) and the moved one.  0, or -1 when the answer lacks
 * either (or their line items): LOOK again.
 */

static int
invsync_shopify_track_moved(json_t *order, json_t *id, json_t *res)
{
    size_t   i;
    json_t  *nodes, *moved, *orig, *out, *fo, *fid;

    nodes = json_object_get(json_object_get(order, "fulfillmentOrders"),
                            "nodes");
    moved = json_object_get(res, "movedFulfillmentOrder");
    orig = json_object_get(res, "originalFulfillmentOrder");

    if (!json_is_array(nodes) || !json_is_string(id)
        || json_object_get(moved, "lineItems") == NULL
        || json_object_get(orig, "lineItems") == NULL)
    {
        return -1;
    }

    out = json_array();

    json_array_foreach(nodes, i, fo) {
        fid = json_object_get(fo, "id");

        if (json_equal(fid, id)) {
            if (!json_equal(json_object_get(orig, "id"),
                            json_object_get(moved, "id")))
            {
                json_array_append(out, orig);
            }

            json_array_append(out, moved);

        } else if (!json_equal(fid, json_object_get(moved, "id"))) {
            json_array_append(out, fo);
        }
    }

    json_object_set_new(json_object_get(order, "fulfillmentOrders"),
                        "nodes", out);

    return 0;
}


/*
 * The fulfillment already made for this shipment: one whose tracking has
 * its number.  A shipment without a number cannot be told from another
 * fulfillment by it; the plan's look at the remaining quantities decides.
 */

static const char *
invsync_shopify_track_found(const invsync_shipment_t *s, json_t *order)
{
    size_t       i, j;
    json_t      *f, *ti;
    const char  *n;

    if (s->tracking[0] == '\0') {
        return NULL;
    }

    json_array_foreach(json_object_get(order, "fulfillments"), i, f) {
        json_array_foreach(json_object_get(f, "trackingInfo"), j, ti) {
            n = json_string_value(json_object_get(ti, "number"));

            if (n != NULL && strcmp(n, s->tracking) == 0) {
                return json_string_value(json_object_get(f, "id"));
            }
        }
    }

    return NULL;
}


/*
 * What LOOK makes of the fulfillment orders: the shipment's lines taken
 * from the open ones that hold them, then MOVE for the first at another
 * location than ours, else CREATE.  Sets s->step; returns the notes.
 */

static json_t *
invsync_shopify_track_plan(const invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, json_t *order)
{
    int          left;
    char         to[32], at[32];
    size_t       i, n;
    json_t      *fos, *plan, *locs, *fo, *fs;
    const char  *key, *ref;

    fos = json_object_get(json_object_get(order, "fulfillmentOrders"),
                          "nodes");
    plan = json_array();
    locs = json_object();
    left = 0;

    for (i = 0; i < s->nlines; i++) {
        left += invsync_shopify_track_take(&s->lines[i], fos, plan, &locs);
    }

    n = json_array_size(plan);
    fs = json_object_get(order, "fulfillments");

    if (n == 0 && s->tracking[0] == '\0' && json_array_size(fs) > 0) {
        /* nothing left to fulfil, no number to tell ours by: the last
         * fulfillment is taken as ours (an answer lost after creating) */
        ref = json_string_value(json_object_get(json_array_get(fs,
                  json_array_size(fs) - 1), "id"));
        snprintf(s->ref, sizeof(s->ref), "%s", ref != NULL ? ref : "");
        s->step = INVSYNC_TRACK_DONE;

    } else if (n == 0) {
        snprintf(s->err, sizeof(s->err), "Shopify has nothing of the "
                 "shipment's lines left to fulfil");
        s->step = INVSYNC_TRACK_REFUSED;

    } else if (left > 0) {
        snprintf(s->err, sizeof(s->err), "Shopify has less of %d of the "
                 "shipment's lines left to fulfil than shipped", left);
        s->step = INVSYNC_TRACK_REFUSED;

    } else if (invsync_shopify_track_location(ctx, s->location, to,
                                              sizeof(to)) == 1)
    {
        s->step = INVSYNC_TRACK_CREATE;

        json_object_foreach(locs, key, fo) {
            if (!invsync_id_digits(json_object_get(fo, "at"), at,
                                   sizeof(at))
                || strcmp(at, to) != 0)
            {
                json_decref(plan);
                plan = json_pack("{s:{s:s, s:s+}, s:O}", "move", "id", key,
                                 "to", "gid://shopify/Location/", to,
                                 "order", order);
                s->step = INVSYNC_TRACK_MOVE;
                json_decref(locs);
                return plan;
            }
        }

    } else if (json_object_size(locs) > 1) {
        snprintf(s->err, sizeof(s->err), "the lines are at %zu Shopify "
                 "locations and location \"%s\" is not mapped to one "
                 "(options.locations)", json_object_size(locs), s->location);
        s->step = INVSYNC_TRACK_REFUSED;

    } else {
        s->step = INVSYNC_TRACK_CREATE;
    }

    json_decref(locs);

    if (s->step != INVSYNC_TRACK_CREATE) {
        json_decref(plan);
        return NULL;
    }

    return json_pack("{s:o}", "create", plan);
}


/*
 * One shipment line from the open fulfillment orders holding its order
 * line: their line items (id and quantity) into plan, grouped by
 * fulfillment order, each order's location into locs.  Returns how many
 * of the line could not be placed.
 */

static int
invsync_shopify_track_take(const invsync_shipment_line_t *ln, json_t *fos,
    json_t *plan, json_t **locs)
{
    char         id[32];
    size_t       i, j, k;
    int64_t      need, rem, q;
    json_t      *fo, *li, *g, *items;
    const char  *st, *foid;

    need = ln->qty;

    json_array_foreach(fos, i, fo) {
        st = json_string_value(json_object_get(fo, "status"));
        foid = json_string_value(json_object_get(fo, "id"));

        if (need <= 0 || st == NULL || foid == NULL
            || (strcmp(st, "OPEN") != 0 && strcmp(st, "IN_PROGRESS") != 0))
        {
            continue;
        }

        json_array_foreach(json_object_get(json_object_get(fo, "lineItems"),
                                           "nodes"), j, li)
        {
            rem = json_integer_value(json_object_get(li,
                                                     "remainingQuantity"));

            if (need <= 0 || rem <= 0
                || !invsync_id_digits(json_object_get(json_object_get(li,
                                      "lineItem"), "id"), id, sizeof(id))
                || strcmp(id, ln->line_id) != 0)
            {
                continue;
            }

            q = rem < need ? rem : need;
            need -= q;

            items = NULL;
            json_array_foreach(plan, k, g) {
                if (json_equal(json_object_get(g, "fulfillmentOrderId"),
                               json_object_get(fo, "id")))
                {
                    items = json_object_get(g, "fulfillmentOrderLineItems");
                }
            }

            if (items == NULL) {
                items = json_array();
                json_array_append_new(plan, json_pack("{s:s, s:o}",
                    "fulfillmentOrderId", foid,
                    "fulfillmentOrderLineItems", items));
                json_object_set_new(*locs, foid, json_pack("{s:O?}", "at",
                    json_object_get(json_object_get(json_object_get(fo,
                        "assignedLocation"), "location"), "id")));
            }

            json_array_append_new(items, json_pack("{s:O, s:I}", "id",
                                  json_object_get(li, "id"), "quantity",
                                  (json_int_t) q));
        }
    }

    return need > 0;
}


/* options.locations[location] as digits: 1, or 0 when it is not mapped */

static int
invsync_shopify_track_location(const invsync_channel_ctx_t *ctx,
    const char *location, char *buf, size_t cap)
{
    json_t  *map;

    map = json_object_get(ctx->conf->options, "locations");

    return invsync_id_digits(json_object_get(map, location), buf, cap);
}


/* a carrier Shopify knows by its name, else the name with the link */

static json_t *
invsync_shopify_track_info(const invsync_shipment_t *s)
{
    size_t   i;
    json_t  *ti;

    ti = json_object();

    for (i = 0; invsync_shopify_carriers[i][0] != NULL; i++) {
        if (strcmp(invsync_shopify_carriers[i][0], s->carrier) == 0) {
            break;
        }
    }

    if (invsync_shopify_carriers[i][0] != NULL) {
        json_object_set_new(ti, "company",
                            json_string(invsync_shopify_carriers[i][1]));

    } else {
        if (s->carrier[0] != '\0') {
            json_object_set_new(ti, "company", json_string(s->carrier));
        }

        if (s->tracking_url[0] != '\0') {
            json_object_set_new(ti, "url", json_string(s->tracking_url));
        }
    }

    if (s->tracking[0] != '\0') {
        json_object_set_new(ti, "number", json_string(s->tracking));
    }

    return ti;
}


static invsync_channel_rc_e
invsync_shopify_track_refused(invsync_shipment_t *s, json_t *doc,
    const char *op, json_t *errors)
{
    const char  *m;

    m = json_string_value(json_object_get(json_array_get(errors, 0),
                                          "message"));
    snprintf(s->err, sizeof(s->err), "%s: %s", op,
             m != NULL ? m : "no result and no error");
    invsync_channel_text(s->err);     /* the channel's words: printable */
    s->step = INVSYNC_TRACK_REFUSED;
    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/*
 * options: "locations", an object: a ledger location (worker.json
 * locations[].id) -> the Shopify location id invsync ships it from as
 * (a number, its digits, or a gid://shopify/Location/ id).
 */

int
invsync_shopify_check_options(const invsync_channel_conf_t *cc, char *err,
    size_t len)
{
    char         buf[32];
    json_t      *v, *loc;
    const char  *key, *l;

    json_object_foreach(cc->options, key, v) {
        if (strcmp(key, "locations") != 0) {
            snprintf(err, len, "unknown option \"%s\" (known: locations)",
                     key);
            return -1;
        }

        if (!json_is_object(v)) {
            snprintf(err, len, "\"locations\" must be an object: a ledger "
                     "location -> its Shopify location id");
            return -1;
        }

        json_object_foreach(v, l, loc) {
            if (!invsync_id_digits(loc, buf, sizeof(buf))) {
                snprintf(err, len, "\"locations\".\"%s\" is not a Shopify "
                         "location id", l);
                return -1;
            }
        }
    }

    return 0;
}
