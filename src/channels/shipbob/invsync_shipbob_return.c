
/*
 * ShipBob's return.completed webhook (its body: the return order, as
 * GET /return/{id} gives it: id, reference_id, status, original_shipment_id,
 * store_order_id, completed_date, and inventory[] with quantity and the
 * actions taken, each with quantity_processed) as a canonical
 * "return_receipt" (docs/events.md): which RMA (the reference_id the
 * merchant gave the return: the RMA id), the receipt (ShipBob's return
 * id), and per item the SKU and the condition its action means.  What is
 * ShipBob's and what was chosen: docs/channels/shipbob.md, "Returns".
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shipbob.h"


static int invsync_shipbob_return_item(invsync_canon_src_t *it,
    json_t *lines);
static const char *invsync_shipbob_condition(const char *action);


json_t *
invsync_shipbob_return(const invsync_envelope_t *ev, invsync_canon_src_t *s)
{
    size_t                i, n;
    json_t               *e, *lines;
    const char           *status;
    invsync_canon_src_t   it;

    e = invsync_canon_new(ev, "return_receipt", s->err, s->len);
    lines = json_array();

    if (e == NULL || lines == NULL
        || invsync_canon_set(s, e, "rma", invsync_canon_string(s,
                             "reference_id", INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "receipt", invsync_canon_id(s, "id",
                             INVSYNC_CANON_REQUIRED)) != 0
        || invsync_canon_set(s, e, "provider_shipment", invsync_canon_id(s,
                             "original_shipment_id", 0)) != 0
        || invsync_canon_set(s, e, "store_order_id", invsync_canon_string(s,
                             "store_order_id", 0)) != 0
        || invsync_canon_set(s, e, "received_at", invsync_canon_string(s,
                             "completed_date", 0)) != 0
        || invsync_canon_str(s, "status", INVSYNC_CANON_REQUIRED,
                             &status) < 0
        || invsync_canon_set(s, e, "status", json_string(status)) != 0
        || invsync_canon_array(s, "inventory", &n) != 0)
    {
        json_decref(lines);
        json_decref(e);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, "inventory", i, &it) != 0
            || invsync_shipbob_return_item(&it, lines) != 0)
        {
            json_decref(lines);
            json_decref(e);
            return NULL;
        }
    }

    /* a return not yet Completed has no receipt to apply */
    if (invsync_canon_set(s, e, "completed", json_boolean(strcmp(status,
                          "Completed") == 0)) != 0
        || invsync_canon_set(s, e, "lines", lines) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


/*
 * One returned item: a line per action taken (its quantity_processed, in
 * the condition the action means; its id "<item id>:<n>", the action's
 * place), and the units not processed, missing ("<item id>:missing").
 * ShipBob names the item by its inventory id (and the product's name),
 * not by the reference_id invsync sent: each line's refs are
 * ["inventory:<id>"], which the worker maps to the ledger SKU our order's
 * products paired with it (skuref, kept from ShipBob's order answers,
 * invsync_shipbob_orders.c).  "sku": the item's reference_id or sku when
 * it has one [U], else its name (a product ShipBob created from our
 * order is named by its SKU), for an item no order of ours paired.
 */
static int
invsync_shipbob_return_item(invsync_canon_src_t *it, json_t *lines)
{
    char                  q[64], id[96], ref[96];
    size_t                k, n;
    json_t               *sku, *item;
    int64_t               qty, done, p;
    const char           *action;
    invsync_canon_src_t   a;

    sku = invsync_canon_or(invsync_canon_or(
              invsync_canon_string(it, "reference_id", 0), it, "sku"), it,
              "name");

    if (sku == NULL || !json_is_string(sku)) {
        json_decref(sku);
        return invsync_canon_fail(it, "name", "missing: the item's SKU");
    }

    item = invsync_canon_id(it, "id", INVSYNC_CANON_REQUIRED);

    if (item == NULL
        || invsync_canon_int(it, "quantity", INVSYNC_CANON_REQUIRED, &qty) < 0
        || invsync_canon_array(it, "action_taken", &n) != 0)
    {
        json_decref(item);
        json_decref(sku);
        return -1;
    }

    snprintf(ref, sizeof(ref), "inventory:%s", json_string_value(item));

    done = 0;

    for (k = 0; k < n; k++) {
        p = 0;

        if (invsync_canon_item(it, "action_taken", k, &a) != 0
            || invsync_canon_str(&a, "action", INVSYNC_CANON_REQUIRED,
                                 &action) < 0
            || invsync_canon_int(&a, "quantity_processed",
                                 INVSYNC_CANON_REQUIRED, &p) < 0)
        {
            json_decref(item);
            json_decref(sku);
            return -1;
        }

        if (invsync_shipbob_condition(action) == NULL) {
            json_decref(item);
            json_decref(sku);
            return invsync_canon_fail(&a, "action", "\"%s\" is not Default, "
                                      "Restock, Quarantine or Dispose",
                                      invsync_canon_quote(q, sizeof(q),
                                                          action));
        }

        if (p > 0) {
            done += p;
            snprintf(id, sizeof(id), "%s:%zu", json_string_value(item), k);
            json_array_append_new(lines, json_pack("{s:s, s:O, s:[s], s:I, "
                "s:s, s:s}", "channel_line_id", id, "sku", sku, "refs", ref,
                "quantity", (json_int_t) p, "condition",
                invsync_shipbob_condition(action), "action", action));
        }
    }

    if (qty > done) {
        snprintf(id, sizeof(id), "%s:missing", json_string_value(item));
        json_array_append_new(lines, json_pack("{s:s, s:O, s:[s], s:I, "
                              "s:s}", "channel_line_id", id, "sku", sku,
                              "refs", ref, "quantity",
                              (json_int_t) (qty - done), "condition",
                              "missing"));
    }

    json_decref(item);
    json_decref(sku);

    return 0;
}


/* an action's meaning for the restock rules (docs/channels/shipbob.md) */
static const char *
invsync_shipbob_condition(const char *action)
{
    if (strcmp(action, "Restock") == 0 || strcmp(action, "Default") == 0) {
        return "resellable";
    }

    if (strcmp(action, "Quarantine") == 0 || strcmp(action, "Dispose") == 0)
    {
        return "damaged";
    }

    return NULL;
}
