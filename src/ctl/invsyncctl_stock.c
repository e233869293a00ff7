
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

#include "invsyncctl_stock.h"


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
    "  get      on hand and reserved per location, unrouted (reserved by\n"
    "           orders no routing placed yet: without routing, every\n"
    "           order), damaged (returned units not sellable, never\n"
    "           available), available;\n"
    "           for each channel it is mapped on, what that channel should\n"
    "           show by its stock rules and what it last acknowledged; a\n"
    "           bundle's availability from its components, and the bundles\n"
    "           made of the SKU\n"
    "  set, count\n"
    "           the SKU's on hand at location L is N (a stock count)\n"
    "  adjust   add N (negative: remove) to the on hand at location L\n"
    "  L        a location id of worker.json's \"locations\"; when it has\n"
    "           none, \"default\" or one its channels' stock rules name\n"
    "  history  its audit entries, oldest first, as \"audit --sku\"\n"
    "  --why TEXT, --by WHO\n"
    "           for the audit (by: default $USER)\n"
    "  --json   get: {\"sku\", \"name\", \"bundle\", \"locations\", "
    "\"on_hand\",\n"
    "           \"reserved\", \"unrouted\", \"damaged\" (when any),\n"
    "           \"available\", \"components\",\n"
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


/* INVSYNCCTL_OK if the ledger knows the SKU, else says why */

int
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
