
/*
 * What the files of "invsyncctl status" share: the document is gathered
 * in invsyncctl_status.c and printed for people in
 * invsyncctl_status_print.c.
 */


#ifndef INVSYNCCTL_STATUS_H_INCLUDED
#define INVSYNCCTL_STATUS_H_INCLUDED


#include "invsyncctl.h"


/* a worker's heartbeat counters, in the order the table shows them */
extern const char  *invsyncctl_status_counters[];


/* invsyncctl_status_print.c: the document, for people */
void invsyncctl_status_print(json_t *doc);


#endif /* INVSYNCCTL_STATUS_H_INCLUDED */
