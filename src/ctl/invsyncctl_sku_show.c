
/*
 * invsyncctl sku show: one SKU as the ledger defines it, its name, its
 * components if it is a bundle, its routing attributes (sku set) and the
 * channels it is mapped on.  Its stock is "stock get"'s.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"


static json_t *invsyncctl_sku_show_doc(const char *sku, const redisReply *h,
    const redisReply *chans, const char **v);
static void invsyncctl_sku_show_print(json_t *doc, const char **v);


int
invsyncctl_sku_show(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc, npos, known;
    char         def[INVSYNCCTL_KEY_LEN], map[INVSYNCCTL_KEY_LEN];
    size_t       i;
    json_t      *doc;
    const char  *pos[1], *v[INVSYNCCTL_SKU_ATTRS];
    redisReply  *h, *chans;

    rc = invsyncctl_sku_args(ctl, argc, argv, NULL, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || !invsyncctl_sku_valid(pos[0])) {
        return invsyncctl_usage_error("sku", "show needs a SKU");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    known = invsyncctl_sku_known(ctl, pos[0]);
    if (known <= 0) {
        if (known == 0) {
            fprintf(stderr, "invsyncctl: sku show: unknown SKU \"%s\"\n",
                    pos[0]);
        }

        return known == 0 ? INVSYNCCTL_NOTFOUND : INVSYNCCTL_REDIS;
    }

    invsync_key_sku(def, sizeof(def), ctl->conf, pos[0]);
    invsync_key_skumap(map, sizeof(map), ctl->conf, pos[0]);

    h = invsyncctl_redis(ctl, "HGETALL %s", def);
    if (h == NULL) {
        return INVSYNCCTL_REDIS;
    }

    chans = invsyncctl_redis(ctl, "HKEYS %s", map);
    if (chans == NULL) {
        freeReplyObject(h);
        return INVSYNCCTL_REDIS;
    }

    for (i = 0; i < INVSYNCCTL_SKU_ATTRS; i++) {
        v[i] = invsyncctl_fstr(h, invsyncctl_sku_attr_names[i]);
    }

    doc = invsyncctl_sku_show_doc(pos[0], h, chans, v);

    if (ctl->json) {
        rc = invsyncctl_print_json(doc);

    } else {
        invsyncctl_sku_show_print(doc, v);
        json_decref(doc);
    }

    freeReplyObject(chans);
    freeReplyObject(h);

    return rc;
}


/*
 * {"sku", "name", "components", the attributes..., "channels"}, new; v
 * are the attributes as h holds them.
 */

static json_t *
invsyncctl_sku_show_doc(const char *sku, const redisReply *h,
    const redisReply *chans, const char **v)
{
    size_t       i;
    json_t      *doc, *list, *comps;
    const char  *name;

    name = invsyncctl_fstr(h, "name");
    comps = json_loads(invsyncctl_fstr(h, "components"), 0, NULL);

    doc = invsyncctl_sku_attr_json(v);
    json_object_set_new(doc, "sku", json_string(sku));
    json_object_set_new(doc, "name", name[0] != '\0' ? json_string(name)
                                                     : json_null());
    json_object_set_new(doc, "components",
                        json_is_object(comps) ? json_incref(comps)
                                              : json_null());
    json_decref(comps);

    list = json_array();

    for (i = 0; chans->type == REDIS_REPLY_ARRAY && i < chans->elements;
         i++)
    {
        json_array_append_new(list, json_string(chans->element[i]->str));
    }

    json_object_set_new(doc, "channels", list);

    return doc;
}


static void
invsyncctl_sku_show_print(json_t *doc, const char **v)
{
    size_t       i;
    json_t      *e;
    const char  *k, *name;

    name = json_string_value(json_object_get(doc, "name"));

    printf("%-12s %s\n", "sku", json_string_value(json_object_get(doc,
                                                                  "sku")));
    printf("%-12s %s\n", "name", name != NULL ? name : "-");

    if (json_is_object(json_object_get(doc, "components"))) {
        printf("%-12s", "components");

        json_object_foreach(json_object_get(doc, "components"), k, e) {
            printf(" %s:%lld", k, (long long) json_integer_value(e));
        }

        printf("\n");
    }

    printf("%-12s %s\n", "tags", v[0][0] != '\0' ? v[0] : "-");
    printf("%-12s %s%s\n", "weight", v[1][0] != '\0' ? v[1] : "-",
           v[1][0] != '\0' ? " g" : "");

    if (v[2][0] != '\0') {
        printf("%-12s %s x %s x %s mm (length x width x height)\n",
               "dimensions", v[2], v[3], v[4]);

    } else {
        printf("%-12s -\n", "dimensions");
    }

    printf("%-12s %s%s%s\n", "cost", v[5][0] != '\0' ? v[5] : "-",
           v[5][0] != '\0' ? " " : "", v[6]);

    printf("%-12s", "channels");

    json_array_foreach(json_object_get(doc, "channels"), i, e) {
        printf("%s%s", i > 0 ? ", " : " ", json_string_value(e));
    }

    printf("%s\n", json_array_size(json_object_get(doc, "channels")) == 0
                   ? " -" : "");
}
