
/*
 * return.receive: a 3PL's return notice (a canonical "return_receipt",
 * docs/events.md) applied as invsyncctl return receive applies one
 * (invsync_return_receive()): the RMA its reference names, the receipt
 * "<channel>:<the 3PL's return id>", once however often it comes.  A
 * notice for an RMA invsync does not know, or one closed, is an exception
 * (return_unknown) for a person: nothing moves.
 */


#include <stdio.h>
#include <string.h>

#include "refund/invsync_return_int.h"


invsync_act_rc_e
invsync_return_event(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                   found;
    char                  rid[INVSYNC_RMA_ID_LEN], summary[512], sku[256];
    size_t                i;
    json_t               *lines, *l;
    const char           *rma;
    invsync_return_rc_e   rc;
    invsync_return_src_t  src;

    err[0] = '\0';

    if (!json_is_true(json_object_get(canon, "completed"))) {
        return INVSYNC_ACT_IGNORED;
    }

    rma = invsync_action_str(canon, "rma");
    snprintf(rid, sizeof(rid), "%s:%s", ev->channel,
             invsync_action_str(canon, "receipt"));

    memset(&src, 0, sizeof(src));
    src.channel = ev->channel;
    src.event = ev->event;
    src.topic = ev->topic;
    src.stream = ev->stream;
    src.entry = ev->entry;

    /* the canonical lines (quantity) as a receipt's (qty); a line's refs
     * (what the 3PL names the item by) mapped first, as the ledger maps
     * a channel's lines, else its sku */
    lines = json_array();
    json_array_foreach(json_object_get(canon, "lines"), i, l) {
        found = invsync_stock_map(w, ev->channel, l, sku, sizeof(sku));

        if (found < 0) {
            json_decref(lines);
            return INVSYNC_ACT_RETRY;
        }

        json_array_append_new(lines, json_pack("{s:o, s:O, s:O}", "sku",
            found ? json_string(sku) : json_incref(json_object_get(l, "sku")),
            "qty", json_object_get(l, "quantity"),
            "condition", json_object_get(l, "condition")));
    }

    rc = !invsync_return_id_valid(rma) || !invsync_return_id_valid(rid)
         ? INVSYNC_RETURN_REFUSED
         : invsync_return_receive(w, &src, rma, rid, lines, NULL, err, len);
    json_decref(lines);

    switch (rc) {
    case INVSYNC_RETURN_DONE:
        return INVSYNC_ACT_APPLIED;

    case INVSYNC_RETURN_BEFORE:
        return INVSYNC_ACT_DUPLICATE;

    case INVSYNC_RETURN_LOST:
        return INVSYNC_ACT_RETRY;

    default:
        break;
    }

    snprintf(summary, sizeof(summary), "a return notice for RMA \"%.128s\" "
             "(receipt %s) that cannot be applied: %s", rma, rid,
             rc == INVSYNC_RETURN_REFUSED && err[0] ? err
                                                    : "not a valid RMA id");

    return invsync_action_exception(w, ev, canon, "return_unknown", NULL,
                                    NULL, summary, err, len);
}
