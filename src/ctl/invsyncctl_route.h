
/*
 * invsyncctl route: what its files share (invsyncctl_route.c: explain,
 * retry; _dry.c: dry-run; _print.c: a trace in words).
 */


#ifndef INVSYNCCTL_ROUTE_H_INCLUDED
#define INVSYNCCTL_ROUTE_H_INCLUDED


#include "invsyncctl.h"


int invsyncctl_route_dry(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_route_last(invsyncctl_t *ctl, const char *order,
    json_t **trace);
int invsyncctl_route_print(json_t *trace, FILE *out);


#endif /* INVSYNCCTL_ROUTE_H_INCLUDED */
