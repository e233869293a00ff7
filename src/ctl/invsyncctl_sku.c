
/*
 * invsyncctl sku: the canonical SKUs and what each channel calls them.
 * Map a SKU to a channel's identifiers (those its type's rows of the
 * channel table name, invsyncctl_sku_ids.c), unmap it, define a bundle,
 * import mappings from CSV, list them.  Every change marks the
 * SKU dirty on the channels that show it, so the worker pushes it, and
 * leaves an audit entry listed under the SKU.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"
#include "invsync_stock.h"


#define INVSYNCCTL_SKU_TRIES   5     /* changes between read and write */
#define INVSYNCCTL_SKU_AGAIN   (-2)  /* internal: read again */
#define INVSYNCCTL_SKU_QTY     100000


/* the outcome of one mapping */
typedef struct {
    json_t      *ids;                    /* new, the channel's identifiers */
    const char  *type;
    int          changed;
    char         audit[INVSYNCCTL_ID_LEN];
} invsyncctl_sku_done_t;


static int invsyncctl_sku_map(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_sku_unmap(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_sku_bundle(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_sku_import(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_sku_list(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_sku_map_one(invsyncctl_t *ctl,
    const invsyncctl_sku_map_t *m, invsyncctl_sku_done_t *d, char *err,
    size_t len);
static int invsyncctl_sku_text(const char *s);
static int invsyncctl_sku_map_try(invsyncctl_t *ctl,
    const invsyncctl_sku_map_t *m, const invsync_channel_t *type,
    const char *map, const char *ids_s, char refs[][INVSYNC_REF_LEN],
    size_t nrefs, invsyncctl_sku_done_t *d, char *err, size_t len);
static int invsyncctl_sku_args(invsyncctl_t *ctl, int argc, char **argv,
    const invsyncctl_opt_t *opts, const char **pos, int maxpos, int *npos);
static int invsyncctl_sku_unmap_try(invsyncctl_t *ctl,
    const invsyncctl_sku_map_t *m, const char *map, json_t **ids,
    char *audit);
static int invsyncctl_sku_components(const char *sku, const char *spec,
    json_t **out);
static int invsyncctl_sku_bundle_write(invsyncctl_t *ctl, const char *sku,
    const char *comp_s, const char *name, const char *by, const char *why,
    char *audit);
static void invsyncctl_sku_script_args(invsyncctl_t *ctl,
    invsyncctl_argv_t *a, const char *key);
static void invsyncctl_sku_add(invsyncctl_argv_t *a, const char *s);
static const char *invsyncctl_sku_outcome(const redisReply *r,
    const char *name, int ok);
static int invsyncctl_sku_import_line(invsyncctl_t *ctl, char *line,
    size_t len, const int *col, const char *by, const char *why,
    invsyncctl_sku_done_t *d, char *err, size_t errlen);
static int invsyncctl_sku_header(const char *file, char *line, int *col);
static const char *invsyncctl_sku_column(size_t j);
static int invsyncctl_sku_csv(char *line, char **cells, size_t max,
    size_t *n);
static int invsyncctl_sku_cmp(const void *a, const void *b);


const char  invsyncctl_sku_usage[] =
    "usage: invsyncctl sku map SKU --channel CH --ID-OPTION ID ...\n"
    "           [--channel-sku TEXT] [--name TEXT] [--by WHO] "
    "[--why TEXT]\n"
    "       invsyncctl sku unmap SKU --channel CH [--by WHO] [--why TEXT]\n"
    "       invsyncctl sku bundle SKU --components SKU:QTY,... "
    "[--name TEXT]\n"
    "       invsyncctl sku import FILE.csv [--by WHO] [--why TEXT]\n"
    "       invsyncctl sku list [--channel CH]\n"
    "\n"
    "Canonical SKUs and the identifiers each channel knows them by.\n"
    "\n"
    "  map      a SKU on one channel, by the identifier options of the\n"
    "           channel's type (listed below); --channel-sku is the\n"
    "           channel's own SKU text\n"
    "           (default the SKU); --name names the SKU.  The SKU is\n"
    "           marked dirty on the channel, so its stock is pushed\n"
    "  unmap    forget the SKU on one channel; it is no longer pushed\n"
    "  bundle   the SKU is a bundle of its components, e.g. A:2,B:1; it\n"
    "           has no stock of its own, it shows min(available / qty)\n"
    "  import   map from CSV, header sku,channel, the identifiers'\n"
    "           names, channel_sku,name, in any order (cells may be\n"
    "           empty); bad lines are reported with their number, the\n"
    "           others imported\n"
    "  list     every SKU with its name and identifiers; --channel: those\n"
    "           mapped on CH\n"
    "  --json   map: {\"sku\", \"channel\", \"type\", \"ids\", "
    "\"changed\", \"audit\"};\n"
    "           unmap: {\"sku\", \"channel\", \"ids\", \"audit\"}; bundle:\n"
    "           {\"sku\", \"components\", \"audit\"}; import: {\"file\",\n"
    "           \"mapped\", \"unchanged\", \"failed\", \"errors\": "
    "[{\"line\",\n"
    "           \"error\"}]}; list: {\"channel\", \"count\", \"skus\"}\n"
    "\n"
    "Changes are audited (operator.sku.map, operator.sku.unmap,\n"
    "operator.sku.bundle) and listed by \"stock history SKU\".\n"
    "Exit: 0, 1 usage, identifiers of the wrong channel type, a refused\n"
    "change or an import line that failed, 2 unknown SKU or mapping,\n"
    "3 Redis.\n";


static const struct {
    const char         *name;
    invsyncctl_run_pt   run;
} invsyncctl_sku_cmds[] = {
    { "map", invsyncctl_sku_map },
    { "unmap", invsyncctl_sku_unmap },
    { "bundle", invsyncctl_sku_bundle },
    { "import", invsyncctl_sku_import },
    { "list", invsyncctl_sku_list },
    { NULL, NULL }
};


int
invsyncctl_sku(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("sku", "give map, unmap, bundle, "
                                      "import or list");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(invsyncctl_sku_usage, stdout);
        invsyncctl_sku_ids_help(stdout);
        return INVSYNCCTL_HELP;
    }

    for (i = 0; invsyncctl_sku_cmds[i].name != NULL; i++) {
        if (strcmp(argv[1], invsyncctl_sku_cmds[i].name) == 0) {
            return invsyncctl_sku_cmds[i].run(ctl, argc - 1, argv + 1);
        }
    }

    return invsyncctl_usage_error("sku", "unknown subcommand \"%s\"",
                                  argv[1]);
}


/* a subcommand's arguments; its --help shows the identifiers too */

static int
invsyncctl_sku_args(invsyncctl_t *ctl, int argc, char **argv,
    const invsyncctl_opt_t *opts, const char **pos, int maxpos, int *npos)
{
    int  rc;

    rc = invsyncctl_args(ctl, "sku", invsyncctl_sku_usage, argc, argv, opts,
                         pos, maxpos, npos);

    if (rc == INVSYNCCTL_HELP) {
        invsyncctl_sku_ids_help(stdout);
    }

    return rc;
}


/*
 * A canonical SKU: 1 to INVSYNCCTL_SKU_MAX bytes, no blank, control byte
 * or comma (the audit lists SKUs comma-separated, the CSV splits on
 * commas).  Returns 1 if s is one.
 */

int
invsyncctl_sku_valid(const char *sku)
{
    size_t               n;
    const unsigned char  *p;

    n = strlen(sku);

    if (n == 0 || n > INVSYNCCTL_SKU_MAX) {
        return 0;
    }

    for (p = (const unsigned char *) sku; *p != '\0'; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == ',') {
            return 0;
        }
    }

    return 1;
}


/*
 * Whether the ledger knows the SKU: in K skus, or with a definition or
 * stock of its own.  1 yes, 0 no, -1 Redis failed (said).
 */

int
invsyncctl_sku_known(invsyncctl_t *ctl, const char *sku)
{
    int          known;
    char         skus[INVSYNCCTL_KEY_LEN], def[INVSYNCCTL_KEY_LEN];
    char         stock[INVSYNCCTL_KEY_LEN];
    redisReply  *r;

    invsync_key(skus, sizeof(skus), ctl->conf, "skus");

    r = invsyncctl_redis(ctl, "SISMEMBER %s %s", skus, sku);
    if (r == NULL) {
        return -1;
    }

    known = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    if (known) {
        return 1;
    }

    invsync_key(def, sizeof(def), ctl->conf, "sku:%s", sku);
    invsync_key(stock, sizeof(stock), ctl->conf, "stock:%s", sku);

    r = invsyncctl_redis(ctl, "EXISTS %s %s", def, stock);
    if (r == NULL) {
        return -1;
    }

    known = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    freeReplyObject(r);

    return known;
}


static int
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

static int
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

    invsync_key(map, sizeof(map), ctl->conf, "skumap:%s", m->sku);

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


/* the arguments the SKU scripts begin with: their key (borrowed), the
 * audit stream, the key prefix, now and the audit stream's bound */

static void
invsyncctl_sku_script_args(invsyncctl_t *ctl, invsyncctl_argv_t *a,
    const char *key)
{
    char  k[INVSYNCCTL_KEY_LEN];

    invsyncctl_argv_init(a);
    invsyncctl_sku_add(a, key);

    /* copies: a keeps pointers */
    invsync_key(k, sizeof(k), ctl->conf, "audit");
    invsyncctl_argv_addf(a, "%s", k);

    invsync_key(k, sizeof(k), ctl->conf, "");
    invsyncctl_argv_addf(a, "%s", k);

    invsyncctl_argv_addf(a, "%lld", (long long) ctl->now);
    invsyncctl_argv_addf(a, "%ld", ctl->conf->audit_max_len);
}


/* a text argument (borrowed: it must outlive a), "" for NULL */

static void
invsyncctl_sku_add(invsyncctl_argv_t *a, const char *s)
{
    invsyncctl_argv_add(a, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}


/*
 * The outcome a SKU script answered, the name in its first element; NULL
 * when the answer is not an array of strings.  With ok 0, or for NULL,
 * says that the script answered oddly.
 */

static const char *
invsyncctl_sku_outcome(const redisReply *r, const char *name, int ok)
{
    size_t  i;

    for (i = 0; ok && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (r->element[i]->type != REDIS_REPLY_STRING) {
            break;
        }
    }

    if (ok && r->type == REDIS_REPLY_ARRAY && r->elements > 0
        && i == r->elements)
    {
        return r->element[0]->str;
    }

    fprintf(stderr, "invsyncctl: the %s script answered oddly\n", name);

    return NULL;
}

/* text for people: 1..INVSYNCCTL_SKU_TEXT bytes, no control byte */

static int
invsyncctl_sku_text(const char *s)
{
    size_t               n;
    const unsigned char  *p;

    n = strlen(s);

    if (n == 0 || n > INVSYNCCTL_SKU_TEXT) {
        return 0;
    }

    for (p = (const unsigned char *) s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


static int
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

    invsync_key(map, sizeof(map), ctl->conf, "skumap:%s", m.sku);

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


/*
 * A bundle: components {sku: qty}, each a known SKU and no bundle itself
 * (the ledger expands one level).  The bundle may have no stock of its own
 * (it would never be seen again) and be no component (no nesting);
 * bundle.lua checks both and writes the definition with its audit entry.
 */

static int
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

    invsync_key(def, sizeof(def), ctl->conf, "sku:%s", sku);

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


/*
 * Mappings from CSV: a header naming the columns (those of
 * invsyncctl_sku_column(), any order, sku and channel required), then one
 * mapping a line.  Cells may be quoted ("" is a quote).  A bad line is
 * reported with its number and skipped; the others are mapped.
 */

static int
invsyncctl_sku_import(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos, col[INVSYNCCTL_SKU_COLS], failed;
    int                     mapped, unchanged;
    char                   *line;
    char                    err[INVSYNC_ERR_LEN];
    FILE                   *f;
    size_t                  cap, lineno;
    ssize_t                 len;
    json_t                 *errors;
    const char             *by, *why, *pos[1];
    invsyncctl_sku_done_t   d;
    invsyncctl_opt_t        opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;
    line = NULL;
    cap = 0;
    errors = NULL;

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("sku", "import needs a CSV file");
    }

    f = fopen(pos[0], "r");
    if (f == NULL) {
        fprintf(stderr, "invsyncctl: sku import: %s: %s\n", pos[0],
                strerror(errno));
        return INVSYNCCTL_USAGE;
    }

    len = getline(&line, &cap, f);

    if (len < 0) {
        fprintf(stderr, "invsyncctl: sku import: %s: no header line\n",
                pos[0]);
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    line[strcspn(line, "\r\n")] = '\0';

    /* a byte order mark, as spreadsheets write it */
    if (strncmp(line, "\xef\xbb\xbf", 3) == 0) {
        memmove(line, line + 3, strlen(line + 3) + 1);
    }

    rc = invsyncctl_sku_header(pos[0], line, col);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    errors = json_array();
    if (errors == NULL) {
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    lineno = 1;
    failed = 0;
    mapped = 0;
    unchanged = 0;

    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;

        if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }

        rc = invsyncctl_sku_import_line(ctl, line, (size_t) len, col, by,
                                        why, &d, err, sizeof(err));

        if (rc == INVSYNCCTL_REDIS) {
            goto failed;
        }

        if (rc == INVSYNCCTL_OK) {
            mapped++;
            unchanged += !d.changed;
            continue;
        }

        failed++;
        fprintf(stderr, "invsyncctl: sku import: %s:%zu: %s\n", pos[0],
                lineno, err);
        json_array_append_new(errors, json_pack("{s:I, s:s}", "line",
                                                (json_int_t) lineno,
                                                "error", err));
    }

    if (ferror(f)) {
        fprintf(stderr, "invsyncctl: sku import: %s: %s\n", pos[0],
                strerror(errno));
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:i, s:i, s:i, s:O}",
                                             "file", pos[0],
                                             "mapped", mapped,
                                             "unchanged", unchanged,
                                             "failed", failed,
                                             "errors", errors));

    } else {
        printf("imported %s: %d mapped (%d unchanged), %d failed\n", pos[0],
               mapped, unchanged, failed);
        rc = INVSYNCCTL_OK;
    }

    if (rc == INVSYNCCTL_OK && failed > 0) {
        rc = INVSYNCCTL_USAGE;
    }

failed:

    json_decref(errors);
    free(line);
    fclose(f);

    return rc;
}


/*
 * The header line: col[j] is the cell of column j (invsyncctl_sku_column),
 * -1 when absent.  A bad header is said; INVSYNCCTL_USAGE.
 */

static int
invsyncctl_sku_header(const char *file, char *line, int *col)
{
    char    *cells[INVSYNCCTL_SKU_COLS + 1];
    size_t   i, j, n, ncols;

    ncols = invsyncctl_sku_nfields() + 4;

    for (j = 0; j < ncols; j++) {
        col[j] = -1;
    }

    if (invsyncctl_sku_csv(line, cells, ncols, &n) != 0 || n > ncols) {
        fprintf(stderr, "invsyncctl: sku import: %s:1: the header must be "
                "%zu or fewer columns: %s\n", file, ncols,
                invsyncctl_sku_columns(","));
        return INVSYNCCTL_USAGE;
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < ncols; j++) {
            if (strcmp(cells[i], invsyncctl_sku_column(j)) == 0) {
                break;
            }
        }

        if (j == ncols || col[j] >= 0) {
            fprintf(stderr, "invsyncctl: sku import: %s:1: column \"%s\" is "
                    "unknown or repeated (%s)\n", file, cells[i],
                    invsyncctl_sku_columns(", "));
            return INVSYNCCTL_USAGE;
        }

        col[j] = (int) i;
    }

    if (col[0] < 0 || col[1] < 0) {
        fprintf(stderr, "invsyncctl: sku import: %s:1: the header needs the "
                "columns sku and channel\n", file);
        return INVSYNCCTL_USAGE;
    }

    return INVSYNCCTL_OK;
}


/* column j of an import: sku, channel, the fields, channel_sku, name */

static const char *
invsyncctl_sku_column(size_t j)
{
    size_t  nf;

    nf = invsyncctl_sku_nfields();

    if (j < 2) {
        return j == 0 ? "sku" : "channel";
    }

    if (j < nf + 2) {
        return invsyncctl_sku_field(j - 2)->key;
    }

    return j == nf + 2 ? "channel_sku" : "name";
}


/*
 * One data line of an import: mapped, or INVSYNCCTL_USAGE with the reason
 * in err; INVSYNCCTL_REDIS (said) stops the import.
 */

static int
invsyncctl_sku_import_line(invsyncctl_t *ctl, char *line, size_t len,
    const int *col, const char *by, const char *why,
    invsyncctl_sku_done_t *d, char *err, size_t errlen)
{
    int                    rc;
    char                  *cells[INVSYNCCTL_SKU_COLS + 1];
    size_t                 j, n, nf, ncols;
    const char            *v[INVSYNCCTL_SKU_COLS];
    invsyncctl_sku_map_t   m;

    d->ids = NULL;
    d->changed = 0;

    if (len != strlen(line)) {
        snprintf(err, errlen, "a NUL byte in the line");
        return INVSYNCCTL_USAGE;
    }

    line[strcspn(line, "\r\n")] = '\0';

    nf = invsyncctl_sku_nfields();
    ncols = nf + 4;

    if (invsyncctl_sku_csv(line, cells, ncols, &n) != 0 || n > ncols) {
        snprintf(err, errlen, "not a CSV line of at most %zu cells (an "
                 "unclosed quote?)", ncols);
        return INVSYNCCTL_USAGE;
    }

    for (j = 0; j < ncols; j++) {
        v[j] = col[j] >= 0 && (size_t) col[j] < n && cells[col[j]][0] != '\0'
               ? cells[col[j]] : NULL;
    }

    if (v[0] == NULL || v[1] == NULL) {
        snprintf(err, errlen, "no %s", v[0] == NULL ? "sku" : "channel");
        return INVSYNCCTL_USAGE;
    }

    memset(&m, 0, sizeof(invsyncctl_sku_map_t));
    m.sku = v[0];
    m.channel = v[1];
    for (j = 0; j < nf; j++) {
        m.val[j] = v[j + 2];
    }

    m.channel_sku = v[nf + 2];
    m.name = v[nf + 3];
    m.by = by;
    m.why = why;

    rc = invsyncctl_sku_map_one(ctl, &m, d, err, errlen);

    json_decref(d->ids);
    d->ids = NULL;

    return rc == INVSYNCCTL_NOTFOUND ? INVSYNCCTL_USAGE : rc;
}


/*
 * Splits a CSV line in place: cells point into line, at most max + 1 of
 * them are stored (more is the caller's error to see in *n).  -1 for an
 * unclosed or stray quote.
 */

static int
invsyncctl_sku_csv(char *line, char **cells, size_t max, size_t *n)
{
    char  *p, *o;

    *n = 0;
    p = line;

    for ( ;; ) {
        if (*n > max) {
            return 0;
        }

        cells[(*n)++] = p;
        o = p;

        if (*p == '"') {
            for (p++; ; p++) {
                if (*p == '\0') {
                    return -1;
                }

                if (*p == '"') {
                    if (p[1] != '"') {
                        break;
                    }

                    p++;
                }

                *o++ = *p;
            }

            p++;

            if (*p != ',' && *p != '\0') {
                return -1;
            }

        } else {
            while (*p != ',' && *p != '\0') {
                if (*p == '"') {
                    return -1;
                }

                *o++ = *p++;
            }
        }

        if (*p == '\0') {
            *o = '\0';
            return 0;
        }

        *o = '\0';
        p++;
    }
}


static int
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

    invsync_key(key, sizeof(key), ctl->conf, "skus");
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

        invsync_key(key, sizeof(key), ctl->conf, "sku:%s", skus[i]);

        def = invsyncctl_redis(ctl, "HMGET %s name components", key);
        if (def == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        invsync_key(key, sizeof(key), ctl->conf, "skumap:%s", skus[i]);

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
