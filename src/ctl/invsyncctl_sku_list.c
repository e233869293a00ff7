
/*
 * invsyncctl sku list: every SKU with its name, components and the
 * identifiers of each channel it is mapped on.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"
#include "invsync_stock.h"


static int invsyncctl_sku_cmp(const void *a, const void *b);


int
invsyncctl_sku_list(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos;
    char                 key[INVSYNCCTL_KEY_LEN], what[512], cursor[32];
    char                 comps[512];
    char               **skus, **more;
    size_t               i, j, n, cap, len;
    json_t              *list, *e, *chans, *ids, *c, *q;
    redisReply          *r, *def, *map;
    const char          *channel, *k, *pos[1];
    invsyncctl_table_t  *t;
    invsyncctl_opt_t     opts[] = {
        { "--channel", &channel, NULL },
        { NULL, NULL, NULL }
    };

    channel = NULL;
    skus = NULL;
    n = 0;
    cap = 0;
    list = NULL;
    t = NULL;

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_skus(key, sizeof(key), ctl->conf);
    snprintf(cursor, sizeof(cursor), "0");

    do {
        r = invsyncctl_redis(ctl, "SSCAN %s %s COUNT 1000", key, cursor);
        if (r == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
            || r->element[0]->type != REDIS_REPLY_STRING
            || r->element[1]->type != REDIS_REPLY_ARRAY)
        {
            freeReplyObject(r);
            fprintf(stderr, "invsyncctl: Redis answered SSCAN oddly\n");
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);

        for (i = 0; i < r->element[1]->elements; i++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                more = realloc(skus, cap * sizeof(char *));

                if (more == NULL) {
                    freeReplyObject(r);
                    fprintf(stderr, "invsyncctl: out of memory\n");
                    rc = INVSYNCCTL_USAGE;
                    goto failed;
                }

                skus = more;
            }

            skus[n] = strdup(r->element[1]->element[i]->str);

            if (skus[n] == NULL) {
                freeReplyObject(r);
                fprintf(stderr, "invsyncctl: out of memory\n");
                rc = INVSYNCCTL_USAGE;
                goto failed;
            }

            n++;
        }

        freeReplyObject(r);

    } while (strcmp(cursor, "0") != 0);

    /* SSCAN may return a member twice */
    if (n > 0) {
        qsort(skus, n, sizeof(char *), invsyncctl_sku_cmp);
    }

    list = json_array();
    if (list == NULL) {
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(skus[i], skus[i - 1]) == 0) {
            continue;
        }

        invsync_key_sku(key, sizeof(key), ctl->conf, skus[i]);

        def = invsyncctl_redis(ctl, "HMGET %s name components", key);
        if (def == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        invsync_key_skumap(key, sizeof(key), ctl->conf, skus[i]);

        map = invsyncctl_redis(ctl, "HGETALL %s", key);
        if (map == NULL) {
            freeReplyObject(def);
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        chans = json_object();

        for (j = 0; map->type == REDIS_REPLY_ARRAY && j + 1 < map->elements;
             j += 2)
        {
            ids = json_loadb(map->element[j + 1]->str,
                             map->element[j + 1]->len, 0, NULL);
            json_object_set_new(chans, map->element[j]->str,
                                ids != NULL ? ids
                                    : json_string(map->element[j + 1]->str));
        }

        freeReplyObject(map);

        if (channel != NULL && json_object_get(chans, channel) == NULL) {
            json_decref(chans);
            freeReplyObject(def);
            continue;
        }

        c = NULL;

        if (def->type == REDIS_REPLY_ARRAY && def->elements == 2
            && def->element[1]->type == REDIS_REPLY_STRING
            && def->element[1]->len > 0)
        {
            c = json_loadb(def->element[1]->str, def->element[1]->len, 0,
                           NULL);
        }

        e = json_pack("{s:s, s:s?, s:o?, s:o}", "sku", skus[i],
                      "name",
                      def->type == REDIS_REPLY_ARRAY && def->elements == 2
                      && def->element[0]->type == REDIS_REPLY_STRING
                      ? def->element[0]->str : NULL,
                      "components", c, "channels", chans);

        freeReplyObject(def);

        if (e == NULL || json_array_append_new(list, e) != 0) {
            fprintf(stderr, "invsyncctl: out of memory\n");
            rc = INVSYNCCTL_USAGE;
            goto failed;
        }
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s?, s:i, s:O}",
                                             "channel", channel,
                                             "count",
                                             (int) json_array_size(list),
                                             "skus", list));
        goto failed;
    }

    if (json_array_size(list) == 0) {
        if (channel != NULL) {
            printf("no SKUs mapped on %s\n", channel);

        } else {
            printf("no SKUs\n");
        }

        goto failed;
    }

    t = invsyncctl_table_new(5, 0, "sku", "name", "bundle of", "channel",
                             "identifiers");

    json_array_foreach(list, i, e) {
        comps[0] = '\0';
        len = 0;

        json_object_foreach(json_object_get(e, "components"), k, q) {
            len += snprintf(comps + len, sizeof(comps) - len, "%s%s:%lld",
                            len ? "," : "", k,
                            (long long) json_integer_value(q));

            if (len >= sizeof(comps)) {
                len = sizeof(comps) - 1;
            }
        }

        chans = json_object_get(e, "channels");

        if (json_object_size(chans) == 0) {
            invsyncctl_table_add(t, json_string_value(json_object_get(e,
                                                                      "sku")),
                                 json_string_value(json_object_get(e,
                                                                   "name")),
                                 comps, NULL, NULL);
            continue;
        }

        json_object_foreach(chans, k, ids) {
            if (channel != NULL && strcmp(k, channel) != 0) {
                continue;
            }

            invsyncctl_sku_describe(invsyncctl_sku_type(ctl, k, ids), ids,
                                    what, sizeof(what));
            invsyncctl_table_add(t, json_string_value(json_object_get(e,
                                                                      "sku")),
                                 json_string_value(json_object_get(e,
                                                                   "name")),
                                 comps, k, what);
        }
    }

    invsyncctl_table_print(t, stdout);

failed:

    invsyncctl_table_free(t);
    json_decref(list);

    for (i = 0; i < n; i++) {
        free(skus[i]);
    }

    free(skus);

    return rc;
}


static int
invsyncctl_sku_cmp(const void *a, const void *b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}
