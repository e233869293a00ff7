
/*
 * invsyncctl's output for people: a table with a header row, cells
 * copied, control bytes shown as "?", columns padded.
 */


#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsyncctl.h"


#define INVSYNCCTL_CELL_MAX  72


static char *invsyncctl_cell(const char *s);


/* ncols header strings follow; bit i of right aligns column i right */

invsyncctl_table_t *
invsyncctl_table_new(size_t ncols, unsigned right, ...)
{
    size_t               i;
    va_list              args;
    invsyncctl_table_t  *t;

    t = calloc(1, sizeof(invsyncctl_table_t));
    if (t == NULL) {
        return NULL;
    }

    t->ncols = ncols;
    t->right = right;
    t->cap = 16;
    t->cells = calloc(t->cap * ncols, sizeof(char *));

    if (t->cells == NULL) {
        free(t);
        return NULL;
    }

    va_start(args, right);

    for (i = 0; i < ncols; i++) {
        t->cells[i] = invsyncctl_cell(va_arg(args, const char *));
    }

    va_end(args);

    t->nrows = 1;

    return t;
}


/* ncols strings follow, copied; NULL shows as "-" */

int
invsyncctl_table_add(invsyncctl_table_t *t, ...)
{
    char    **cells;
    size_t    i, base;
    va_list   args;

    if (t == NULL) {
        return -1;
    }

    if (t->nrows == t->cap) {
        cells = realloc(t->cells, t->cap * 2 * t->ncols * sizeof(char *));
        if (cells == NULL) {
            return -1;
        }

        t->cells = cells;
        t->cap *= 2;
    }

    base = t->nrows * t->ncols;

    va_start(args, t);

    for (i = 0; i < t->ncols; i++) {
        t->cells[base + i] = invsyncctl_cell(va_arg(args, const char *));
    }

    va_end(args);

    t->nrows++;

    return 0;
}


/* a cell: control bytes shown as "?", long text cut with "..." */

static char *
invsyncctl_cell(const char *s)
{
    char    *c;
    size_t   i, n;

    if (s == NULL || s[0] == '\0') {
        s = "-";
    }

    n = strlen(s);

    if (n > INVSYNCCTL_CELL_MAX) {
        n = INVSYNCCTL_CELL_MAX;
    }

    c = malloc(n + 1);
    if (c == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        c[i] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    }

    if (n < strlen(s)) {
        memcpy(c + n - 3, "...", 3);
    }

    c[n] = '\0';

    return c;
}


void
invsyncctl_table_print(invsyncctl_table_t *t, FILE *out)
{
    int          w;
    size_t       r, i, len, width[32];
    const char  *cell;

    if (t == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return;
    }

    for (i = 0; i < t->ncols && i < 32; i++) {
        width[i] = 0;

        for (r = 0; r < t->nrows; r++) {
            cell = t->cells[r * t->ncols + i];
            len = cell != NULL ? strlen(cell) : 1;

            if (len > width[i]) {
                width[i] = len;
            }
        }
    }

    for (r = 0; r < t->nrows; r++) {
        for (i = 0; i < t->ncols && i < 32; i++) {
            cell = t->cells[r * t->ncols + i];
            cell = cell != NULL ? cell : "?";
            w = (int) width[i];

            if (t->right & (1u << i)) {
                fprintf(out, "%s%*s", i ? "  " : "", w, cell);

            } else if (i + 1 == t->ncols) {
                fprintf(out, "%s%s", i ? "  " : "", cell);

            } else {
                fprintf(out, "%s%-*s", i ? "  " : "", w, cell);
            }
        }

        fputc('\n', out);
    }
}


void
invsyncctl_table_free(invsyncctl_table_t *t)
{
    size_t  i;

    if (t == NULL) {
        return;
    }

    for (i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i]);
    }

    free(t->cells);
    free(t);
}
