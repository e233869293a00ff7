
/*
 * The unit tests' TAP output, one copy for all of them: t_ok() prints one
 * test line, t_done() the plan; t_each_case() runs a function on every JSON
 * file of a folder of cases (t/routing, t/returns, ...), in name order.
 */


#ifndef T_TAP_H
#define T_TAP_H


#include <stddef.h>


extern size_t  t_n;             /* tests printed so far */
extern int     t_failed;        /* 1 once one failed */


void t_ok(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int t_done(void);
int t_each_case(const char *folder, void (*run)(const char *dir,
    const char *name));


#endif /* T_TAP_H */
