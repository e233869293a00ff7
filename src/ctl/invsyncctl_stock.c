
/*
 * invsyncctl stock: one SKU's stock as the ledger holds it and what each
 * channel should show of it; counts and adjustments by people, applied
 * through the ledger script (the worker's only way to move stock too), so
 * that each is applied once, audited and marks the channels dirty; and
 * the SKU's audit history.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsyncctl.h"
#include "invsync_stock.h"


#define INVSYNCCTL_STOCK_QTY   1000000000L   /* Shopify's largest */
#define INVSYNCCTL_STOCK_LOC   63


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


static int invsyncctl_stock_get(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_stock_move(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_stock_history(invsyncctl_t *ctl, int argc,
    char **argv);
static int invsyncctl_stock_known(invsyncctl_t *ctl, const char *sku);
static int invsyncctl_stock_item(invsyncctl_t *ctl, const char *sku,
    invsyncctl_stock_item_t *it);
static int invsyncctl_stock_load(invsyncctl_t *ctl, const char *sku,
    invsync_stock_t *st);
static int64_t invsyncctl_stock_avail(const invsyncctl_stock_item_t *it,
    const invsync_stock_rules_t *rules);
static json_t *invsyncctl_stock_channels(invsyncctl_t *ctl, const char *sku,
    const invsyncctl_stock_item_t *it);
static json_t *invsyncctl_stock_bundles(invsyncctl_t *ctl, const char *sku);
static int invsyncctl_stock_location(invsyncctl_t *ctl, const char *loc);
static void invsyncctl_stock_cause(char *buf, size_t cap);
static void invsyncctl_stock_print(json_t *doc);
static const char *invsyncctl_stock_num(json_t *v, char *buf, size_t cap);


const char  invsyncctl_stock_usage[] =
    "usage: invsyncctl stock get SKU\n"
    "       invsyncctl stock set|count SKU --location L --qty N "
    "[--why TEXT] [--by WHO]\n"
    "       invsyncctl stock adjust SKU --location L --delta N "
    "[--why TEXT] [--by WHO]\n"
    "       invsyncctl stock history SKU [--limit N] [--since T] "
    "[--until T]\n"
    "\n"
    "One SKU's stock in the ledger.\n"
    "\n"
    "  get      on hand and reserved per location, unrouted, available;\n"
    "           for each channel it is mapped on, what that channel should\n"
    "           show by its stock rules and what it last acknowledged; a\n"
    "           bundle's availability from its components, and the bundles\n"
    "           made of the SKU\n"
    "  set, count\n"
    "           the SKU's on hand at location L is N (a stock count)\n"
    "  adjust   add N (negative: remove) to the on hand at location L\n"
    "  history  its audit entries, oldest first, as \"audit --sku\"\n"
    "  --why TEXT, --by WHO\n"
    "           for the audit (by: default $USER)\n"
    "  --json   get: {\"sku\", \"name\", \"bundle\", \"locations\", "
    "\"on_hand\",\n"
    "           \"reserved\", \"unrouted\", \"available\", \"components\",\n"
    "           \"channels\", \"bundles\"}; set/count/adjust: {\"sku\",\n"
    "           \"location\", \"kind\", \"before\", \"after\", \"audit\",\n"
    "           \"cause\"}; history: as audit\n"
    "\n"
    "Movements go through the ledger script, each with a cause of its own;\n"
    "they are audited (stock.count, stock.adjust, channel operator) and\n"
    "mark the SKU and its bundles dirty on every channel that shows them.\n"
    "Exit: 0, 1 usage (also: a bundle has no stock of its own), 2 unknown\n"
    "SKU, 3 Redis.\n";


static const struct {
    const char         *name;
    invsyncctl_run_pt   run;
} invsyncctl_stock_cmds[] = {
    { "get", invsyncctl_stock_get },
    { "set", invsyncctl_stock_move },
    { "count", invsyncctl_stock_move },
    { "adjust", invsyncctl_stock_move },
    { "history", invsyncctl_stock_history },
    { NULL, NULL }
};


int
invsyncctl_stock(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("stock", "give get, set, count, "
                                      "adjust or history");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(invsyncctl_stock_usage, stdout);
        return INVSYNCCTL_HELP;
    }

    for (i = 0; invsyncctl_stock_cmds[i].name != NULL; i++) {
        if (strcmp(argv[1], invsyncctl_stock_cmds[i].name) == 0) {
            return invsyncctl_stock_cmds[i].run(ctl, argc - 1, argv + 1);
        }
    }

    return invsyncctl_usage_error("stock", "unknown subcommand \"%s\"",
                                  argv[1]);
}


static int
invsyncctl_stock_get(invsyncctl_t *ctl, int argc, char **argv)
{
    int                       rc, npos;
    size_t                    i;
    json_t                   *doc, *locs, *comps;
    int64_t                   on_hand, reserved;
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

        for (i = 0; i < it->stock.nlocations; i++) {
            json_object_set_new(locs, it->stock.location[i],
                                json_pack("{s:I, s:I}", "on_hand",
                                          (json_int_t) it->stock.on_hand[i],
                                          "reserved",
                                          (json_int_t) it->stock.reserved[i]));
            on_hand += it->stock.on_hand[i];
            reserved += it->stock.reserved[i];
        }

        json_object_set_new(doc, "locations", locs);
        json_object_set_new(doc, "on_hand", json_integer(on_hand));
        json_object_set_new(doc, "reserved", json_integer(reserved));
        json_object_set_new(doc, "unrouted",
                            json_integer(it->stock.unrouted));
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


/* INVSYNCCTL_OK if the ledger knows the SKU, else says why */

static int
invsyncctl_stock_known(invsyncctl_t *ctl, const char *sku)
{
    int  known;

    known = invsyncctl_sku_known(ctl, sku);

    if (known < 0) {
        return INVSYNCCTL_REDIS;
    }

    if (known == 0) {
        fprintf(stderr, "invsyncctl: stock: unknown SKU \"%s\" (map it with "
                "\"sku map\" first)\n", sku);
        return INVSYNCCTL_NOTFOUND;
    }

    return INVSYNCCTL_OK;
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

    invsync_key(key, sizeof(key), ctl->conf, "sku:%s", sku);

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

    invsync_key(key, sizeof(key), ctl->conf, "stock:%s", sku);

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
    size_t   i;
    int64_t  a, q, least;

    if (!it->bundle) {
        return invsync_stock_available(&it->stock, rules);
    }

    least = 0;

    for (i = 0; i < it->ncomp; i++) {
        a = invsync_stock_available(&it->cstock[i], rules);

        /* floor, also below zero */
        q = a / it->qty[i];

        if (a % it->qty[i] != 0 && a < 0) {
            q--;
        }

        if (i == 0 || q < least) {
            least = q;
        }
    }

    return least;
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

    invsync_key(key, sizeof(key), ctl->conf, "skumap:%s", sku);

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

        invsync_key(key, sizeof(key), ctl->conf, "shown:%s", name);

        r = invsyncctl_redis(ctl, "HGET %s %s", key, sku);
        if (r == NULL) {
            json_decref(e);
            goto failed;
        }

        json_object_set_new(e, "shown", r->type == REDIS_REPLY_STRING
                                        ? json_integer(atoll(r->str))
                                        : json_null());
        freeReplyObject(r);

        invsync_key(key, sizeof(key), ctl->conf, "dirty:%s", name);

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

    invsync_key(key, sizeof(key), ctl->conf, "bundles:%s", sku);

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


static void
invsyncctl_stock_print(json_t *doc)
{
    char                 a[32], b[32], c[32], d[32];
    size_t               i;
    json_t              *e, *v;
    const char          *k, *name;
    invsyncctl_table_t  *t;

    name = json_string_value(json_object_get(doc, "name"));

    printf("%s%s%s%s\n", json_string_value(json_object_get(doc, "sku")),
           json_is_true(json_object_get(doc, "bundle")) ? " (bundle)" : "",
           name != NULL ? ": " : "", name != NULL ? name : "");

    if (json_is_true(json_object_get(doc, "bundle"))) {
        t = invsyncctl_table_new(3, 0x6, "component", "qty", "available");

        json_array_foreach(json_object_get(doc, "components"), i, e) {
            invsyncctl_table_add(t,
                json_string_value(json_object_get(e, "sku")),
                invsyncctl_stock_num(json_object_get(e, "qty"), a,
                                     sizeof(a)),
                invsyncctl_stock_num(json_object_get(e, "available"), b,
                                     sizeof(b)));
        }

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);

    } else {
        t = invsyncctl_table_new(3, 0x6, "location", "on hand", "reserved");

        json_object_foreach(json_object_get(doc, "locations"), k, v) {
            invsyncctl_table_add(t, k,
                invsyncctl_stock_num(json_object_get(v, "on_hand"), a,
                                     sizeof(a)),
                invsyncctl_stock_num(json_object_get(v, "reserved"), b,
                                     sizeof(b)));
        }

        invsyncctl_table_add(t, "total",
            invsyncctl_stock_num(json_object_get(doc, "on_hand"), a,
                                 sizeof(a)),
            invsyncctl_stock_num(json_object_get(doc, "reserved"), b,
                                 sizeof(b)));

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);

        printf("unrouted   %s\n",
               invsyncctl_stock_num(json_object_get(doc, "unrouted"), a,
                                    sizeof(a)));
    }

    printf("available  %s\n",
           invsyncctl_stock_num(json_object_get(doc, "available"), a,
                                sizeof(a)));

    if (json_array_size(json_object_get(doc, "channels")) > 0) {
        printf("\n");

        t = invsyncctl_table_new(6, 0x1c, "channel", "type", "available",
                                 "should show", "last shown", "push due");

        json_array_foreach(json_object_get(doc, "channels"), i, e) {
            invsyncctl_table_add(t,
                json_string_value(json_object_get(e, "channel")),
                json_string_value(json_object_get(e, "type")),
                invsyncctl_stock_num(json_object_get(e, "available"), a,
                                     sizeof(a)),
                invsyncctl_stock_num(json_object_get(e, "should_show"), b,
                                     sizeof(b)),
                invsyncctl_stock_num(json_object_get(e, "shown"), c,
                                     sizeof(c)),
                json_is_true(json_object_get(e, "dirty")) ? "yes" : "no");
        }

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);

    } else {
        printf("\nmapped on no channel\n");
    }

    if (json_array_size(json_object_get(doc, "bundles")) > 0) {
        printf("\n");

        t = invsyncctl_table_new(2, 0x2, "in bundle", "available");

        json_array_foreach(json_object_get(doc, "bundles"), i, e) {
            invsyncctl_table_add(t,
                json_string_value(json_object_get(e, "sku")),
                invsyncctl_stock_num(json_object_get(e, "available"), d,
                                     sizeof(d)));
        }

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);
    }
}


/* an integer as text, NULL ("-" in a table) for anything else */

static const char *
invsyncctl_stock_num(json_t *v, char *buf, size_t cap)
{
    if (!json_is_integer(v)) {
        return NULL;
    }

    snprintf(buf, cap, "%lld", (long long) json_integer_value(v));

    return buf;
}


/*
 * set/count (ledger kind "count": the on hand becomes N) and adjust (kind
 * "adjust": N is added), through ledger.lua with a cause of their own.
 */

static int
invsyncctl_stock_move(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos, adjust;
    char                *mv, sha[INVSYNCCTL_ID_LEN];
    char                 cause[64], done[INVSYNCCTL_KEY_LEN];
    char                 audit[INVSYNCCTL_KEY_LEN], k[INVSYNCCTL_KEY_LEN];
    char                 key[INVSYNCCTL_KEY_LEN];
    char                 ttl[32], now[32], maxlen[32], n_s[32];
    long                 n;
    size_t               i, lens[32];
    json_t              *detail;
    int64_t              moved, after;
    const char          *sku, *loc, *qty_s, *delta_s, *why, *by, *kind;
    const char          *action, *id, *pos[1], *args[32];
    redisReply          *r;
    invsyncctl_opt_t     opts[] = {
        { "--location", &loc, NULL },
        { "--qty", &qty_s, NULL },
        { "--delta", &delta_s, NULL },
        { "--why", &why, NULL },
        { "--by", &by, NULL },
        { NULL, NULL, NULL }
    };

    loc = NULL;
    qty_s = NULL;
    delta_s = NULL;
    why = NULL;
    by = NULL;
    mv = NULL;
    r = NULL;
    detail = NULL;

    adjust = strcmp(argv[0], "adjust") == 0;
    kind = adjust ? "adjust" : "count";
    action = adjust ? "stock.adjust" : "stock.count";

    rc = invsyncctl_args(ctl, "stock", invsyncctl_stock_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || loc == NULL) {
        return invsyncctl_usage_error("stock", "%s needs a SKU and "
                                      "--location", argv[0]);
    }

    sku = pos[0];

    if (!invsyncctl_sku_valid(sku)) {
        return invsyncctl_usage_error("stock", "\"%s\" is not a SKU", sku);
    }

    if (adjust ? (delta_s == NULL || qty_s != NULL)
               : (qty_s == NULL || delta_s != NULL))
    {
        return invsyncctl_usage_error("stock", adjust ? "adjust takes "
                                      "--delta N" : "%s takes --qty N",
                                      argv[0]);
    }

    if (invsyncctl_parse_long("stock", adjust ? "--delta" : "--qty",
                              adjust ? delta_s : qty_s,
                              adjust ? -INVSYNCCTL_STOCK_QTY : 0,
                              INVSYNCCTL_STOCK_QTY, &n)
        != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    if (adjust && n == 0) {
        return invsyncctl_usage_error("stock", "--delta 0 changes nothing");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (invsyncctl_stock_location(ctl, loc) != 0) {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_stock_known(ctl, sku);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key(key, sizeof(key), ctl->conf, "sku:%s", sku);

    r = invsyncctl_redis(ctl, "HGET %s components", key);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if (r->type == REDIS_REPLY_STRING && r->len > 0) {
        freeReplyObject(r);
        fprintf(stderr, "invsyncctl: stock: %s is a bundle: it has no stock "
                "of its own; count or adjust its components\n", sku);
        return INVSYNCCTL_USAGE;
    }

    freeReplyObject(r);

    detail = json_pack("{s:s, s:s, s:[{s:s, s:I, s:s}]}", "kind", kind,
                       "order", "", "lines", "sku", sku, "qty",
                       (json_int_t) n, "loc", loc);
    mv = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    detail = NULL;

    if (mv == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    r = invsyncctl_redis(ctl, "SCRIPT LOAD %b", invsync_script_ledger,
                         invsync_script_ledger_len);
    if (r == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    snprintf(sha, sizeof(sha), "%s", r->type == REDIS_REPLY_STRING ? r->str
                                                                   : "");
    freeReplyObject(r);
    r = NULL;

    invsyncctl_stock_cause(cause, sizeof(cause));

    invsync_key(done, sizeof(done), ctl->conf, "done:ledger:operator:%s",
                cause);
    invsync_key(audit, sizeof(audit), ctl->conf, "audit");
    invsync_key(k, sizeof(k), ctl->conf, "");

    snprintf(ttl, sizeof(ttl), "%ld", ctl->conf->effect_ttl_s);
    snprintf(now, sizeof(now), "%lld", (long long) ctl->now);
    snprintf(maxlen, sizeof(maxlen), "%ld", ctl->conf->audit_max_len);
    snprintf(n_s, sizeof(n_s), "%ld", n);

    i = 0;
    args[i++] = done;
    args[i++] = audit;
    args[i++] = ttl;
    args[i++] = now;
    args[i++] = k;
    args[i++] = mv;
    args[i++] = maxlen;
    args[i++] = "ts";
    args[i++] = now;
    args[i++] = "action";
    args[i++] = action;
    args[i++] = "channel";
    args[i++] = "operator";
    args[i++] = "event";
    args[i++] = cause;
    args[i++] = "by";
    args[i++] = invsyncctl_by(by);
    args[i++] = "why";
    args[i++] = why != NULL ? why : "";
    args[i++] = "location";
    args[i++] = loc;
    args[i++] = adjust ? "delta" : "qty";
    args[i++] = n_s;

    for (npos = 0; (size_t) npos < i; npos++) {
        lens[npos] = strlen(args[npos]);
    }

    r = invsync_redis_eval(&ctl->w, sha, invsync_script_ledger,
                           invsync_script_ledger_len, 2, (int) i, args, lens);

    if (r == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during the "
                "ledger script\n");
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis refused the ledger script: %s\n",
                r->str);
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2
        || r->element[0]->type != REDIS_REPLY_INTEGER
        || r->element[1]->type != REDIS_REPLY_STRING)
    {
        fprintf(stderr, "invsyncctl: the ledger script answered oddly\n");
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    id = r->element[1]->str;

    if (r->element[0]->integer == 0) {
        /* a fresh cause each time: only a clash of random ids gets here */
        fprintf(stderr, "invsyncctl: stock: cause %s was applied before "
                "(audit %s); nothing done\n", cause, id);
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    moved = 0;

    if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_STRING) {
        detail = json_loadb(r->element[2]->str, r->element[2]->len, 0, NULL);
        moved = json_integer_value(json_object_get(json_object_get(detail,
                                                                   "moved"),
                                                   sku));

        /* cjson writes every number as a real */
        if (json_is_real(json_object_get(json_object_get(detail, "moved"),
                                         sku)))
        {
            moved = (int64_t) json_real_value(json_object_get(
                                  json_object_get(detail, "moved"), sku));
        }
    }

    invsync_key(key, sizeof(key), ctl->conf, "stock:%s", sku);

    snprintf(sha, sizeof(sha), "%s", id);
    freeReplyObject(r);

    r = invsyncctl_redis(ctl, "HGET %s on_hand:%s", key, loc);
    if (r == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    after = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:s, s:I, s:I, "
                                             "s:I, s:s, s:s}",
                                             "sku", sku, "location", loc,
                                             "kind", kind,
                                             "before",
                                             (json_int_t) (after - moved),
                                             "after", (json_int_t) after,
                                             "delta", (json_int_t) moved,
                                             "audit", sha,
                                             "cause", cause));

    } else {
        printf("%s %s at %s: on hand %lld -> %lld (audit %s)\n",
               adjust ? "adjusted" : "counted", sku, loc,
               (long long) (after - moved), (long long) after, sha);
    }

failed:

    json_decref(detail);
    freeReplyObject(r);
    free(mv);

    return rc;
}


/*
 * A location name as the ledger keeps it (on_hand:<loc>); when worker.json
 * lists locations with an "id", one of those.  0, or -1 with the reason
 * said.
 */

static int
invsyncctl_stock_location(invsyncctl_t *ctl, const char *loc)
{
    int          listed;
    size_t       i, n;
    json_t      *locs, *l, *id;
    const char  *p;

    n = strlen(loc);

    for (p = loc; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || strchr("-_.:", *p) != NULL))
        {
            break;
        }
    }

    if (n == 0 || n > INVSYNCCTL_STOCK_LOC || *p != '\0') {
        invsyncctl_usage_error("stock", "--location: a name of 1 to %d "
                               "letters, digits and -_.:, not \"%s\"",
                               INVSYNCCTL_STOCK_LOC, loc);
        return -1;
    }

    locs = json_object_get(ctl->conf->root, "locations");
    listed = 0;

    json_array_foreach(locs, i, l) {
        id = json_object_get(l, "id");

        if (json_is_string(id)) {
            listed = 1;

            if (strcmp(json_string_value(id), loc) == 0) {
                return 0;
            }
        }
    }

    if (listed) {
        invsyncctl_usage_error("stock", "--location: no location \"%s\" in "
                               "%s", loc, ctl->config);
        return -1;
    }

    return 0;
}


/* a random UUID (version 4), or time, pid and random() if none is had */

static void
invsyncctl_stock_cause(char *buf, size_t cap)
{
    int            fd;
    ssize_t        n;
    unsigned char  b[16];

    n = -1;
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        n = read(fd, b, sizeof(b));
        close(fd);
    }

    if (n != (ssize_t) sizeof(b)) {
        srandom((unsigned) (invsync_now_ms() ^ getpid()));
        snprintf(buf, cap, "%lld-%ld-%ld", (long long) invsync_now_ms(),
                 (long) getpid(), random());
        return;
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    snprintf(buf, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
             b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}


/*
 * The SKU's audit entries: "audit --sku SKU", after checking that the SKU
 * is known or has a history.  audit opens its own session.
 */

static int
invsyncctl_stock_history(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos, known, n;
    long               limit;
    char               key[INVSYNCCTL_KEY_LEN];
    char              *args[9];
    redisReply        *r;
    const char        *sku, *limit_s, *since_s, *until_s, *pos[1];
    invsyncctl_opt_t   opts[] = {
        { "--limit", &limit_s, NULL },
        { "--since", &since_s, NULL },
        { "--until", &until_s, NULL },
        { NULL, NULL, NULL }
    };

    limit_s = NULL;
    since_s = NULL;
    until_s = NULL;

    rc = invsyncctl_args(ctl, "stock", invsyncctl_stock_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("stock", "history needs a SKU");
    }

    sku = pos[0];

    if (!invsyncctl_sku_valid(sku)) {
        return invsyncctl_usage_error("stock", "\"%s\" is not a SKU", sku);
    }

    if (limit_s != NULL
        && invsyncctl_parse_long("stock", "--limit", limit_s, 1, 1000000,
                                 &limit)
           != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    known = invsyncctl_sku_known(ctl, sku);

    if (known == 0) {
        invsync_key(key, sizeof(key), ctl->conf, "audit:sku:%s", sku);

        r = invsyncctl_redis(ctl, "EXISTS %s", key);
        if (r == NULL) {
            return INVSYNCCTL_REDIS;
        }

        known = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
        freeReplyObject(r);
    }

    if (known < 0) {
        return INVSYNCCTL_REDIS;
    }

    if (known == 0) {
        fprintf(stderr, "invsyncctl: stock: unknown SKU \"%s\"\n", sku);
        return INVSYNCCTL_NOTFOUND;
    }

    /* audit loads the configuration and connects again */
    invsync_redis_close(&ctl->w);
    invsync_conf_free(ctl->conf);
    ctl->conf = NULL;
    ctl->w.conf = NULL;

    n = 0;
    args[n++] = "audit";
    args[n++] = "--sku";
    args[n++] = (char *) sku;

    if (limit_s != NULL) {
        args[n++] = "--limit";
        args[n++] = (char *) limit_s;
    }

    if (since_s != NULL) {
        args[n++] = "--since";
        args[n++] = (char *) since_s;
    }

    if (until_s != NULL) {
        args[n++] = "--until";
        args[n++] = (char *) until_s;
    }

    args[n] = NULL;

    return invsyncctl_audit(ctl, n, args);
}
