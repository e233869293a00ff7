
/*
 * The refund capability: a refund recorded against its order.  Its lines
 * marked restock go back on hand in the next row (stock.restock).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"


/*
 * A refund needs its order: one for an order never seen is not applied
 * blindly (the money and the restock would have no owner) but opened as an
 * exception an operator can retry once the order exists.
 */

invsync_act_rc_e
invsync_refund_record(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char               okey[INVSYNC_ACTION_KEY_LEN];
    char               state[INVSYNC_ACTION_KEY_LEN];
    char               ref[INVSYNC_ACTION_KEY_LEN];
    const char        *order, *argv[2];
    size_t             argvlen[2];
    json_t            *inputs;
    redisReply        *r;
    invsync_effect_t   fx;
    invsync_act_rc_e   rc;

    order = invsync_action_str(canon, "order_id");

    argv[0] = "EXISTS";
    argvlen[0] = 6;
    argv[1] = okey;
    snprintf(ref, sizeof(ref), "%s:%s", ev->channel, order);
    argvlen[1] = invsync_key_order(okey, sizeof(okey), w->conf, ref);

    r = invsync_redis_cmd(w, 2, argv, argvlen);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_INTEGER) {
        snprintf(err, len, "redis: %s",
                 r->type == REDIS_REPLY_ERROR ? r->str : "bad EXISTS reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    if (r->integer == 0) {
        freeReplyObject(r);
        return invsync_action_exception(w, ev, canon, "refund_unknown_order",
                                        NULL, order, "a refund for an order "
                                        "this system has not recorded", err,
                                        len);
    }

    freeReplyObject(r);

    snprintf(state, sizeof(state), "refund:%s:%s", ev->channel,
             invsync_action_str(canon, "refund_id"));

    inputs = json_pack("{s:O?, s:O?}",
                       "amount_minor", json_object_get(canon, "amount_minor"),
                       "currency", json_object_get(canon, "currency"));

    memset(&fx, 0, sizeof(invsync_effect_t));
    fx.action = "refund.record";
    fx.state = state;
    fx.order = order;
    fx.version = invsync_action_int(canon, "created_ms", -1);
    fx.inputs = inputs;

    rc = invsync_action_apply(w, ev, canon, &fx, err, len);
    json_decref(inputs);

    return rc;
}
