
/*
 * invsyncctl return: what its files share (invsyncctl_return.c: the
 * subcommands that write, invsyncctl_return_show.c: list and show).
 */


#ifndef INVSYNCCTL_RETURN_H_INCLUDED
#define INVSYNCCTL_RETURN_H_INCLUDED


#include "invsyncctl.h"
#include "invsync_return.h"


int invsyncctl_return_list(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_return_show(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_return_exit(invsync_return_rc_e rc, const char *err);
void invsyncctl_return_print_lines(json_t *lines);


#endif /* INVSYNCCTL_RETURN_H_INCLUDED */
