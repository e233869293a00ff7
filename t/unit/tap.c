
/*
 * The unit tests' TAP output (tap.h).
 */


#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"


size_t  t_n;
int     t_failed;


static int t_json_file(const struct dirent *d);


void
t_ok(int ok, const char *fmt, ...)
{
    va_list  ap;

    t_n++;
    t_failed |= !ok;

    printf("%sok %zu - ", ok ? "" : "not ", t_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}


/* the plan, after the tests; the exit status of main() */

int
t_done(void)
{
    printf("1..%zu\n", t_n);

    return t_failed;
}


/*
 * folder is relative to the tree's top ($INVSYNC_TOP, else the current
 * directory); a folder without a case bails out: a suite that found
 * nothing to run has not passed
 */

int
t_each_case(const char *folder, void (*run)(const char *dir, const char *name))
{
    int              i, n;
    char             dir[1024];
    const char      *top;
    struct dirent  **names;

    top = getenv("INVSYNC_TOP");
    snprintf(dir, sizeof(dir), "%s/%s", top ? top : ".", folder);

    n = scandir(dir, &names, t_json_file, alphasort);
    if (n <= 0) {
        printf("Bail out! no cases in %s\n", dir);
        return -1;
    }

    for (i = 0; i < n; i++) {
        run(dir, names[i]->d_name);
        free(names[i]);
    }

    free(names);

    return 0;
}


static int
t_json_file(const struct dirent *d)
{
    size_t  len;

    len = strlen(d->d_name);

    return len > 5 && strcmp(d->d_name + len - 5, ".json") == 0;
}
