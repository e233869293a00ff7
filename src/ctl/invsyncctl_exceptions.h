
/*
 * What the files of "invsyncctl exceptions" share: the reading
 * subcommands (list, show) live in invsyncctl_exceptions.c, the writing
 * ones (retry, resolve) in invsyncctl_exceptions_act.c, so that what
 * changes business state stands apart from what only looks.
 */


#ifndef INVSYNCCTL_EXCEPTIONS_H_INCLUDED
#define INVSYNCCTL_EXCEPTIONS_H_INCLUDED


#include "invsyncctl.h"


/* invsyncctl_exceptions_act.c: the subcommands that write */
int invsyncctl_exc_retry(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_exc_resolve(invsyncctl_t *ctl, int argc, char **argv);

/* invsyncctl_exceptions.c: what both read with */
int invsyncctl_exc_get(invsyncctl_t *ctl, const char *id, char *key,
    redisReply **r);
void invsyncctl_exc_order(const redisReply *h, char *buf, size_t cap);


#endif /* INVSYNCCTL_EXCEPTIONS_H_INCLUDED */
