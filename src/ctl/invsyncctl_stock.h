
/*
 * What the files of "invsyncctl stock" share: the subcommands, a file
 * each, and the check that the ledger knows a SKU.
 */


#ifndef INVSYNCCTL_STOCK_H_INCLUDED
#define INVSYNCCTL_STOCK_H_INCLUDED


#include "invsyncctl.h"
#include "invsync_stock.h"


int invsyncctl_stock_get(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_stock_move(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_stock_history(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_stock_known(invsyncctl_t *ctl, const char *sku);

/* invsyncctl_stock_print.c: stock get's document, for people */
void invsyncctl_stock_print(json_t *doc);


#endif /* INVSYNCCTL_STOCK_H_INCLUDED */
