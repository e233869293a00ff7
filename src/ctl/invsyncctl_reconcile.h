
/*
 * What the files of "invsyncctl reconcile" share: the passes are made in
 * invsyncctl_reconcile.c, reported in invsyncctl_reconcile_report.c.
 */


#ifndef INVSYNCCTL_RECONCILE_H_INCLUDED
#define INVSYNCCTL_RECONCILE_H_INCLUDED


#include "invsyncctl.h"
#include "invsync_reconcile.h"


/* invsyncctl_reconcile_report.c */
void invsyncctl_reconcile_print(json_t *list, const char *audit);
int invsyncctl_reconcile_last(invsyncctl_t *ctl, const char *channel);


#endif /* INVSYNCCTL_RECONCILE_H_INCLUDED */
