
/*
 * What a label is bought for: the location's "from" address, the order's
 * shipping_address (its recorded canonical state, K order:<order>), the
 * parcel from the SKUs' weights and sizes (K sku:<sku>, invsyncctl sku
 * set; the location's "parcel" for what they lack), and the rate the
 * routing rule's "rate" asks for: cheapest, fastest, CARRIER or
 * CARRIER:SERVICE.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_worker_fulfil.h"


static int64_t invsync_fulfil_num(json_t *obj, const char *key);


const char *
invsync_fulfil_field(invsync_fulfil_t *f, const char *name)
{
    const char  *v = json_string_value(json_object_get(f->ship, name));

    return v ? v : "";
}


static int64_t
invsync_fulfil_num(json_t *obj, const char *key)
{
    json_t  *v = json_object_get(obj, key);

    return json_is_integer(v) ? json_integer_value(v) : 0;
}


/* req->to is a new reference the caller drops (json_decref) */

int
invsync_fulfil_label_req(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_label_req_t *req, char *err, size_t len)
{
    char         key[INVSYNC_SHIP_ID_LEN];
    size_t       i;
    json_t      *lines, *l, *order, *dflt;
    int64_t      qty;
    redisReply  *r;

    memset(req, 0, sizeof(invsync_label_req_t));
    req->reference = f->id;
    req->from = json_object_get(f->loc->fulfilment, "from");
    dflt = json_object_get(f->loc->fulfilment, "parcel");

    invsync_key_order(key, sizeof(key), w->conf,
                      invsync_fulfil_field(f, "order"));
    /* through the wrapper: after a lost connection w->redis is NULL (a
     * chaos run's worker died of hiredis given NULL here) */
    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "data",
                                                 NULL });
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return -1;
    }

    order = r->type == REDIS_REPLY_STRING
            ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);
    req->to = json_incref(json_object_get(order, "shipping_address"));
    json_decref(order);

    lines = invsync_ship_parcel_lines(
                json_loads(invsync_fulfil_field(f, "lines"), 0, NULL));

    json_array_foreach(lines, i, l) {
        qty = invsync_fulfil_num(l, "qty");
        invsync_key_sku(key, sizeof(key), w->conf,
                        json_string_value(json_object_get(l, "sku")));
        r = invsync_redis_cmdv(w, (const char *[]) { "HMGET", key,
                               "weight_g", "length_mm", "width_mm",
                               "height_mm", NULL });
        if (r == NULL) {
            json_decref(lines);
            snprintf(err, len, "redis connection lost");
            return -1;
        }

        if (r->type == REDIS_REPLY_ARRAY && r->elements == 4) {
            req->weight_g += qty * (r->element[0]->str
                                    ? atoll(r->element[0]->str) : 0);
            if (r->element[1]->str && atoll(r->element[1]->str)
                > req->length_mm)
            {
                req->length_mm = atoll(r->element[1]->str);
            }
            if (r->element[2]->str && atoll(r->element[2]->str)
                > req->width_mm)
            {
                req->width_mm = atoll(r->element[2]->str);
            }
            req->height_mm += qty * (r->element[3]->str
                                     ? atoll(r->element[3]->str) : 0);
        }

        freeReplyObject(r);
    }

    json_decref(lines);

    if (req->weight_g == 0) {
        req->weight_g = invsync_fulfil_num(dflt, "weight_g");
    }

    if (req->length_mm == 0 || req->width_mm == 0 || req->height_mm == 0) {
        req->length_mm = invsync_fulfil_num(dflt, "length_mm");
        req->width_mm = invsync_fulfil_num(dflt, "width_mm");
        req->height_mm = invsync_fulfil_num(dflt, "height_mm");
    }

    return 0;
}


/* the rule's rate among l's, or NULL with err naming what was asked */

const invsync_rate_t *
invsync_fulfil_rate(invsync_worker_t *w, invsync_fulfil_t *f,
    const invsync_label_t *l, char *err, size_t len)
{
    size_t                 i, n;
    const char            *want, *rule, *colon;
    const invsync_rate_t  *best, *r, *bad;

    want = NULL;
    rule = invsync_fulfil_field(f, "rule");

    for (i = 0; w->conf->routing && i < w->conf->routing->nrules; i++) {
        if (strcmp(w->conf->routing->rules[i].name, rule) == 0) {
            want = w->conf->routing->rules[i].rate;
        }
    }

    want = want ? want : "cheapest";
    colon = strchr(want, ':');
    n = colon ? (size_t) (colon - want) : strlen(want);
    best = NULL;
    bad = NULL;

    for (i = 0; i < l->nrates; i++) {
        r = &l->rates[i];

        if (r->cost_minor < 0 || r->id[0] == '\0') {
            bad = r->why[0] ? r : bad;
            continue;
        }

        if (strcmp(want, "fastest") == 0) {
            if (best == NULL || (r->days > 0 && (best->days == 0
                                 || r->days < best->days
                                 || (r->days == best->days
                                     && r->cost_minor < best->cost_minor))))
            {
                best = r;
            }
            continue;
        }

        if (strcmp(want, "cheapest") != 0
            && (strlen(r->carrier) != n
                || strncasecmp(r->carrier, want, n) != 0
                || (colon && strcasecmp(r->service, colon + 1) != 0)))
        {
            continue;
        }

        if (best == NULL || r->cost_minor < best->cost_minor) {
            best = r;
        }
    }

    if (best == NULL && bad != NULL) {
        snprintf(err, len, "the carrier offered no rate for \"%s\" "
                 "(rule \"%s\"; refused %s %s: %s)", want, rule,
                 bad->carrier, bad->service, bad->why);

    } else if (best == NULL) {
        snprintf(err, len, "the carrier offered no rate for \"%s\" "
                 "(rule \"%s\")", want, rule);
    }

    return best;
}
