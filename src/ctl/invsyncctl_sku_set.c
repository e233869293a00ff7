
/*
 * invsyncctl sku set: a SKU's routing attributes (tags, weight,
 * dimensions), which order routing matches against locations'
 * capabilities and builds parcels from.  Written by skuattr.lua, which
 * checks and normalizes them, so that the worker writes them the same
 * way; this file also holds what import and show use of them.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"


#define INVSYNCCTL_SKU_DIMS_LEN  128
#define INVSYNCCTL_SKU_TAGS_LEN  1100    /* 32 tags of 32 bytes, commas */


static int invsyncctl_sku_set_dims(const char *dims, char *buf,
    invsyncctl_sku_attr_t *at);
static int invsyncctl_sku_set_clash(const char *set, int clear,
    const char *opt, const char *clear_opt);
static void invsyncctl_sku_attr_text(const char **v, char *buf, size_t cap);


/* the fields of K sku:<sku>, a contract with routing (docs/keys.md) */
const char  *invsyncctl_sku_attr_names[] = {
    "tags", "weight_g", "length_mm", "width_mm", "height_mm", "cost_minor",
    "cost_currency", NULL
};


int
invsyncctl_sku_set(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos, clear_tags, clear_weight, clear_dims;
    int                     clear_cost;
    char                    err[INVSYNC_ERR_LEN];
    char                    text[INVSYNCCTL_SKU_TAGS_LEN + 128];
    char                    dbuf[INVSYNCCTL_SKU_DIMS_LEN];
    redisReply             *r;
    const char             *tags, *weight, *dims, *by, *why, *pos[1];
    const char             *cost, *currency;
    const char             *v[INVSYNCCTL_SKU_ATTRS];
    invsyncctl_sku_attr_t   at;
    invsyncctl_opt_t        opts[] = {
        { "--tags", &tags, NULL },
        { "--weight-g", &weight, NULL },
        { "--dims", &dims, NULL },
        { "--clear-tags", NULL, &clear_tags },
        { "--clear-weight", NULL, &clear_weight },
        { "--clear-dims", NULL, &clear_dims },
        { "--cost-minor", &cost, NULL },
        { "--currency", &currency, NULL },
        { "--clear-cost", NULL, &clear_cost },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    tags = NULL;
    weight = NULL;
    dims = NULL;
    by = NULL;
    why = NULL;
    clear_tags = 0;
    clear_weight = 0;
    clear_dims = 0;
    cost = NULL;
    currency = NULL;
    clear_cost = 0;
    memset(&at, 0, sizeof(invsyncctl_sku_attr_t));

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || !invsyncctl_sku_valid(pos[0])) {
        return invsyncctl_usage_error("sku", "set needs a SKU (1 to %d "
                                      "bytes, no blank or comma)",
                                      INVSYNCCTL_SKU_MAX);
    }

    if (invsyncctl_sku_set_clash(tags, clear_tags, "--tags", "--clear-tags")
        || invsyncctl_sku_set_clash(weight, clear_weight, "--weight-g",
                                    "--clear-weight")
        || invsyncctl_sku_set_clash(dims, clear_dims, "--dims",
                                    "--clear-dims")
        || invsyncctl_sku_set_clash(cost, clear_cost, "--cost-minor",
                                    "--clear-cost"))
    {
        return INVSYNCCTL_USAGE;
    }

    at.val[0] = clear_tags ? "" : tags;
    at.val[1] = clear_weight ? "" : weight;
    at.val[5] = clear_cost ? "" : cost;
    at.val[6] = clear_cost ? "" : currency;

    if (clear_dims) {
        at.val[2] = "";
        at.val[3] = "";
        at.val[4] = "";

    } else if (dims != NULL
               && invsyncctl_sku_set_dims(dims, dbuf, &at) != 0)
    {
        return invsyncctl_usage_error("sku", "--dims is LENGTHxWIDTHxHEIGHT "
                                      "in millimetres, e.g. 300x200x150, "
                                      "not \"%s\"", dims);
    }

    if (!invsyncctl_sku_attr_given(&at)) {
        return invsyncctl_usage_error("sku", "set needs --tags, --weight-g, "
                                      "--dims, --cost-minor with "
                                      "--currency or a --clear- option");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_sku_attr_write(ctl, pos[0], &at, by, why, &r, err,
                                   sizeof(err));
    if (rc != INVSYNCCTL_OK) {
        if (rc != INVSYNCCTL_REDIS) {
            fprintf(stderr, "invsyncctl: sku set: %s\n", err);
        }

        return rc;
    }

    invsyncctl_sku_attr_values(r, v);

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:o, s:b, s:s?}",
                                             "sku", pos[0],
                                             "attributes",
                                             invsyncctl_sku_attr_json(v),
                                             "changed",
                                             strcmp(r->element[0]->str,
                                                    "done") == 0,
                                             "audit",
                                             strcmp(r->element[0]->str,
                                                    "done") == 0
                                             ? r->element[1]->str : NULL));

    } else {
        invsyncctl_sku_attr_text(v, text, sizeof(text));

        if (strcmp(r->element[0]->str, "done") == 0) {
            printf("set %s: %s (audit %s)\n", pos[0], text,
                   r->element[1]->str);

        } else {
            printf("%s has these attributes already: %s\n", pos[0], text);
        }
    }

    freeReplyObject(r);

    return rc;
}


/* an option and the one clearing the same attribute: not both, no "" */

static int
invsyncctl_sku_set_clash(const char *set, int clear, const char *opt,
    const char *clear_opt)
{
    if (set != NULL && clear) {
        invsyncctl_usage_error("sku", "give %s or %s, not both", opt,
                               clear_opt);
        return 1;
    }

    if (set != NULL && set[0] == '\0') {
        invsyncctl_usage_error("sku", "%s is empty; %s removes the "
                               "attribute", opt, clear_opt);
        return 1;
    }

    return 0;
}


/*
 * --dims LxWxH split into at's three dimensions, pointing into buf
 * (INVSYNCCTL_SKU_DIMS_LEN bytes); the numbers are checked by the script.
 * -1 unless three non-empty parts.
 */

static int
invsyncctl_sku_set_dims(const char *dims, char *buf,
    invsyncctl_sku_attr_t *at)
{
    char    *p;
    size_t   i, n;

    if (strlen(dims) >= INVSYNCCTL_SKU_DIMS_LEN) {
        return -1;
    }

    strcpy(buf, dims);
    p = buf;

    for (i = 0; i < 3; i++) {
        at->val[2 + i] = p;
        n = strcspn(p, "xX");

        if (n == 0) {
            return -1;
        }

        p += n;

        if (i < 2) {
            if (*p == '\0') {
                return -1;
            }

            *p++ = '\0';
        }
    }

    return *p == '\0' ? 0 : -1;
}


/* 1 if at changes any attribute */

int
invsyncctl_sku_attr_given(const invsyncctl_sku_attr_t *at)
{
    size_t  i;

    for (i = 0; i < INVSYNCCTL_SKU_ATTRS; i++) {
        if (at->val[i] != NULL) {
            return 1;
        }
    }

    return 0;
}


/*
 * skuattr.lua on one SKU.  INVSYNCCTL_OK with *r its {'done', audit,
 * values...} or {'same', values...} (the caller frees it); else
 * INVSYNCCTL_USAGE (a refused value) or INVSYNCCTL_NOTFOUND (an unknown
 * SKU) with the reason in err, or INVSYNCCTL_REDIS, said.
 */

int
invsyncctl_sku_attr_write(invsyncctl_t *ctl, const char *sku,
    const invsyncctl_sku_attr_t *at, const char *by, const char *why,
    redisReply **r, char *err, size_t len)
{
    int                 rc;
    char                def[INVSYNCCTL_KEY_LEN];
    size_t              i;
    redisReply         *x;
    const char         *what;
    invsyncctl_argv_t   a;

    *r = NULL;

    invsync_key_sku(def, sizeof(def), ctl->conf, sku);

    invsyncctl_sku_script_args(ctl, &a, def);
    invsyncctl_sku_add(&a, sku);
    invsyncctl_sku_add(&a, invsyncctl_by(by));
    invsyncctl_sku_add(&a, why);

    for (i = 0; i < INVSYNCCTL_SKU_ATTRS; i++) {
        if (at->val[i] != NULL) {
            invsyncctl_sku_add(&a, invsyncctl_sku_attr_names[i]);
            invsyncctl_sku_add(&a, at->val[i]);
        }
    }

    x = invsyncctl_script(ctl, "skuattr", ctl->w.skuattr_sha,
                          invsync_script_skuattr, invsync_script_skuattr_len,
                          2, &a);
    invsyncctl_argv_free(&a);

    if (x == NULL) {
        return INVSYNCCTL_REDIS;
    }

    what = invsyncctl_sku_outcome(x, "skuattr", 1);
    rc = INVSYNCCTL_USAGE;

    if (what == NULL) {
        rc = INVSYNCCTL_REDIS;

    } else if ((strcmp(what, "done") == 0
                && x->elements == 2 + INVSYNCCTL_SKU_ATTRS)
               || (strcmp(what, "same") == 0
                   && x->elements == 1 + INVSYNCCTL_SKU_ATTRS))
    {
        *r = x;
        return INVSYNCCTL_OK;

    } else if (strcmp(what, "unknown") == 0) {
        snprintf(err, len, "unknown SKU \"%s\": map it, define it as a "
                 "bundle or give it stock first", sku);
        rc = INVSYNCCTL_NOTFOUND;

    } else if (strcmp(what, "bad") == 0 && x->elements == 3) {
        snprintf(err, len, "%s", x->element[2]->str);

    } else if (strcmp(what, "cost") == 0) {
        snprintf(err, len, "a cost goes with its currency: give "
                 "--cost-minor N --currency XXX together, or none");

    } else if (strcmp(what, "dims") == 0) {
        snprintf(err, len, "the dimensions go together: give length, width "
                 "and height (--dims LxWxH), or none");

    } else {
        invsyncctl_sku_outcome(x, "skuattr", 0);
        rc = INVSYNCCTL_REDIS;
    }

    freeReplyObject(x);

    return rc;
}


/* v[i]: attribute i of a skuattr.lua answer, "" where absent; v itself */

const char **
invsyncctl_sku_attr_values(const redisReply *r, const char **v)
{
    size_t  i, first;

    first = strcmp(r->element[0]->str, "done") == 0 ? 2 : 1;

    for (i = 0; i < INVSYNCCTL_SKU_ATTRS; i++) {
        v[i] = r->element[first + i]->str;
    }

    return v;
}


/*
 * The attributes as JSON, new: tags a list, the numbers integers, null
 * where absent.  v[i] is attribute i, "" where absent.
 */

json_t *
invsyncctl_sku_attr_json(const char **v)
{
    char    tags[INVSYNCCTL_SKU_TAGS_LEN], *t, *save;
    size_t  i;
    json_t  *o, *list;

    o = json_object();
    list = json_array();

    snprintf(tags, sizeof(tags), "%s", v[0]);

    for (t = strtok_r(tags, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save))
    {
        json_array_append_new(list, json_string(t));
    }

    json_object_set_new(o, invsyncctl_sku_attr_names[0], list);

    for (i = 1; i < INVSYNCCTL_SKU_ATTRS; i++) {
        json_object_set_new(o, invsyncctl_sku_attr_names[i],
                            v[i][0] == '\0' ? json_null()
                            : i == INVSYNCCTL_SKU_ATTRS - 1
                            ? json_string(v[i])
                            : json_integer(strtoll(v[i], NULL, 10)));
    }

    return o;
}


/* "tags cold,hazmat; weight 350 g; dimensions 300 x 200 x 150 mm" */

static void
invsyncctl_sku_attr_text(const char **v, char *buf, size_t cap)
{
    char  weight[32], dims[64], cost[64];

    if (v[1][0] != '\0') {
        snprintf(weight, sizeof(weight), "%s g", v[1]);

    } else {
        snprintf(weight, sizeof(weight), "none");
    }

    if (v[2][0] != '\0') {
        snprintf(dims, sizeof(dims), "%s x %s x %s mm", v[2], v[3], v[4]);

    } else {
        snprintf(dims, sizeof(dims), "none");
    }

    snprintf(cost, sizeof(cost), "%s%s%s", v[5][0] != '\0' ? v[5] : "none",
             v[5][0] != '\0' ? " " : "", v[6]);
    snprintf(buf, cap, "tags %s; weight %s; dimensions %s; cost %s",
             v[0][0] != '\0' ? v[0] : "none", weight, dims, cost);
}
