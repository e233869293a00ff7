
/*
 * What the files of "invsyncctl dlq" share: the reading subcommands (list,
 * show) live in invsyncctl_dlq.c, the writing ones (retry, drop) in
 * invsyncctl_dlq_act.c, so that what changes the dead letters stands
 * apart from what only looks.
 */


#ifndef INVSYNCCTL_DLQ_H_INCLUDED
#define INVSYNCCTL_DLQ_H_INCLUDED


#include "invsyncctl.h"


#define INVSYNCCTL_DLQ_PAGE  100


/* invsyncctl_dlq_act.c: the subcommands that write */
int invsyncctl_dlq_retry(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_dlq_drop(invsyncctl_t *ctl, int argc, char **argv);

/* invsyncctl_dlq.c: what both read with */
int invsyncctl_dlq_get(invsyncctl_t *ctl, const char *id, redisReply **r);


#endif /* INVSYNCCTL_DLQ_H_INCLUDED */
