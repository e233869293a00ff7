
/*
 * worker.json "returns": the restock rules (docs/returns.md), each key
 * refused with its JSON path and reason.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_config_read.h"
#include "invsync_returns.h"


static int invsync_returns_as(invsync_cfg_t *c, const char *path,
    json_t *v, invsync_restock_as_e *as);
static int invsync_returns_tags(invsync_cfg_t *c, json_t *r,
    invsync_returns_conf_t *out);
static int invsync_returns_reasons(invsync_cfg_t *c, json_t *r,
    invsync_returns_conf_t *out);
static int invsync_returns_location(invsync_cfg_t *c, json_t *root,
    json_t *r, invsync_returns_conf_t *out);


static const char  *invsync_returns_keys[] = {
    "restock_on", "returns_location", "never_restock_tags", "reasons",
    "opened", "refund_on", NULL
};


int
invsync_returns_conf_parse(const char *file, json_t *root,
    invsync_returns_conf_t *out, char *why, size_t len)
{
    json_t         *r, *v;
    const char     *on;
    invsync_cfg_t   c;

    c.file = file;
    c.err = why;
    c.len = len;

    memset(out, 0, sizeof(invsync_returns_conf_t));

    r = invsync_cfg_object(&c, root, "$", "returns");
    if (r == NULL) {
        return json_object_get(root, "returns") != NULL ? -1 : 0;
    }

    if (invsync_cfg_keys(&c, r, "$.returns", invsync_returns_keys) != 0) {
        return -1;
    }

    v = json_object_get(r, "restock_on");
    on = json_string_value(v);

    if (v != NULL && (on == NULL || (strcmp(on, "refund") != 0
                                     && strcmp(on, "receipt") != 0)))
    {
        return invsync_cfg_fail(&c, "$.returns.restock_on",
                                "must be \"refund\" or \"receipt\"");
    }

    out->restock_on = (on != NULL && strcmp(on, "refund") == 0)
                      ? INVSYNC_RESTOCK_ON_REFUND
                      : INVSYNC_RESTOCK_ON_RECEIPT;

    /* a refund the receipt owes: made on the channel, or left to people */
    v = json_object_get(r, "refund_on");
    on = json_string_value(v);

    if (v != NULL && (on == NULL || (strcmp(on, "receipt") != 0
                                     && strcmp(on, "manual") != 0)))
    {
        return invsync_cfg_fail(&c, "$.returns.refund_on",
                                "must be \"receipt\" or \"manual\"");
    }

    out->refund_on_receipt = on != NULL && strcmp(on, "receipt") == 0;

    v = json_object_get(r, "opened");
    if (v != NULL
        && invsync_returns_as(&c, "$.returns.opened", v, &out->opened) != 0)
    {
        return -1;
    }

    if (invsync_returns_tags(&c, r, out) != 0
        || invsync_returns_reasons(&c, r, out) != 0)
    {
        return -1;
    }

    return invsync_returns_location(&c, root, r, out);
}


void
invsync_returns_conf_free(invsync_returns_conf_t *rc)
{
    size_t  i;

    for (i = 0; i < rc->ntags; i++) {
        free(rc->never_tags[i]);
    }

    for (i = 0; i < rc->nreasons; i++) {
        free(rc->reasons[i].reason);
    }

    free(rc->returns_location);
    memset(rc, 0, sizeof(invsync_returns_conf_t));
}


/* "resellable", "damaged" or "no_restock" */
static int
invsync_returns_as(invsync_cfg_t *c, const char *path, json_t *v,
    invsync_restock_as_e *as)
{
    const char  *s;

    s = json_string_value(v);

    if (s != NULL && strcmp(s, "resellable") == 0) {
        *as = INVSYNC_RESTOCK_AS_RESELLABLE;

    } else if (s != NULL && strcmp(s, "damaged") == 0) {
        *as = INVSYNC_RESTOCK_AS_DAMAGED;

    } else if (s != NULL && strcmp(s, "no_restock") == 0) {
        *as = INVSYNC_RESTOCK_AS_NONE;

    } else {
        return invsync_cfg_fail(c, path, "must be \"resellable\", "
                                "\"damaged\" or \"no_restock\"");
    }

    return 0;
}


/* "never_restock_tags": ["perishable", ...] */
static int
invsync_returns_tags(invsync_cfg_t *c, json_t *r, invsync_returns_conf_t *out)
{
    size_t   i;
    json_t  *tags, *tag;

    tags = json_object_get(r, "never_restock_tags");
    if (tags == NULL) {
        return 0;
    }

    if (!json_is_array(tags)) {
        return invsync_cfg_fail(c, "$.returns.never_restock_tags",
                                "must be an array of tags");
    }

    if (json_array_size(tags) > INVSYNC_RETURNS_MAX_TAGS) {
        return invsync_cfg_fail(c, "$.returns.never_restock_tags",
                                "at most %d tags", INVSYNC_RETURNS_MAX_TAGS);
    }

    json_array_foreach(tags, i, tag) {
        if (!json_is_string(tag) || json_string_length(tag) == 0) {
            return invsync_cfg_fail(c, "$.returns.never_restock_tags",
                                    "[%zu] must be a non-empty string", i);
        }

        out->never_tags[i] = strdup(json_string_value(tag));
        if (out->never_tags[i] == NULL) {
            return invsync_cfg_fail(c, "$.returns", "out of memory");
        }

        out->ntags = i + 1;
    }

    return 0;
}


/* "reasons": {"<reason>": "resellable" | "damaged" | "no_restock"} */
static int
invsync_returns_reasons(invsync_cfg_t *c, json_t *r,
    invsync_returns_conf_t *out)
{
    char         path[300];
    json_t      *reasons, *v;
    const char  *k;

    reasons = invsync_cfg_object(c, r, "$.returns", "reasons");
    if (reasons == NULL) {
        return json_object_get(r, "reasons") != NULL ? -1 : 0;
    }

    if (json_object_size(reasons) > INVSYNC_RETURNS_MAX_REASONS) {
        return invsync_cfg_fail(c, "$.returns.reasons", "at most %d reasons",
                                INVSYNC_RETURNS_MAX_REASONS);
    }

    json_object_foreach(reasons, k, v) {
        snprintf(path, sizeof(path), "$.returns.reasons.%s", k);

        if (invsync_returns_as(c, path, v, &out->reasons[out->nreasons].as)
            != 0)
        {
            return -1;
        }

        out->reasons[out->nreasons].reason = strdup(k);
        if (out->reasons[out->nreasons].reason == NULL) {
            return invsync_cfg_fail(c, "$.returns", "out of memory");
        }

        out->nreasons++;
    }

    return 0;
}


/* "returns_location": one of "locations" when the file names any */
static int
invsync_returns_location(invsync_cfg_t *c, json_t *root, json_t *r,
    invsync_returns_conf_t *out)
{
    size_t   i;
    json_t  *locs, *loc;

    if (invsync_cfg_str(c, r, "$.returns", "returns_location", NULL,
                        &out->returns_location) != 0)
    {
        return -1;
    }

    locs = json_object_get(root, "locations");

    if (out->returns_location == NULL || json_array_size(locs) == 0) {
        return 0;
    }

    json_array_foreach(locs, i, loc) {
        if (strcmp(json_string_value(json_object_get(loc, "id")) ?: "",
                   out->returns_location) == 0)
        {
            return 0;
        }
    }

    return invsync_cfg_fail(c, "$.returns.returns_location",
                            "\"%s\" is not one of \"locations\"",
                            out->returns_location);
}
