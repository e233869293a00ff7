
/*
 * invsyncctl sku: the canonical SKUs and what each channel calls them.
 * Map a SKU to a channel's identifiers (those its type's rows of the
 * channel table name, invsyncctl_sku_ids.c), unmap it, define a bundle,
 * set its routing attributes, show it, import mappings and attributes
 * from CSV, list them.  Every change marks the
 * SKU dirty on the channels that show it, so the worker pushes it, and
 * leaves an audit entry listed under the SKU.  This file: the usage, the
 * subcommand table and what the subcommands' files share.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"
#include "invsync_stock.h"


const char  invsyncctl_sku_usage[] =
    "usage: invsyncctl sku map SKU --channel CH --ID-OPTION ID ...\n"
    "           [--channel-sku TEXT] [--name TEXT] [--by WHO] "
    "[--why TEXT]\n"
    "       invsyncctl sku unmap SKU --channel CH [--by WHO] [--why TEXT]\n"
    "       invsyncctl sku bundle SKU --components SKU:QTY,... "
    "[--name TEXT]\n"
    "       invsyncctl sku set SKU [--tags TAG,...] [--weight-g N]\n"
    "           [--dims LxWxH] [--clear-tags] [--clear-weight] "
    "[--clear-dims]\n"
    "           [--by WHO] [--why TEXT]\n"
    "       invsyncctl sku show SKU\n"
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
    "  set      the SKU's routing attributes: --tags (each a-z, 0-9, _\n"
    "           or -, stored lowercase and sorted; replaces the tags),\n"
    "           --weight-g grams, --dims length x width x height in mm\n"
    "           (whole numbers); --clear-* removes one.  The SKU must\n"
    "           be known (mapped, a bundle or with stock)\n"
    "  show     the SKU's name, components, attributes and channels\n"
    "  import   map from CSV, header sku,channel, the identifiers'\n"
    "           names, channel_sku,name, tags,weight_g,length_mm,\n"
    "           width_mm,height_mm, in any order (cells may be empty,\n"
    "           an empty attribute is kept; a line without channel only\n"
    "           sets attributes); bad lines are reported with their\n"
    "           number, the others imported; a line mapped so already\n"
    "           counts as unchanged, not mapped\n"
    "  list     every SKU with its name and identifiers; --channel: those\n"
    "           mapped on CH\n"
    "  --json   map: {\"sku\", \"channel\", \"type\", \"ids\", "
    "\"changed\", \"audit\"};\n"
    "           unmap: {\"sku\", \"channel\", \"ids\", \"audit\"}; bundle:\n"
    "           {\"sku\", \"components\", \"audit\"}; set: {\"sku\",\n"
    "           \"attributes\", \"changed\", \"audit\"}; show: {\"sku\",\n"
    "           \"name\", \"components\", \"tags\", \"weight_g\", "
    "\"length_mm\",\n"
    "           \"width_mm\", \"height_mm\", \"channels\"}; import: "
    "{\"file\",\n"
    "           \"mapped\", \"unchanged\", \"attributes_set\", "
    "\"failed\",\n"
    "           \"errors\": [{\"line\", \"error\"}]}; list: "
    "{\"channel\", \"count\",\n"
    "           \"skus\"}\n"
    "\n"
    "Changes are audited (operator.sku.map, operator.sku.unmap,\n"
    "operator.sku.bundle, operator.sku.set) and listed by \"stock history "
    "SKU\".\n"
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
    { "set", invsyncctl_sku_set },
    { "show", invsyncctl_sku_show },
    { NULL, NULL }
};


int
invsyncctl_sku(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("sku", "give map, unmap, bundle, "
                                      "set, show, import or list");
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

int
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

    invsync_key_skus(skus, sizeof(skus), ctl->conf);

    r = invsyncctl_redis(ctl, "SISMEMBER %s %s", skus, sku);
    if (r == NULL) {
        return -1;
    }

    known = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    if (known) {
        return 1;
    }

    invsync_key_sku(def, sizeof(def), ctl->conf, sku);
    invsync_key_stock(stock, sizeof(stock), ctl->conf, sku);

    r = invsyncctl_redis(ctl, "EXISTS %s %s", def, stock);
    if (r == NULL) {
        return -1;
    }

    known = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    freeReplyObject(r);

    return known;
}


/* the arguments the SKU scripts begin with: their key (borrowed), the
 * audit stream, the key prefix, now and the audit stream's bound */

void
invsyncctl_sku_script_args(invsyncctl_t *ctl, invsyncctl_argv_t *a,
    const char *key)
{
    char  k[INVSYNCCTL_KEY_LEN];

    invsyncctl_argv_init(a);
    invsyncctl_sku_add(a, key);

    /* copies: a keeps pointers */
    invsync_key_audit(k, sizeof(k), ctl->conf);
    invsyncctl_argv_addf(a, "%s", k);

    invsync_key_prefix(k, sizeof(k), ctl->conf);
    invsyncctl_argv_addf(a, "%s", k);

    invsyncctl_argv_addf(a, "%lld", (long long) ctl->now);
    invsyncctl_argv_addf(a, "%ld", ctl->conf->audit_max_len);
}


/* a text argument (borrowed: it must outlive a), "" for NULL */

void
invsyncctl_sku_add(invsyncctl_argv_t *a, const char *s)
{
    invsyncctl_argv_add(a, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}


/*
 * The outcome a SKU script answered, the name in its first element; NULL
 * when the answer is not an array of strings.  With ok 0, or for NULL,
 * says that the script answered oddly.
 */

const char *
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

int
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
