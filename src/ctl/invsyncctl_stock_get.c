
/*
 * invsyncctl stock get: one SKU's stock as the ledger holds it, and what
 * each channel should show of it by its stock rules.  This file gathers
 * them into one JSON document; invsyncctl_stock_print.c prints it for
 * people.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_stock.h"


/* a SKU with what its availability needs: its stock, or its components' */
typedef struct {
    char              name[256];
    int               has_name;
    int               bundle;
    size_t            ncomp;
    char              comp[INVSYNC_STOCK_MAX_COMPONENTS]
                          [INVSYNCCTL_SKU_MAX + 1];
    int64_t           qty[INVSYNC_STOCK_MAX_COMPONENTS];
    invsync_stock_t   stock;
    invsync_stock_t   cstock[INVSYNC_STOCK_MAX_COMPONENTS];
} invsyncctl_stock_item_t;


static int invsyncctl_stock_item(invsyncctl_t *ctl, const char *sku,
    invsyncctl_stock_item_t *it);
static int invsyncctl_stock_load(invsyncctl_t *ctl, const char *sku,
    invsync_stock_t *st);
static int64_t invsyncctl_stock_avail(const invsyncctl_stock_item_t *it,
    const invsync_stock_rules_t *rules);
static json_t *invsyncctl_stock_channels(invsyncctl_t *ctl, const char *sku,
    const invsyncctl_stock_item_t *it);
static json_t *invsyncctl_stock_bundles(invsyncctl_t *ctl, const char *sku);


int
invsyncctl_stock_get(invsyncctl_t *ctl, int argc, char **argv)
{
    int                       rc, npos;
    size_t                    i;
    json_t                   *doc, *locs, *comps, *at;
    int64_t                   on_hand, reserved, damaged;
    const char               *sku, *pos[1];
    invsyncctl_stock_item_t  *it;

    doc = NULL;
    it = NULL;

    rc = invsyncctl_args(ctl, "stock", invsyncctl_stock_usage, argc, argv,
                         NULL, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("stock", "get needs a SKU");
    }

    sku = pos[0];

    if (!invsyncctl_sku_valid(sku)) {
        return invsyncctl_usage_error("stock", "\"%s\" is not a SKU", sku);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_stock_known(ctl, sku);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    it = calloc(1, sizeof(invsyncctl_stock_item_t));
    doc = json_object();

    if (it == NULL || doc == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    rc = invsyncctl_stock_item(ctl, sku, it);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    json_object_set_new(doc, "sku", json_string(sku));
    json_object_set_new(doc, "name", it->has_name ? json_string(it->name)
                                                  : json_null());
    json_object_set_new(doc, "bundle", json_boolean(it->bundle));

    if (it->bundle) {
        comps = json_array();

        for (i = 0; i < it->ncomp; i++) {
            json_array_append_new(comps, json_pack("{s:s, s:I, s:I}",
                "sku", it->comp[i], "qty", (json_int_t) it->qty[i],
                "available",
                (json_int_t) invsync_stock_available(&it->cstock[i], NULL)));
        }

        json_object_set_new(doc, "components", comps);

    } else {
        locs = json_object();
        on_hand = 0;
        reserved = 0;

        damaged = 0;

        for (i = 0; i < it->stock.nlocations; i++) {
            at = json_pack("{s:I, s:I}", "on_hand",
                           (json_int_t) it->stock.on_hand[i], "reserved",
                           (json_int_t) it->stock.reserved[i]);

            /* returned units not sellable: shown only where there are */
            if (it->stock.damaged[i] != 0) {
                json_object_set_new(at, "damaged",
                                    json_integer(it->stock.damaged[i]));
            }

            json_object_set_new(locs, it->stock.location[i], at);
            on_hand += it->stock.on_hand[i];
            reserved += it->stock.reserved[i];
            damaged += it->stock.damaged[i];
        }

        json_object_set_new(doc, "locations", locs);
        json_object_set_new(doc, "on_hand", json_integer(on_hand));
        json_object_set_new(doc, "reserved", json_integer(reserved));
        json_object_set_new(doc, "unrouted",
                            json_integer(it->stock.unrouted));

        if (damaged != 0) {
            json_object_set_new(doc, "damaged", json_integer(damaged));
        }
    }

    json_object_set_new(doc, "available",
                        json_integer(invsyncctl_stock_avail(it, NULL)));

    json_object_set_new(doc, "channels",
                        invsyncctl_stock_channels(ctl, sku, it));
    json_object_set_new(doc, "bundles", invsyncctl_stock_bundles(ctl, sku));

    if (ctl->w.redis == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    if (!json_is_array(json_object_get(doc, "channels"))
        || !json_is_array(json_object_get(doc, "bundles")))
    {
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(doc);
        doc = NULL;
        goto failed;
    }

    invsyncctl_stock_print(doc);

failed:

    json_decref(doc);
    free(it);

    return rc;
}


/* the SKU's name, components and stock (a bundle: its components') */

static int
invsyncctl_stock_item(invsyncctl_t *ctl, const char *sku,
    invsyncctl_stock_item_t *it)
{
    int          rc;
    char         key[INVSYNCCTL_KEY_LEN];
    size_t       i;
    json_t      *comps, *v;
    redisReply  *r;
    const char  *k;

    invsync_key_sku(key, sizeof(key), ctl->conf, sku);

    r = invsyncctl_redis(ctl, "HMGET %s name components", key);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    rc = INVSYNCCTL_OK;
    comps = NULL;

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        if (r->element[0]->type == REDIS_REPLY_STRING) {
            it->has_name = 1;
            snprintf(it->name, sizeof(it->name), "%s", r->element[0]->str);
        }

        if (r->element[1]->type == REDIS_REPLY_STRING
            && r->element[1]->len > 0)
        {
            comps = json_loadb(r->element[1]->str, r->element[1]->len, 0,
                               NULL);

            if (!json_is_object(comps)
                || json_object_size(comps) > INVSYNC_STOCK_MAX_COMPONENTS)
            {
                fprintf(stderr, "invsyncctl: stock: the components of %s "
                        "are not {sku: qty} JSON: %s\n", sku,
                        r->element[1]->str);
                rc = INVSYNCCTL_USAGE;
                goto failed;
            }

            it->bundle = 1;
        }
    }

    json_object_foreach(comps, k, v) {
        i = it->ncomp;

        if (!json_is_integer(v) || json_integer_value(v) < 1
            || strlen(k) > INVSYNCCTL_SKU_MAX)
        {
            fprintf(stderr, "invsyncctl: stock: component %s of %s has no "
                    "positive quantity\n", k, sku);
            rc = INVSYNCCTL_USAGE;
            goto failed;
        }

        snprintf(it->comp[i], sizeof(it->comp[i]), "%s", k);
        it->qty[i] = json_integer_value(v);

        rc = invsyncctl_stock_load(ctl, k, &it->cstock[i]);
        if (rc != INVSYNCCTL_OK) {
            goto failed;
        }

        it->ncomp++;
    }

    if (!it->bundle) {
        rc = invsyncctl_stock_load(ctl, sku, &it->stock);
    }

failed:

    json_decref(comps);
    freeReplyObject(r);

    return rc;
}


static int
invsyncctl_stock_load(invsyncctl_t *ctl, const char *sku, invsync_stock_t *st)
{
    int           rc;
    char          key[INVSYNCCTL_KEY_LEN];
    size_t        i, n;
    redisReply   *r;
    const char  **fields, **values;

    invsync_key_stock(key, sizeof(key), ctl->conf, sku);

    r = invsyncctl_redis(ctl, "HGETALL %s", key);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    n = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
    fields = calloc(n + 1, sizeof(char *));
    values = calloc(n + 1, sizeof(char *));

    rc = INVSYNCCTL_OK;

    if (fields == NULL || values == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    for (i = 0; i < n; i++) {
        fields[i] = r->element[2 * i]->str;
        values[i] = r->element[2 * i + 1]->str;

        if (fields[i] == NULL || values[i] == NULL) {
            fields[i] = "";
            values[i] = "0";
        }
    }

    if (invsync_stock_parse(st, fields, values, n) != 0) {
        fprintf(stderr, "invsyncctl: stock: %s has more than %d locations "
                "or a location name of 64 bytes or more\n", key,
                INVSYNC_STOCK_MAX_LOCATIONS);
        rc = INVSYNCCTL_USAGE;
    }

failed:

    free(fields);
    free(values);
    freeReplyObject(r);

    return rc;
}


/*
 * Available at the rules' locations; a bundle's is the least, over its
 * components, of how many whole bundles each component's stock makes.
 */

static int64_t
invsyncctl_stock_avail(const invsyncctl_stock_item_t *it,
    const invsync_stock_rules_t *rules)
{
    size_t                  i;
    invsync_stock_bundle_t  b;

    if (!it->bundle) {
        return invsync_stock_available(&it->stock, rules);
    }

    memset(&b, 0, sizeof(invsync_stock_bundle_t));

    for (i = 0; i < it->ncomp; i++) {
        invsync_stock_bundle_add(&b, invsync_stock_available(&it->cstock[i],
                                                             rules),
                                 it->qty[i]);
    }

    return b.least;
}


/*
 * For each channel the SKU is mapped on: its identifiers, what it should
 * show by its rules, what it acknowledged last, whether a push is due.
 * New; NULL with the reason said.
 */

static json_t *
invsyncctl_stock_channels(invsyncctl_t *ctl, const char *sku,
    const invsyncctl_stock_item_t *it)
{
    char                           key[INVSYNCCTL_KEY_LEN];
    char                           err[INVSYNC_ERR_LEN];
    size_t                         i;
    json_t                        *list, *e, *ids;
    int64_t                        avail;
    redisReply                    *map, *r;
    const char                    *name;
    invsync_stock_rules_t          rules;
    const invsync_channel_conf_t  *ch;

    invsync_key_skumap(key, sizeof(key), ctl->conf, sku);

    map = invsyncctl_redis(ctl, "HGETALL %s", key);
    if (map == NULL) {
        return NULL;
    }

    list = json_array();

    for (i = 0; map->type == REDIS_REPLY_ARRAY && i + 1 < map->elements;
         i += 2)
    {
        name = map->element[i]->str;
        ch = invsync_conf_channel(ctl->conf, name);

        ids = json_loadb(map->element[i + 1]->str, map->element[i + 1]->len,
                         0, NULL);
        e = json_pack("{s:s, s:s?, s:o}", "channel", name,
                      "type", ch != NULL ? ch->type : NULL,
                      "ids", ids != NULL ? ids : json_null());

        if (ch == NULL) {
            json_object_set_new(e, "available", json_null());
            json_object_set_new(e, "should_show", json_null());

        } else {
            if (invsync_stock_rules(&rules, ch->stock, err, sizeof(err))
                != 0)
            {
                fprintf(stderr, "invsyncctl: %s: channel %s: stock: %s\n",
                        ctl->config, name, err);
                json_decref(e);
                json_decref(list);
                freeReplyObject(map);
                return NULL;
            }

            avail = invsyncctl_stock_avail(it, &rules);
            json_object_set_new(e, "available", json_integer(avail));
            json_object_set_new(e, "should_show",
                                json_integer(invsync_stock_shown(avail,
                                                                 &rules)));
        }

        invsync_key_shown(key, sizeof(key), ctl->conf, name);

        r = invsyncctl_redis(ctl, "HGET %s %s", key, sku);
        if (r == NULL) {
            json_decref(e);
            goto failed;
        }

        json_object_set_new(e, "shown", r->type == REDIS_REPLY_STRING
                                        ? json_integer(atoll(r->str))
                                        : json_null());
        freeReplyObject(r);

        invsync_key_dirty(key, sizeof(key), ctl->conf, name);

        r = invsyncctl_redis(ctl, "SISMEMBER %s %s", key, sku);
        if (r == NULL) {
            json_decref(e);
            goto failed;
        }

        json_object_set_new(e, "dirty", json_boolean(r->type
                                                      == REDIS_REPLY_INTEGER
                                                      && r->integer == 1));
        freeReplyObject(r);

        json_array_append_new(list, e);
    }

    freeReplyObject(map);

    return list;

failed:

    json_decref(list);
    freeReplyObject(map);

    return NULL;
}


/* the bundles made of the SKU, with their availability; new */

static json_t *
invsyncctl_stock_bundles(invsyncctl_t *ctl, const char *sku)
{
    int                       rc;
    char                      key[INVSYNCCTL_KEY_LEN];
    size_t                    i;
    json_t                   *list;
    redisReply               *r;
    invsyncctl_stock_item_t  *b;

    invsync_key_bundles(key, sizeof(key), ctl->conf, sku);

    r = invsyncctl_redis(ctl, "SORT %s ALPHA", key);
    if (r == NULL) {
        return NULL;
    }

    list = json_array();
    b = malloc(sizeof(invsyncctl_stock_item_t));

    for (i = 0; b != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++)
    {
        memset(b, 0, sizeof(invsyncctl_stock_item_t));

        rc = invsyncctl_stock_item(ctl, r->element[i]->str, b);
        if (rc != INVSYNCCTL_OK) {
            json_decref(list);
            list = NULL;
            break;
        }

        json_array_append_new(list, json_pack("{s:s, s:I}", "sku",
                                              r->element[i]->str,
                                              "available",
                                              (json_int_t)
                                              invsyncctl_stock_avail(b,
                                                                     NULL)));
    }

    free(b);
    freeReplyObject(r);

    return list;
}
