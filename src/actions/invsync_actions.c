
/*
 * The action table and its dispatch: one canonical event in, the rows of
 * its kind run in order, each one effect keyed by its cause (docs/worker.md,
 * "Adding an action").  A row after the first runs only when the first
 * recorded its state (applied, or applied before): the stock follows the
 * recorded state, never a stale one.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"
#include "fulfil/invsync_fulfil.h"


static invsync_act_rc_e invsync_action_rows(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
static int invsync_action_applies(const invsync_action_t *a,
    const invsync_conf_t *conf, const char *kind, json_t *canon);


const invsync_action_t  invsync_actions[] = {
    /* kind, action name, function, flags, when, applies */
    { "fulfillment", "fulfillment.record", invsync_fulfil_record, 0, NULL,
      NULL },
    { "fulfillment", "stock.ship", invsync_fulfil_ship, 0, NULL, NULL },
    { "fulfillment", "shipment.by_channel", invsync_shipment_by_channel,
      INVSYNC_ACT_ROUTING, NULL, invsync_shipment_by_channel_applies },
    { "inventory_level", "inventory.observe", invsync_stock_level, 0, NULL,
      NULL },
    { "order", "order.record", invsync_order_record, INVSYNC_ACT_BATCH,
      NULL, NULL },
    { "order", "stock.reserve", invsync_stock_order, INVSYNC_ACT_BATCH,
      NULL, NULL },
    { "order", "order.route", invsync_route_order,
      INVSYNC_ACT_ROUTING | INVSYNC_ACT_BATCH, NULL, NULL },
    { "order", "stock.ship", invsync_order_ship, 0, "shipped", NULL },
    { "order", "shipment.by_channel", invsync_shipment_by_channel,
      INVSYNC_ACT_ROUTING, NULL, invsync_shipment_by_channel_applies },
    { "order", "refund.record", invsync_refund_of_order, 0, "refunds",
      NULL },
    { "order_cancelled", "order.record", invsync_order_record,
      INVSYNC_ACT_BATCH, NULL, NULL },
    { "order_cancelled", "stock.release", invsync_stock_order,
      INVSYNC_ACT_BATCH, NULL, NULL },
    { "order_cancelled", "order.route", invsync_route_order,
      INVSYNC_ACT_ROUTING, NULL, NULL },
    { "order_cancelled", "refund.record", invsync_refund_of_order, 0,
      "refunds", NULL },
    { "order_cancelled", "shipment.cancel", invsync_shipment_cancel,
      INVSYNC_ACT_ROUTING, NULL, NULL },
    { "refund", "refund.record", invsync_refund_record,
      INVSYNC_ACT_BATCH, NULL, NULL },
    { "shipment", "shipment.confirm", invsync_fulfil_3pl_confirm,
      INVSYNC_ACT_ROUTING, NULL, NULL },
    { "refund", "refund.check", invsync_refund_check_lines,
      INVSYNC_ACT_BATCH, NULL, NULL },
    { "refund", "stock.restock", invsync_stock_restock,
      INVSYNC_ACT_BATCH, NULL, NULL },
    { "refund", "journal.post", invsync_journal_post,
      INVSYNC_ACT_BATCH, NULL, NULL },
    { "return_receipt", "return.receive", invsync_return_event, 0, NULL,
      NULL },
    { "return", "return.announce", invsync_return_announce, 0, NULL, NULL },
    { "return_disposition", "return.dispose", invsync_return_dispose, 0,
      NULL, NULL },
    { NULL, NULL, NULL, 0, NULL, NULL }
};


invsync_act_rc_e
invsync_action_run(invsync_worker_t *w, const invsync_envelope_t *ev,
    char *err, size_t len)
{
    json_t                        *canon, *inputs;
    invsync_effect_t               fx;
    invsync_act_rc_e               rc;
    invsync_norm_rc_e              nrc;
    const invsync_channel_conf_t  *ch;

    if (ev->version != 1) {
        snprintf(err, len, "envelope version \"%d\" is not understood",
                 ev->version);
        return INVSYNC_ACT_POISON;
    }

    ch = invsync_conf_channel(w->conf, ev->channel);

    if (ch == NULL) {
        snprintf(err, len, "unknown channel \"%s\": not in %s", ev->channel,
                 w->conf->file);
        return INVSYNC_ACT_POISON;
    }

    if (w->conf->noop) {
        return INVSYNC_ACT_APPLIED;
    }

    if (strcmp(ev->scheme, ch->type) != 0) {
        snprintf(err, len, "scheme \"%s\" does not match the type \"%s\" of "
                 "channel \"%s\"", ev->scheme, ch->type, ch->id);
        return INVSYNC_ACT_POISON;
    }

    canon = NULL;
    nrc = invsync_normalize(ev, &canon, err, len);

    if (nrc == INVSYNC_NORM_POISON) {
        return INVSYNC_ACT_POISON;
    }

    if (nrc == INVSYNC_NORM_IGNORE) {
        memset(&fx, 0, sizeof(invsync_effect_t));
        fx.version = -1;
        inputs = json_pack("{s:s}", "topic", ev->topic);
        fx.action = "event.ignore";
        fx.inputs = inputs;
        rc = invsync_action_apply(w, ev, NULL, &fx, err, len);
        json_decref(inputs);
        return rc == INVSYNC_ACT_APPLIED ? INVSYNC_ACT_IGNORED : rc;
    }

    rc = invsync_action_rows(w, ev, canon, err, len);
    json_decref(canon);

    return rc;
}


/*
 * The rows of canon's kind.  The first one's result is the event's, unless
 * a later row needs a person (EXCEPTION) or failed (RETRY, POISON; then
 * the rows after it do not run).
 */

static invsync_act_rc_e
invsync_action_rows(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    int                      first;
    const char              *kind;
    invsync_act_rc_e         rc, r;
    const invsync_action_t  *a;

    kind = invsync_action_str(canon, "kind");
    rc = INVSYNC_ACT_POISON;
    first = 1;

    for (a = invsync_actions; a->kind != NULL; a++) {
        if (!invsync_action_applies(a, w->conf, kind, canon)) {
            continue;
        }

        r = a->run(w, ev, canon, err, len);

        if (first) {
            first = 0;
            rc = r;

            if (r != INVSYNC_ACT_APPLIED && r != INVSYNC_ACT_DUPLICATE) {
                break;
            }

            continue;
        }

        if (r == INVSYNC_ACT_RETRY || r == INVSYNC_ACT_POISON
            || r == INVSYNC_ACT_EXCEPTION)
        {
            rc = r;

            if (r != INVSYNC_ACT_EXCEPTION) {
                break;
            }
        }
    }

    if (first) {
        snprintf(err, len, "canonical kind \"%s\" has no action", kind);
    }

    return rc;
}


/* 1 when every row canon runs may be pipelined (and there is one) */

int
invsync_action_batchable(const invsync_conf_t *conf, json_t *canon)
{
    int                      n;
    const char              *kind;
    const invsync_action_t  *a;

    n = 0;
    kind = invsync_action_str(canon, "kind");

    for (a = invsync_actions; a->kind != NULL; a++) {
        if (!invsync_action_applies(a, conf, kind, canon)) {
            continue;
        }

        if (!(a->flags & INVSYNC_ACT_BATCH)) {
            return 0;
        }

        n++;
    }

    return n > 0;
}


/*
 * The row runs for canon: its kind, its condition if it has one (the
 * member true, or an array that is not empty; or its own test), and
 * routing's rows only
 * when worker.json routes (else orders stay unrouted, and batched, as
 * before routing existed).
 */

static int
invsync_action_applies(const invsync_action_t *a, const invsync_conf_t *conf,
    const char *kind, json_t *canon)
{
    json_t  *v;

    if ((a->flags & INVSYNC_ACT_ROUTING) && conf->routing == NULL) {
        return 0;
    }

    if (strcmp(a->kind, kind) != 0) {
        return 0;
    }

    if (a->applies != NULL && !a->applies(canon)) {
        return 0;
    }

    if (a->when == NULL) {
        return 1;
    }

    v = json_object_get(canon, a->when);

    return json_is_true(v) || json_array_size(v) > 0;
}
