
/*
 * invsyncctl sku bundle: a SKU made of others, checked and written by
 * bundle.lua with the audit entry.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"
#include "invsync_stock.h"


#define INVSYNCCTL_SKU_QTY     100000


static int invsyncctl_sku_components(const char *sku, const char *spec,
    json_t **out);
static int invsyncctl_sku_bundle_write(invsyncctl_t *ctl, const char *sku,
    const char *comp_s, const char *name, const char *by, const char *why,
    char *audit);


/*
 * A bundle: components {sku: qty}, each a known SKU and no bundle itself
 * (the ledger expands one level).  The bundle may have no stock of its own
 * (it would never be seen again) and be no component (no nesting);
 * bundle.lua checks both and writes the definition with its audit entry.
 */

int
invsyncctl_sku_bundle(invsyncctl_t *ctl, int argc, char **argv)
{
    int                 rc, npos;
    char               *comp_s;
    char                audit[INVSYNCCTL_ID_LEN];
    json_t             *comps;
    const char         *sku, *spec, *name, *by, *why, *pos[1];
    invsyncctl_opt_t    opts[] = {
        { "--components", &spec, NULL },
        { "--name", &name, NULL },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    spec = NULL;
    name = NULL;
    by = NULL;
    why = NULL;
    comp_s = NULL;
    comps = NULL;

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || spec == NULL) {
        return invsyncctl_usage_error("sku", "bundle needs a SKU and "
                                      "--components SKU:QTY,...");
    }

    sku = pos[0];

    if (!invsyncctl_sku_valid(sku)) {
        return invsyncctl_usage_error("sku", "\"%s\" is not a SKU", sku);
    }

    if (name != NULL && !invsyncctl_sku_text(name)) {
        return invsyncctl_usage_error("sku", "--name must be 1 to %d bytes "
                                      "without control bytes",
                                      INVSYNCCTL_SKU_TEXT);
    }

    rc = invsyncctl_sku_components(sku, spec, &comps);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    comp_s = json_dumps(comps, JSON_COMPACT);
    if (comp_s == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    rc = invsyncctl_sku_bundle_write(ctl, sku, comp_s, name, by, why, audit);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:O, s:s}", "sku", sku,
                                             "components", comps,
                                             "audit", audit));

    } else {
        printf("bundle %s = %s (audit %s)\n", sku, spec, audit);
    }

failed:

    json_decref(comps);
    free(comp_s);

    return rc;
}


/* "A:2,B:1" into a new {"A": 2, "B": 1}; a usage error is said */

static int
invsyncctl_sku_components(const char *sku, const char *spec, json_t **out)
{
    int      rc;
    char    *list, *tok, *save, *colon, *end;
    long     q;
    json_t  *comps;

    rc = INVSYNCCTL_OK;
    comps = json_object();
    list = strdup(spec);

    if (comps == NULL || list == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    for (tok = strtok_r(list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save))
    {
        colon = strrchr(tok, ':');

        if (colon == NULL) {
            rc = invsyncctl_usage_error("sku", "a component is SKU:QTY, not "
                                        "\"%s\"", tok);
            goto failed;
        }

        *colon = '\0';
        errno = 0;
        q = strtol(colon + 1, &end, 10);

        if (errno != 0 || end == colon + 1 || *end != '\0' || q < 1
            || q > INVSYNCCTL_SKU_QTY || !invsyncctl_sku_valid(tok)
            || strcmp(tok, sku) == 0)
        {
            rc = invsyncctl_usage_error("sku", "a component is SKU:QTY, QTY "
                                        "1 to %d, another SKU than the "
                                        "bundle; not \"%s:%s\"",
                                        INVSYNCCTL_SKU_QTY, tok, colon + 1);
            goto failed;
        }

        if (json_object_get(comps, tok) != NULL) {
            rc = invsyncctl_usage_error("sku", "component %s is given twice",
                                        tok);
            goto failed;
        }

        json_object_set_new(comps, tok, json_integer(q));
    }

    if (json_object_size(comps) == 0
        || json_object_size(comps) > INVSYNC_STOCK_MAX_COMPONENTS)
    {
        rc = invsyncctl_usage_error("sku", "a bundle has 1 to %d components",
                                    INVSYNC_STOCK_MAX_COMPONENTS);
        goto failed;
    }

    *out = comps;
    comps = NULL;

failed:

    json_decref(comps);
    free(list);

    return rc;
}


/* bundle.lua; its refusals said as the operator reads them */

static int
invsyncctl_sku_bundle_write(invsyncctl_t *ctl, const char *sku,
    const char *comp_s, const char *name, const char *by, const char *why,
    char *audit)
{
    int                 rc;
    char                def[INVSYNCCTL_KEY_LEN];
    redisReply         *r;
    const char         *what, *arg;
    invsyncctl_argv_t   a;

    invsync_key_sku(def, sizeof(def), ctl->conf, sku);

    invsyncctl_sku_script_args(ctl, &a, def);
    invsyncctl_sku_add(&a, sku);
    invsyncctl_sku_add(&a, comp_s);
    invsyncctl_sku_add(&a, name);
    invsyncctl_sku_add(&a, invsyncctl_by(by));
    invsyncctl_sku_add(&a, why);

    r = invsyncctl_script(ctl, "bundle", ctl->w.bundle_sha,
                          invsync_script_bundle, invsync_script_bundle_len,
                          2, &a);
    invsyncctl_argv_free(&a);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    what = invsyncctl_sku_outcome(r, "bundle", 1);
    arg = what != NULL && r->elements == 2 ? r->element[1]->str : NULL;
    rc = INVSYNCCTL_USAGE;

    if (what == NULL) {
        rc = INVSYNCCTL_REDIS;

    } else if (strcmp(what, "done") == 0 && arg != NULL) {
        snprintf(audit, INVSYNCCTL_ID_LEN, "%s", arg);
        rc = INVSYNCCTL_OK;

    } else if (strcmp(what, "stock") == 0) {
        fprintf(stderr, "invsyncctl: sku bundle: %s has stock of its own, "
                "which a bundle never shows: count it to 0 first\n", sku);

    } else if (strcmp(what, "component") == 0) {
        fprintf(stderr, "invsyncctl: sku bundle: %s is a component of a "
                "bundle; bundles do not nest\n", sku);

    } else if (strcmp(what, "unknown") == 0 && arg != NULL) {
        fprintf(stderr, "invsyncctl: sku bundle: unknown component SKU "
                "\"%s\"\n", arg);
        rc = INVSYNCCTL_NOTFOUND;

    } else if (strcmp(what, "nested") == 0 && arg != NULL) {
        fprintf(stderr, "invsyncctl: sku bundle: component %s is a bundle "
                "itself; bundles do not nest\n", arg);

    } else {
        invsyncctl_sku_outcome(r, "bundle", 0);
        rc = INVSYNCCTL_REDIS;
    }

    freeReplyObject(r);

    return rc;
}
