
/*
 * The restock decision of one refund line, in the order docs/returns.md
 * gives: nothing to move; a cancellation before shipment (the release
 * already gave the units back); the channel did not restock; the units are
 * missing; a tag never restocked; the policy waits for the receipt; then
 * the condition (or the reason's, or the channel's word) picks the bucket.
 */


#include <string.h>

#include "invsync_restock_rules.h"


static int invsync_restock_refuse(invsync_restock_decision_t *d,
    const char *reason);
static const char *invsync_restock_tag(const invsync_returns_conf_t *rc,
    json_t *tags);
static int invsync_restock_as(const invsync_returns_conf_t *rc, json_t *line,
    json_t *refund, invsync_restock_decision_t *d);
static void invsync_restock_where(const invsync_returns_conf_t *rc,
    const invsync_restock_facts_t *f, invsync_restock_decision_t *d);
static const char *invsync_restock_s(json_t *obj, const char *key);


void
invsync_restock_decide(const invsync_returns_conf_t *rc, json_t *line,
    json_t *refund, const invsync_restock_facts_t *f,
    invsync_restock_decision_t *d)
{
    const char  *type, *cond;

    memset(d, 0, sizeof(invsync_restock_decision_t));

    type = invsync_restock_s(line, "restock_type");
    cond = invsync_restock_s(line, "condition");

    /* no units, or none left once those beyond what the order sold are
     * taken off (refund.check, refund_over_quantity) */
    if (json_integer_value(json_object_get(line, "quantity")) <= 0) {
        invsync_restock_refuse(d, json_integer_value(json_object_get(line,
                                  "beyond_sold")) > 0 ? "beyond_sold"
                                                      : "no_quantity");
        return;
    }

    /* never shipped and released: on hand never changed, so adding the
     * units would count them twice */
    if (strcmp(type, "cancel") == 0
        || (f->released && f->shipped_from == NULL))
    {
        invsync_restock_refuse(d, "cancelled_before_shipment");
        return;
    }

    if (!json_is_true(json_object_get(line, "restock"))) {
        invsync_restock_refuse(d, "channel_not_restocked");
        return;
    }

    if (strcmp(cond, "missing") == 0) {
        invsync_restock_refuse(d, "missing");
        return;
    }

    d->tag = invsync_restock_tag(rc, f->tags);
    if (d->tag != NULL) {
        invsync_restock_refuse(d, "never_restock_tag");
        return;
    }

    /* the receipt is the RMA step's: the refund alone moves nothing;
     * and a receipt moves nothing when the refund was the one to */
    if (!f->receipt && rc->restock_on == INVSYNC_RESTOCK_ON_RECEIPT) {
        invsync_restock_refuse(d, "awaits_receipt");
        return;
    }

    if (f->receipt && rc->restock_on == INVSYNC_RESTOCK_ON_REFUND) {
        invsync_restock_refuse(d, "restocked_on_refund");
        return;
    }

    if (invsync_restock_as(rc, line, refund, d) != 0) {
        return;
    }

    d->restock = 1;
    invsync_restock_where(rc, f, d);
}


static int
invsync_restock_refuse(invsync_restock_decision_t *d, const char *reason)
{
    d->restock = 0;
    d->bucket = NULL;
    d->reason = reason;

    return -1;
}


/* the first of the SKU's tags that is never restocked, or NULL */
static const char *
invsync_restock_tag(const invsync_returns_conf_t *rc, json_t *tags)
{
    size_t       i, k;
    json_t      *t;
    const char  *s;

    json_array_foreach(tags, i, t) {
        s = json_string_value(t);

        for (k = 0; s != NULL && k < rc->ntags; k++) {
            if (strcmp(s, rc->never_tags[k]) == 0) {
                return rc->never_tags[k];
            }
        }
    }

    return NULL;
}


/*
 * The bucket: the line's condition when known; else what the return
 * reason maps to (the line's reason, else the refund's); else the
 * channel's word, resellable.  -1 when the answer is not to restock.
 */
static int
invsync_restock_as(const invsync_returns_conf_t *rc, json_t *line,
    json_t *refund, invsync_restock_decision_t *d)
{
    size_t                 i;
    const char            *cond, *why;
    invsync_restock_as_e   as;

    cond = invsync_restock_s(line, "condition");
    why = invsync_restock_s(line, "reason");
    if (why[0] == '\0') {
        why = invsync_restock_s(refund, "reason");
    }

    if (strcmp(cond, "resellable") == 0) {
        as = INVSYNC_RESTOCK_AS_RESELLABLE;
        d->reason = "resellable";

    } else if (strcmp(cond, "damaged") == 0) {
        as = INVSYNC_RESTOCK_AS_DAMAGED;
        d->reason = "damaged";

    } else if (strcmp(cond, "opened") == 0) {
        as = rc->opened;
        d->reason = as == INVSYNC_RESTOCK_AS_NONE ? "opened_not_restocked"
                                                  : "opened";

    } else if (cond[0] != '\0') {
        return invsync_restock_refuse(d, "unknown_condition");

    } else {
        as = INVSYNC_RESTOCK_AS_RESELLABLE;
        d->reason = "channel_restocked";

        for (i = 0; why[0] != '\0' && i < rc->nreasons; i++) {
            if (strcmp(why, rc->reasons[i].reason) == 0) {
                as = rc->reasons[i].as;
                d->reason = as == INVSYNC_RESTOCK_AS_NONE
                            ? "reason_not_restocked" : "reason";
                break;
            }
        }
    }

    if (as == INVSYNC_RESTOCK_AS_NONE) {
        return invsync_restock_refuse(d, d->reason);
    }

    d->bucket = as == INVSYNC_RESTOCK_AS_DAMAGED ? "damaged" : "on_hand";

    return 0;
}


/* the configured returns location, else where it shipped, else default */
static void
invsync_restock_where(const invsync_returns_conf_t *rc,
    const invsync_restock_facts_t *f, invsync_restock_decision_t *d)
{
    if (rc->returns_location != NULL) {
        d->location = rc->returns_location;
        d->location_from = "returns_location";

    } else if (f->shipped_from != NULL) {
        d->location = f->shipped_from;
        d->location_from = "shipped";

    } else {
        d->location = f->fallback;
        d->location_from = "channel_default";
    }
}


static const char *
invsync_restock_s(json_t *obj, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "";
}
