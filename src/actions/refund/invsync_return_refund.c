
/*
 * The refund a receipt owes (worker.json returns.refund_on "receipt",
 * docs/returns.md "RMA"): the received lines the rules put back on hand
 * (resellable; opened when "opened" says resellable), each at the order
 * line's unit price and its units' share of the line's tax (as the
 * channel's refund is made), recorded on the RMA; and the one place that asks
 * the channel to make it, invsync_return_refund_out(), by the contract
 * with the channel-refund step (invsync_refund_out_open(), cause
 * "rma:<rma>:<receipt>").
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refund/invsync_journal_lines.h"
#include "refund/invsync_return_int.h"
#include "invsync_refund_out.h"


static json_int_t invsync_return_due_line(json_t *rma, json_t *out,
    json_t *l, json_t *rl, json_int_t qty, const char **cur);
static json_int_t invsync_return_tax_share(json_t *rl, json_int_t before,
    json_int_t qty);
static json_int_t invsync_return_due_before(json_t *rma, json_t *out,
    json_t *rl, const char *sku);
static int invsync_return_same(json_t *l, const char *id, const char *sku);


/*
 * lines: the receipt's decided lines; NULL: the due recorded before for
 * receipt rid (its refund_due entry), for asking again.  NULL when
 * nothing is due.
 */
json_t *
invsync_return_refund_due(json_t *rma, const char *rid, json_t *lines)
{
    char                     cause[512];
    size_t                   i, k, np;
    json_t                  *due, *out, *l, *rlines;
    int64_t                 *taken;
    json_int_t               total, qty;
    const char              *cur;
    invsync_return_piece_t  *pieces;

    if (lines == NULL) {
        json_array_foreach(json_object_get(rma, "refund_due"), i, due) {
            if (strcmp(invsync_action_str(due, "receipt"), rid) == 0) {
                return json_incref(due);
            }
        }
        return NULL;
    }

    rlines = json_object_get(rma, "lines");
    taken = invsync_return_taken(rlines);
    pieces = calloc(json_array_size(rlines) + 1, sizeof(*pieces));

    if (taken == NULL || pieces == NULL) {
        free(taken);
        free(pieces);
        return NULL;
    }

    out = json_array();
    total = 0;
    cur = "";

    /* every line that took units in fills the RMA's lines as
     * return_step.lua fills them; those put back on hand are due, each
     * piece at its own line's price and tax */
    json_array_foreach(lines, i, l) {
        if (json_is_true(json_object_get(l, "not_shipped"))) {
            continue;
        }

        qty = invsync_action_int(l, "qty", 0);
        np = invsync_return_fill(rlines, taken, invsync_action_str(l, "sku"),
                                 invsync_action_str(l, "line_id"), qty,
                                 pieces);

        if (!json_is_true(json_object_get(l, "restock"))
            || strcmp(invsync_action_str(l, "bucket"), "on_hand") != 0)
        {
            continue;
        }

        /* a SKU that is none of the RMA's lines: due at no price */
        if (np == 0) {
            total += invsync_return_due_line(rma, out, l, NULL, qty, &cur);
        }

        for (k = 0; k < np; k++) {
            total += invsync_return_due_line(rma, out, l,
                                             json_array_get(rlines,
                                                            pieces[k].line),
                                             pieces[k].qty, &cur);
        }
    }

    free(taken);
    free(pieces);

    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }

    snprintf(cause, sizeof(cause), "rma:%s:%s", invsync_action_str(rma, "id"),
             rid);

    return json_pack("{s:s, s:s, s:o, s:I, s:s, s:s}", "receipt", rid,
                     "cause", cause, "lines", out, "amount_minor", total,
                     "currency", cur, "state", "due");
}


/*
 * The channel's refund of a receipt's due (invsync_refund_out_open(),
 * src/runtime/invsync_refund_out.h): cause "rma:<rma>:<receipt>", the
 * order's channel and id, the due lines {sku, line ref, quantity}, no
 * shipping, the RMA's reason.  Opened once per cause, so asking again
 * (a receipt delivered twice) opens nothing new; 0 asked, -1 error.
 */
int
invsync_return_refund_out(invsync_worker_t *w, json_t *rma, json_t *due,
    char *err, size_t len)
{
    size_t                      i, n;
    json_t                     *l;
    const char                 *reason, *cur;
    invsync_refund_out_t        req;
    invsync_refund_out_line_t   lines[INVSYNC_REFUND_OUT_LINES];

    n = 0;
    json_array_foreach(json_object_get(due, "lines"), i, l) {
        if (n == INVSYNC_REFUND_OUT_LINES) {
            snprintf(err, len, "more than %d lines due",
                     INVSYNC_REFUND_OUT_LINES);
            return -1;
        }

        lines[n].sku = invsync_action_str(l, "sku");
        lines[n].line_ref = json_string_value(json_object_get(l, "line_id"));
        lines[n].quantity = invsync_action_int(l, "qty", 0);
        n++;
    }

    reason = invsync_action_str(rma, "reason");
    cur = invsync_action_str(due, "currency");

    memset(&req, 0, sizeof(req));
    req.channel = invsync_action_str(rma, "channel");
    req.order_id = invsync_action_str(rma, "order_id");
    req.cause = invsync_action_str(due, "cause");
    req.lines = lines;
    req.nlines = n;
    req.currency = cur[0] ? cur : NULL;
    req.reason = reason[0] ? reason : "return received";

    return invsync_refund_out_open(w, &req, err, len) < 0 ? -1 : 0;
}


/*
 * The tax of qty units of the order line, after before units of it were
 * due: the line's tax split as the journal splits it (whole minor units,
 * the largest remainder method) between the units due so far and the
 * rest, taken as a difference, so that all of a line's units returned
 * across receipts are due its whole tax, never a unit more.  0 when the
 * order's line carries no tax (or its price holds it, docs/events.md).
 */
static json_int_t
invsync_return_tax_share(json_t *rl, json_int_t before, json_int_t qty)
{
    json_int_t  tax, of, w[2], upto[2], prior[2];

    tax = invsync_action_int(rl, "line_tax_minor", 0);
    of = invsync_action_int(rl, "line_qty", 0);

    if (tax <= 0 || of <= 0 || qty <= 0) {
        return 0;
    }

    before = before < of ? before : of;
    qty = before + qty < of ? qty : of - before;

    w[0] = before;
    w[1] = of - before;
    invsync_journal_split(tax, w, 2, prior);
    w[0] = before + qty;
    w[1] = of - before - qty;
    invsync_journal_split(tax, w, 2, upto);

    return upto[0] - prior[0];
}


/*
 * The due of qty units of the receipt's line l on RMA line rl (NULL: a
 * SKU the RMA has no line of, due at no price), appended to out: their
 * price and their share of the order line's tax.  Its amount.
 */
static json_int_t
invsync_return_due_line(json_t *rma, json_t *out, json_t *l, json_t *rl,
    json_int_t qty, const char **cur)
{
    json_int_t   price, tax;
    const char  *sku;

    sku = invsync_action_str(l, "sku");
    price = invsync_action_int(rl, "price_minor", 0);
    tax = invsync_return_tax_share(rl,
              invsync_return_due_before(rma, out, rl, sku), qty);

    if (rl != NULL || (*cur)[0] == '\0') {
        *cur = invsync_action_str(rl, "currency");
    }

    json_array_append_new(out, json_pack("{s:s, s:s*, s:I, s:I, s:I}",
        "sku", sku, "line_id",
        json_string_value(json_object_get(rl, "line_id")), "qty", qty,
        "tax_minor", tax, "amount_minor", qty * price + tax));

    return qty * price + tax;
}


/*
 * Units of rl's order line due before: on the RMA's other receipts and
 * on the lines of this one so far (out), by its line id (of two order
 * lines of one SKU, each its own tax share), else, for an order whose
 * lines carry no id, by the SKU
 */
static json_int_t
invsync_return_due_before(json_t *rma, json_t *out, json_t *rl,
    const char *sku)
{
    size_t       i, j;
    json_t      *due, *l;
    json_int_t   n;
    const char  *id;

    n = 0;
    id = json_string_value(json_object_get(rl, "line_id"));

    json_array_foreach(json_object_get(rma, "refund_due"), i, due) {
        json_array_foreach(json_object_get(due, "lines"), j, l) {
            if (invsync_return_same(l, id, sku)) {
                n += invsync_action_int(l, "qty", 0);
            }
        }
    }

    json_array_foreach(out, j, l) {
        if (invsync_return_same(l, id, sku)) {
            n += invsync_action_int(l, "qty", 0);
        }
    }

    return n;
}


/* a due line of order line id, or (id NULL) of sku */
static int
invsync_return_same(json_t *l, const char *id, const char *sku)
{
    return id != NULL ? strcmp(invsync_action_str(l, "line_id"), id) == 0
                      : strcmp(invsync_action_str(l, "sku"), sku) == 0;
}
