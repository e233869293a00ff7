
/*
 * The refund a receipt owes (worker.json returns.refund_on "receipt",
 * docs/returns.md "RMA"): the received lines the rules put back on hand
 * (resellable; opened when "opened" says resellable), each at the order
 * line's unit price, recorded on the RMA; and the one place that asks
 * the channel to make it, invsync_return_refund_out(), by the contract
 * with the channel-refund step (invsync_refund_out_open(), cause
 * "rma:<rma>:<receipt>").
 */


#include <stdio.h>
#include <string.h>

#include "refund/invsync_return_int.h"


static json_t *invsync_return_rma_line(json_t *rma, const char *sku);


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
    json_int_t   total, qty, price;
    const char  *cur;

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

        rl = invsync_return_rma_line(rma, invsync_action_str(l, "sku"));
        qty = invsync_action_int(l, "qty", 0);
        price = invsync_action_int(rl, "price_minor", 0);
        cur = invsync_action_str(rl, "currency");
        total += qty * price;

        json_array_append_new(out, json_pack("{s:O, s:s*, s:I, s:I}", "sku",
            json_object_get(l, "sku"), "line_id",
            json_string_value(json_object_get(rl, "line_id")), "qty", qty,
            "amount_minor", qty * price));
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
 * THE call to the channel's refund (one place, for the coordinator to
 * wire): invsync_refund_out_open(w, req, err, len) of the refundout
 * branch (src/runtime/invsync_refund_out.h), with cause
 * "rma:<rma>:<receipt>", the order's channel and id, the due lines
 * {sku, line ref, quantity}, no shipping, the RMA's reason.  Until that
 * branch is merged the due stays recorded on the RMA (state "due") for
 * a person or the later step; 0 asked (or recorded), -1 error.
 */
int
invsync_return_refund_out(invsync_worker_t *w, json_t *rma, json_t *due,
    char *err, size_t len)
{
    (void) w;
    (void) rma;
    (void) due;
    (void) err;
    (void) len;

    /*
     * With invsync_refund_out.h merged:
     *
     *   invsync_refund_out_t  req = { channel, order_id, cause, lines,
     *                                 nlines, 0, currency, reason, note };
     *   return invsync_refund_out_open(w, &req, err, len) < 0 ? -1 : 0;
     */

    return 0;
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
