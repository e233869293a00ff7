
/*
 * Which recorded order a canonical refund belongs to: its own channel's
 * order when it names one (a store's refund), else the order one of its
 * payment references names in K payref: (a payment provider's refund,
 * or a store refund naming an order id the store does not use for it).
 * A reference more than one order claims (its "claim:" fields) names
 * neither: a refund found only by such references is not applied.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_refund_steps.h"


static invsync_refund_match_e invsync_refund_payref(invsync_worker_t *w,
    const char *ref, invsync_refund_order_t *o, char *amb, size_t cap,
    char *err, size_t len);


/*
 * FOUND with o filled (o->data a new reference, the recorded canonical
 * order), NONE when no recorded order matches, AMBIGUOUS when none does
 * but a reference two or more orders claim (o->ambiguous names it and
 * them), FAILED when Redis failed (err).
 */

invsync_refund_match_e
invsync_refund_match(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, invsync_refund_order_t *o, char *err, size_t len)
{
    size_t                   i;
    json_t                  *ref;
    const char              *oid;
    invsync_refund_match_e   rc;
    char                     amb[sizeof(o->ambiguous)];

    amb[0] = '\0';
    memset(o, 0, sizeof(invsync_refund_order_t));
    oid = invsync_action_str(canon, "order_id");

    if (oid[0] != '\0') {
        snprintf(o->channel, sizeof(o->channel), "%s", ev->channel);
        snprintf(o->id, sizeof(o->id), "%s", oid);
        snprintf(o->by, sizeof(o->by), "order_id");

        rc = invsync_refund_order_data(w, o, err, len);
        if (rc != INVSYNC_REFUND_MATCH_NONE) {
            return rc;
        }
    }

    json_array_foreach(json_object_get(canon, "payment_refs"), i, ref) {
        if (!json_is_string(ref)) {
            continue;
        }

        rc = invsync_refund_payref(w, json_string_value(ref), o, amb,
                                   sizeof(amb), err, len);
        if (rc != INVSYNC_REFUND_MATCH_NONE) {
            return rc;
        }
    }

    memset(o, 0, sizeof(invsync_refund_order_t));

    if (amb[0] != '\0') {
        snprintf(o->ambiguous, sizeof(o->ambiguous), "%s", amb);
        return INVSYNC_REFUND_MATCH_AMBIGUOUS;
    }

    return INVSYNC_REFUND_MATCH_NONE;
}


/*
 * The order K payref:<ref> names, if it is recorded: as match() but never
 * AMBIGUOUS; a reference with two or more "claim:" fields names none
 * (NONE), and the first such is described in amb (when amb is still
 * empty).
 */
static invsync_refund_match_e
invsync_refund_payref(invsync_worker_t *w, const char *ref,
    invsync_refund_order_t *o, char *amb, size_t cap, char *err,
    size_t len)
{
    char          key[INVSYNC_ACTION_KEY_LEN], who[384];
    size_t        i, claims, used;
    redisReply   *r, *f, *v;
    const char   *channel, *order, *argv[3];

    if (invsync_key_payref(key, sizeof(key), w->conf, ref) == 0) {
        return INVSYNC_REFUND_MATCH_NONE;
    }

    argv[0] = "HGETALL";
    argv[1] = key;
    argv[2] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_REFUND_MATCH_FAILED;
    }

    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, len, "redis: %s", r->type == REDIS_REPLY_ERROR
                                        ? r->str : "bad HGETALL reply");
        freeReplyObject(r);
        return INVSYNC_REFUND_MATCH_FAILED;
    }

    channel = NULL;
    order = NULL;
    claims = 0;
    used = 0;
    who[0] = '\0';

    for (i = 0; i + 1 < r->elements; i += 2) {
        f = r->element[i];
        v = r->element[i + 1];

        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            continue;
        }

        if (strcmp(f->str, "channel") == 0) {
            channel = v->str;

        } else if (strcmp(f->str, "order") == 0) {
            order = v->str;

        } else if (strncmp(f->str, "claim:", 6) == 0) {
            if (used < sizeof(who)) {
                used += snprintf(who + used, sizeof(who) - used, "%s%s",
                                 claims ? ", " : "", f->str + 6);
            }

            claims++;
        }
    }

    if (channel == NULL || order == NULL) {
        freeReplyObject(r);
        return INVSYNC_REFUND_MATCH_NONE;
    }

    if (claims > 1) {
        if (amb[0] == '\0') {
            snprintf(amb, cap, "%s (%s)", ref, who);
        }

        freeReplyObject(r);
        return INVSYNC_REFUND_MATCH_NONE;
    }

    snprintf(o->channel, sizeof(o->channel), "%s", channel);
    snprintf(o->id, sizeof(o->id), "%s", order);
    snprintf(o->by, sizeof(o->by), "%s", ref);
    freeReplyObject(r);

    return invsync_refund_order_data(w, o, err, len);
}


/*
 * K order:<o->channel>:<o->id> data, parsed into o->data: as match() but
 * never AMBIGUOUS
 */

invsync_refund_match_e
invsync_refund_order_data(invsync_worker_t *w, invsync_refund_order_t *o,
    char *err, size_t len)
{
    if (invsync_refund_order_append(w, o) != 0) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_REFUND_MATCH_FAILED;
    }

    return invsync_refund_order_reply(invsync_redis_reply(w), o, err, len);
}


/* its HGET appended to the pipeline (a batch of refunds); -1: lost */

int
invsync_refund_order_append(invsync_worker_t *w,
    const invsync_refund_order_t *o)
{
    char         key[INVSYNC_ACTION_KEY_LEN], ref[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[4];

    /* a key too long names no order: the empty key answers nil */
    snprintf(ref, sizeof(ref), "%s:%s", o->channel, o->id);
    if (invsync_key_order(key, sizeof(key), w->conf, ref) == 0) {
        key[0] = '\0';
    }

    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "data";
    argv[3] = NULL;

    return invsync_redis_appendv(w, argv);
}


/* its reply (taken; NULL: the session was lost): as order_data() */

invsync_refund_match_e
invsync_refund_order_reply(redisReply *r, invsync_refund_order_t *o,
    char *err, size_t len)
{
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_REFUND_MATCH_FAILED;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "redis: %s", r->str);
        freeReplyObject(r);
        return INVSYNC_REFUND_MATCH_FAILED;
    }

    /* the index may name an order whose record has expired: no match */
    o->data = (r->type == REDIS_REPLY_STRING)
              ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);

    if (!json_is_object(o->data)) {
        json_decref(o->data);
        o->data = NULL;
        return INVSYNC_REFUND_MATCH_NONE;
    }

    return INVSYNC_REFUND_MATCH_FOUND;
}
