
/*
 * The cost of the module's JSON body check (invsync_json_valid()), the
 * only body parse on the Shopify ingest path: for each file named, the
 * best of 7 runs of 20,000 calls, in nanoseconds a call.  Built and run
 * by `make bench-json` (docs/performance.md, "The JSON body check").
 */


#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "invsync.h"


#define T_RUNS   7
#define T_CALLS  20000


static unsigned char *t_slurp(const char *file, size_t *len);
static double t_ns(void);


static unsigned char *
t_slurp(const char *file, size_t *len)
{
    long            n;
    FILE           *f;
    unsigned char  *p;

    f = fopen(file, "rb");
    if (f == NULL) {
        return NULL;
    }

    p = NULL;

    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0
        && fseek(f, 0, SEEK_SET) == 0)
    {
        p = malloc((size_t) n);

        if (p != NULL && fread(p, 1, (size_t) n, f) != (size_t) n) {
            free(p);
            p = NULL;
        }

        *len = (size_t) n;
    }

    fclose(f);

    return p;
}


static double
t_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}


int
main(int argc, char **argv)
{
    int             i, run, k, ok;
    size_t          len;
    double          t0, best, ns;
    unsigned char  *body;

    for (i = 1; i < argc; i++) {
        body = t_slurp(argv[i], &len);
        if (body == NULL) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 1;
        }

        best = 0;
        ok = 0;

        for (run = 0; run < T_RUNS; run++) {
            t0 = t_ns();

            for (k = 0; k < T_CALLS; k++) {
                ok += invsync_json_valid(body, len);
            }

            ns = (t_ns() - t0) / T_CALLS;

            if (run == 0 || ns < best) {
                best = ns;
            }
        }

        printf("%7zu bytes  %8.0f ns  %s%s\n", len, best, argv[i],
               ok == T_RUNS * T_CALLS ? "" : "  (refused)");
        free(body);
    }

    invsync_json_cleanup();

    return 0;
}
