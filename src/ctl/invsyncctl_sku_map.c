
/*
 * invsyncctl sku map and unmap: one SKU on one channel, written by
 * skumap.lua and skuunmap.lua with the audit entry, read again when the
 * mapping changed between the read and the write.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"
#include "invsync_stock.h"


#define INVSYNCCTL_SKU_TRIES   5     /* changes between read and write */
#define INVSYNCCTL_SKU_AGAIN   (-2)  /* internal: read again */


static int invsyncctl_sku_map_try(invsyncctl_t *ctl,
    const invsyncctl_sku_map_t *m, const invsync_channel_t *type,
    const char *map, const char *ids_s, char refs[][INVSYNC_REF_LEN],
    size_t nrefs, invsyncctl_sku_done_t *d, char *err, size_t len);
static int invsyncctl_sku_unmap_try(invsyncctl_t *ctl,
    const invsyncctl_sku_map_t *m, const char *map, json_t **ids,
    char *audit);


int
invsyncctl_sku_map(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos;
    char                    err[INVSYNC_ERR_LEN], what[512];
    size_t                  n;
    const char             *pos[1];
    invsyncctl_opt_t        opts[INVSYNCCTL_SKU_FIELDS + 6];
    invsyncctl_sku_map_t    m;
    invsyncctl_sku_done_t   d;
    const invsyncctl_opt_t  fixed[] = {
        { "--channel", &m.channel, NULL },
        { "--channel-sku", &m.channel_sku, NULL },
        { "--name", &m.name, NULL },
        { "--by", &m.by, NULL },
        { "--why", &m.why, NULL },
        { NULL, NULL, NULL }
    };

    memset(&m, 0, sizeof(invsyncctl_sku_map_t));
    memset(&d, 0, sizeof(invsyncctl_sku_done_t));

    /* the identifier options come from the channel table */
    n = invsyncctl_sku_options(opts, &m);
    memcpy(opts + n, fixed, sizeof(fixed));

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("sku", "map needs a SKU");
    }

    m.sku = pos[0];
    invsyncctl_sku_options_share(&m);

    if (m.channel == NULL || m.channel[0] == '\0') {
        return invsyncctl_usage_error("sku", "map needs --channel");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_sku_map_one(ctl, &m, &d, err, sizeof(err));

    if (rc == INVSYNCCTL_USAGE || rc == INVSYNCCTL_NOTFOUND) {
        fprintf(stderr, "invsyncctl: sku map: %s\n", err);
    }

    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:s, s:O, s:b, "
                                             "s:s?}",
                                             "sku", m.sku,
                                             "channel", m.channel,
                                             "type", d.type,
                                             "ids", d.ids,
                                             "changed", d.changed,
                                             "audit",
                                             d.changed ? d.audit : NULL));
        goto failed;
    }

    invsyncctl_sku_describe(invsync_channel_find(d.type), d.ids, what,
                            sizeof(what));

    if (d.changed) {
        printf("mapped %s on %s: %s (audit %s)\n", m.sku, m.channel, what,
               d.audit);

    } else {
        printf("%s on %s is mapped so already: %s\n", m.sku, m.channel,
               what);
    }

failed:

    json_decref(d.ids);

    return rc;
}


/*
 * Maps one SKU on one channel, atomically: the skumap field, the skuref
 * keys (old ones of this SKU dropped, ones of another SKU refused), the
 * name, K skus, the dirty mark and the audit entry, by skumap.lua.
 * Returns an exit code; for INVSYNCCTL_USAGE and INVSYNCCTL_NOTFOUND the
 * reason is in err (not printed), Redis failures are printed.  d->ids is
 * new.
 */

int
invsyncctl_sku_map_one(invsyncctl_t *ctl, const invsyncctl_sku_map_t *m,
    invsyncctl_sku_done_t *d, char *err, size_t len)
{
    int                            rc, tries;
    char                          *ids_s;
    char                           map[INVSYNCCTL_KEY_LEN];
    char                           refs[2][INVSYNC_REF_LEN];
    size_t                         nrefs;
    const invsync_channel_t       *type;
    const invsync_channel_conf_t  *ch;

    d->ids = NULL;
    d->changed = 0;
    d->audit[0] = '\0';

    if (!invsyncctl_sku_valid(m->sku)) {
        snprintf(err, len, "\"%.*s\" is not a SKU: 1 to %d bytes, no "
                 "blanks, control bytes or commas", 200, m->sku,
                 INVSYNCCTL_SKU_MAX);
        return INVSYNCCTL_USAGE;
    }

    ch = invsync_conf_channel(ctl->conf, m->channel);

    if (ch == NULL) {
        snprintf(err, len, "no channel \"%.*s\" in %s", 200, m->channel,
                 ctl->config);
        return INVSYNCCTL_USAGE;
    }

    d->type = ch->type;
    type = invsync_channel_find(ch->type);

    if ((m->channel_sku != NULL && m->channel_sku[0] != '\0'
         && !invsyncctl_sku_text(m->channel_sku))
        || (m->name != NULL && !invsyncctl_sku_text(m->name)))
    {
        snprintf(err, len, "%s must be 1 to %d bytes without control "
                 "bytes", m->name != NULL && !invsyncctl_sku_text(m->name)
                              ? "--name" : "--channel-sku",
                 INVSYNCCTL_SKU_TEXT);
        return INVSYNCCTL_USAGE;
    }

    if (invsyncctl_sku_ids(m, type, ch->type, &d->ids, err, len) != 0) {
        return INVSYNCCTL_USAGE;
    }

    ids_s = json_dumps(d->ids, JSON_COMPACT);
    if (ids_s == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNCCTL_USAGE;
    }

    nrefs = invsync_channel_refs(type, d->ids, m->sku, refs);

    invsync_key_skumap(map, sizeof(map), ctl->conf, m->sku);

    for (tries = 0; tries < INVSYNCCTL_SKU_TRIES; tries++) {
        rc = invsyncctl_sku_map_try(ctl, m, type, map, ids_s, refs, nrefs, d,
                                    err, len);
        if (rc != INVSYNCCTL_SKU_AGAIN) {
            break;
        }
    }

    if (tries == INVSYNCCTL_SKU_TRIES) {
        snprintf(err, len, "%s kept changing under us; try again", m->sku);
        rc = INVSYNCCTL_USAGE;
    }

    free(ids_s);

    return rc;
}


/*
 * One attempt of a mapping: the mapping read, the skuref names of the old
 * and the new one, and skumap.lua, which writes all of it and the audit
 * entry if the mapping is still the one read.  INVSYNCCTL_SKU_AGAIN when
 * it was not.
 */

static int
invsyncctl_sku_map_try(invsyncctl_t *ctl, const invsyncctl_sku_map_t *m,
    const invsync_channel_t *type, const char *map, const char *ids_s,
    char refs[][INVSYNC_REF_LEN], size_t nrefs, invsyncctl_sku_done_t *d,
    char *err, size_t len)
{
    int                 rc;
    char                old[2][INVSYNC_REF_LEN];
    size_t              i, nold;
    json_t             *prev;
    redisReply         *was, *r;
    const char         *what;
    invsyncctl_argv_t   a;

    was = invsyncctl_redis(ctl, "HGET %s %s", map, m->channel);
    if (was == NULL) {
        return INVSYNCCTL_REDIS;
    }

    nold = 0;

    if (was->type == REDIS_REPLY_STRING) {
        prev = json_loadb(was->str, was->len, 0, NULL);

        if (prev != NULL) {
            nold = invsync_channel_refs(type, prev, m->sku, old);
            json_decref(prev);
        }
    }

    invsyncctl_sku_script_args(ctl, &a, map);
    invsyncctl_sku_add(&a, m->sku);
    invsyncctl_sku_add(&a, m->channel);
    invsyncctl_sku_add(&a, ids_s);
    invsyncctl_sku_add(&a, was->type == REDIS_REPLY_STRING ? was->str : NULL);
    invsyncctl_sku_add(&a, m->name);
    invsyncctl_sku_add(&a, invsyncctl_by(m->by));
    invsyncctl_sku_add(&a, m->why);
    invsyncctl_argv_addf(&a, "%zu", nrefs);

    for (i = 0; i < nrefs; i++) {
        invsyncctl_sku_add(&a, refs[i]);
    }

    for (i = 0; i < nold; i++) {
        invsyncctl_sku_add(&a, old[i]);
    }

    r = invsyncctl_script(ctl, "skumap", ctl->w.skumap_sha,
                          invsync_script_skumap, invsync_script_skumap_len,
                          2, &a);
    invsyncctl_argv_free(&a);
    freeReplyObject(was);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    what = invsyncctl_sku_outcome(r, "skumap", 1);
    rc = INVSYNCCTL_OK;

    if (what == NULL) {
        rc = INVSYNCCTL_REDIS;

    } else if (strcmp(what, "changed") == 0) {
        rc = INVSYNCCTL_SKU_AGAIN;

    } else if (strcmp(what, "taken") == 0 && r->elements == 3) {
        snprintf(err, len, "%s of channel %s is mapped to SKU %s already: "
                 "unmap that first", r->element[1]->str, m->channel,
                 r->element[2]->str);
        rc = INVSYNCCTL_USAGE;

    } else if (strcmp(what, "mapped") == 0 && r->elements == 2) {
        d->changed = 1;
        snprintf(d->audit, sizeof(d->audit), "%s", r->element[1]->str);

    } else if (strcmp(what, "same") != 0) {
        invsyncctl_sku_outcome(r, "skumap", 0);
        rc = INVSYNCCTL_REDIS;
    }

    freeReplyObject(r);

    return rc;
}


int
invsyncctl_sku_unmap(invsyncctl_t *ctl, int argc, char **argv)
{
    int                    rc, npos, tries;
    char                   map[INVSYNCCTL_KEY_LEN];
    char                   audit[INVSYNCCTL_ID_LEN];
    json_t                *ids;
    const char            *pos[1];
    invsyncctl_sku_map_t   m;
    invsyncctl_opt_t       opts[] = {
        { "--channel", &m.channel, NULL },
        { "--by", &m.by, NULL },
        { "--why", &m.why, NULL },
        { NULL, NULL, NULL }
    };

    memset(&m, 0, sizeof(invsyncctl_sku_map_t));
    ids = NULL;

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || m.channel == NULL || m.channel[0] == '\0') {
        return invsyncctl_usage_error("sku", "unmap needs a SKU and "
                                      "--channel");
    }

    m.sku = pos[0];

    if (!invsyncctl_sku_valid(m.sku)) {
        return invsyncctl_usage_error("sku", "\"%s\" is not a SKU", m.sku);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_skumap(map, sizeof(map), ctl->conf, m.sku);

    for (tries = 0; tries < INVSYNCCTL_SKU_TRIES; tries++) {
        rc = invsyncctl_sku_unmap_try(ctl, &m, map, &ids, audit);
        if (rc != INVSYNCCTL_SKU_AGAIN) {
            break;
        }
    }

    if (tries == INVSYNCCTL_SKU_TRIES) {
        fprintf(stderr, "invsyncctl: sku unmap: %s kept changing under us; "
                "try again\n", m.sku);
        rc = INVSYNCCTL_USAGE;
    }

    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:O?, s:s}",
                                             "sku", m.sku,
                                             "channel", m.channel,
                                             "ids", ids, "audit", audit));

    } else {
        printf("unmapped %s on %s (audit %s)\n", m.sku, m.channel, audit);
    }

failed:

    json_decref(ids);

    return rc;
}


/*
 * One attempt of an unmapping: the mapping read (into *ids, new), its
 * skuref names, and skuunmap.lua, which drops it all and writes the audit
 * entry (its id into audit) if the mapping is still the one read.
 * INVSYNCCTL_SKU_AGAIN when it was not; an unmapped SKU is said.
 */

static int
invsyncctl_sku_unmap_try(invsyncctl_t *ctl, const invsyncctl_sku_map_t *m,
    const char *map, json_t **ids, char *audit)
{
    int                 rc;
    char                refs[2][INVSYNC_REF_LEN];
    size_t              i, n;
    redisReply         *was, *r;
    const invsync_channel_t  *type;
    static const invsync_channel_t  none;  /* no rows: the SKU ref only */
    const char         *what;
    invsyncctl_argv_t   a;

    json_decref(*ids);
    *ids = NULL;

    was = invsyncctl_redis(ctl, "HGET %s %s", map, m->channel);
    if (was == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if (was->type != REDIS_REPLY_STRING) {
        freeReplyObject(was);
        goto unmapped;
    }

    *ids = json_loadb(was->str, was->len, 0, NULL);
    type = invsyncctl_sku_type(ctl, m->channel, *ids);
    n = *ids != NULL ? invsync_channel_refs(type != NULL ? type : &none,
                                            *ids, m->sku, refs)
                     : 0;

    invsyncctl_sku_script_args(ctl, &a, map);
    invsyncctl_sku_add(&a, m->sku);
    invsyncctl_sku_add(&a, m->channel);
    invsyncctl_sku_add(&a, was->str);
    invsyncctl_sku_add(&a, invsyncctl_by(m->by));
    invsyncctl_sku_add(&a, m->why);

    for (i = 0; i < n; i++) {
        invsyncctl_sku_add(&a, refs[i]);
    }

    r = invsyncctl_script(ctl, "skuunmap", ctl->w.skuunmap_sha,
                          invsync_script_skuunmap,
                          invsync_script_skuunmap_len, 2, &a);
    invsyncctl_argv_free(&a);
    freeReplyObject(was);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    what = invsyncctl_sku_outcome(r, "skuunmap", 1);
    rc = INVSYNCCTL_REDIS;

    if (what == NULL) {
        /* said */

    } else if (strcmp(what, "changed") == 0) {
        rc = INVSYNCCTL_SKU_AGAIN;

    } else if (strcmp(what, "done") == 0 && r->elements == 2) {
        snprintf(audit, INVSYNCCTL_ID_LEN, "%s", r->element[1]->str);
        rc = INVSYNCCTL_OK;

    } else if (strcmp(what, "unmapped") == 0) {
        freeReplyObject(r);
        goto unmapped;

    } else {
        invsyncctl_sku_outcome(r, "skuunmap", 0);
    }

    freeReplyObject(r);

    return rc;

unmapped:

    fprintf(stderr, "invsyncctl: sku unmap: %s is not mapped on channel "
            "%s\n", m->sku, m->channel);

    return INVSYNCCTL_NOTFOUND;
}
