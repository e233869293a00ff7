
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
#include <string.h>

#include "refund/invsync_journal_lines.h"
#include "refund/invsync_return_int.h"
#include "invsync_refund_out.h"


static json_t *invsync_return_rma_line(json_t *rma, const char *sku);
static json_int_t invsync_return_tax_share(json_t *rl, json_int_t before,
    json_int_t qty);
static json_int_t invsync_return_due_before(json_t *rma, json_t *out,
    const char *sku);


/*
 * lines: the receipt's decided lines; NULL: the due recorded before for
 * receipt rid (its refund_due entry), for asking again.  NULL when
 * nothing is due.
 */
json_t *
invsync_return_refund_due(json_t *rma, const char *rid, json_t *lines)
{
    char         cause[512];
    size_t       i;
    json_t      *due, *out, *l, *rl;
    json_int_t   total, qty, price, tax;
    const char  *cur, *sku;

    if (lines == NULL) {
        json_array_foreach(json_object_get(rma, "refund_due"), i, due) {
            if (strcmp(invsync_action_str(due, "receipt"), rid) == 0) {
                return json_incref(due);
            }
        }
        return NULL;
    }

    out = json_array();
    total = 0;
    cur = "";

    json_array_foreach(lines, i, l) {
        if (!json_is_true(json_object_get(l, "restock"))
            || strcmp(invsync_action_str(l, "bucket"), "on_hand") != 0)
        {
            continue;
        }

        sku = invsync_action_str(l, "sku");
        rl = invsync_return_rma_line(rma, sku);
        qty = invsync_action_int(l, "qty", 0);
        price = invsync_action_int(rl, "price_minor", 0);
        cur = invsync_action_str(rl, "currency");
        tax = invsync_return_tax_share(rl,
                  invsync_return_due_before(rma, out, sku), qty);
        total += qty * price + tax;

        json_array_append_new(out, json_pack("{s:O, s:s*, s:I, s:I, s:I}",
            "sku", json_object_get(l, "sku"), "line_id",
            json_string_value(json_object_get(rl, "line_id")), "qty", qty,
            "tax_minor", tax, "amount_minor", qty * price + tax));
    }

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


/* units of sku due before: on the RMA's other receipts and on the lines
 * of this one so far (out) */
static json_int_t
invsync_return_due_before(json_t *rma, json_t *out, const char *sku)
{
    size_t       i, j;
    json_t      *due, *l;
    json_int_t   n;

    n = 0;

    json_array_foreach(json_object_get(rma, "refund_due"), i, due) {
        json_array_foreach(json_object_get(due, "lines"), j, l) {
            if (strcmp(invsync_action_str(l, "sku"), sku) == 0) {
                n += invsync_action_int(l, "qty", 0);
            }
        }
    }

    json_array_foreach(out, j, l) {
        if (strcmp(invsync_action_str(l, "sku"), sku) == 0) {
            n += invsync_action_int(l, "qty", 0);
        }
    }

    return n;
}


/* the RMA's line of sku (borrowed), or NULL */
static json_t *
invsync_return_rma_line(json_t *rma, const char *sku)
{
    size_t   i;
    json_t  *l;

    json_array_foreach(json_object_get(rma, "lines"), i, l) {
        if (strcmp(invsync_action_str(l, "sku"), sku) == 0) {
            return l;
        }
    }

    return NULL;
}
