
/*
 * invsyncctl sku import: mappings from a CSV file whose columns are the
 * channel table's identifier keys (invsyncctl_sku_ids.c), each line a
 * "sku map", and the routing attributes of "sku set" (tags, weight_g,
 * length_mm, width_mm, height_mm) on the same line or alone.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"
#include "invsync_stock.h"


/* what one line of an import did */
typedef struct {
    int  mapped;       /* its mapping is in place: written, or so already */
    int  unchanged;    /* it was so already: nothing written */
    int  attrs;        /* its attributes changed */
} invsyncctl_sku_line_t;


static int invsyncctl_sku_header(const char *file, char *line, int *col);
static int invsyncctl_sku_has_attrs(const int *col);
static const char *invsyncctl_sku_column(size_t j);
static int invsyncctl_sku_import_line(invsyncctl_t *ctl, char *line,
    size_t len, const int *col, const char *by, const char *why,
    invsyncctl_sku_line_t *done, char *err, size_t errlen);
static int invsyncctl_sku_import_map(invsyncctl_t *ctl, const char **v,
    const char *by, const char *why, invsyncctl_sku_line_t *done, char *err,
    size_t errlen);
static int invsyncctl_sku_import_attrs(invsyncctl_t *ctl, const char **v,
    const invsyncctl_sku_attr_t *at, const char *by, const char *why,
    invsyncctl_sku_line_t *done, char *err, size_t errlen);
static int invsyncctl_sku_csv(char *line, char **cells, size_t max,
    size_t *n);


/*
 * Mappings from CSV: a header naming the columns (those of
 * invsyncctl_sku_column(), any order, sku and channel or an attribute
 * required), then one mapping a line, or only attributes when the line
 * has no channel.  Cells may be quoted ("" is a quote).  A bad line is
 * reported with its number and skipped; the others are mapped.
 */

int
invsyncctl_sku_import(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos, col[INVSYNCCTL_SKU_COLS], failed;
    int                     mapped, unchanged, attrs;
    char                   *line;
    char                    err[INVSYNC_ERR_LEN];
    FILE                   *f;
    size_t                  cap, lineno;
    ssize_t                 len;
    json_t                 *errors;
    const char             *by, *why, *pos[1];
    invsyncctl_sku_line_t   done;
    invsyncctl_opt_t        opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;
    line = NULL;
    cap = 0;
    errors = NULL;

    rc = invsyncctl_sku_args(ctl, argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("sku", "import needs a CSV file");
    }

    f = fopen(pos[0], "r");
    if (f == NULL) {
        fprintf(stderr, "invsyncctl: sku import: %s: %s\n", pos[0],
                strerror(errno));
        return INVSYNCCTL_USAGE;
    }

    len = getline(&line, &cap, f);

    if (len < 0) {
        fprintf(stderr, "invsyncctl: sku import: %s: no header line\n",
                pos[0]);
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    line[strcspn(line, "\r\n")] = '\0';

    /* a byte order mark, as spreadsheets write it */
    if (strncmp(line, "\xef\xbb\xbf", 3) == 0) {
        memmove(line, line + 3, strlen(line + 3) + 1);
    }

    rc = invsyncctl_sku_header(pos[0], line, col);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    errors = json_array();
    if (errors == NULL) {
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    lineno = 1;
    failed = 0;
    mapped = 0;
    unchanged = 0;
    attrs = 0;

    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;

        if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }

        rc = invsyncctl_sku_import_line(ctl, line, (size_t) len, col, by,
                                        why, &done, err, sizeof(err));

        if (rc == INVSYNCCTL_REDIS) {
            goto failed;
        }

        /* a mapping written counts even when its attributes were not;
         * one that was so already is unchanged, not mapped, so that a
         * second import of the same file says it changed nothing */
        mapped += done.mapped && !done.unchanged;
        unchanged += done.mapped && done.unchanged;
        attrs += done.attrs;

        if (rc == INVSYNCCTL_OK) {
            continue;
        }

        failed++;
        fprintf(stderr, "invsyncctl: sku import: %s:%zu: %s\n", pos[0],
                lineno, err);
        json_array_append_new(errors, json_pack("{s:I, s:s}", "line",
                                                (json_int_t) lineno,
                                                "error", err));
    }

    if (ferror(f)) {
        fprintf(stderr, "invsyncctl: sku import: %s: %s\n", pos[0],
                strerror(errno));
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:i, s:i, s:i, s:i, "
                                             "s:O}",
                                             "file", pos[0],
                                             "mapped", mapped,
                                             "unchanged", unchanged,
                                             "attributes_set", attrs,
                                             "failed", failed,
                                             "errors", errors));

    } else if (invsyncctl_sku_has_attrs(col)) {
        printf("imported %s: %d mapped, %d unchanged, %d with attributes "
               "set, %d failed\n", pos[0], mapped, unchanged, attrs, failed);
        rc = INVSYNCCTL_OK;

    } else {
        printf("imported %s: %d mapped, %d unchanged, %d failed\n", pos[0],
               mapped, unchanged, failed);
        rc = INVSYNCCTL_OK;
    }

    if (rc == INVSYNCCTL_OK && failed > 0) {
        rc = INVSYNCCTL_USAGE;
    }

failed:

    json_decref(errors);
    free(line);
    fclose(f);

    return rc;
}


/*
 * The header line: col[j] is the cell of column j (invsyncctl_sku_column),
 * -1 when absent.  A bad header is said; INVSYNCCTL_USAGE.
 */

static int
invsyncctl_sku_header(const char *file, char *line, int *col)
{
    char    *cells[INVSYNCCTL_SKU_COLS + 1];
    size_t   i, j, n, ncols;

    ncols = invsyncctl_sku_nfields() + 4 + INVSYNCCTL_SKU_ATTRS;

    for (j = 0; j < ncols; j++) {
        col[j] = -1;
    }

    if (invsyncctl_sku_csv(line, cells, ncols, &n) != 0 || n > ncols) {
        fprintf(stderr, "invsyncctl: sku import: %s:1: the header must be "
                "%zu or fewer columns: %s\n", file, ncols,
                invsyncctl_sku_columns(","));
        return INVSYNCCTL_USAGE;
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < ncols; j++) {
            if (strcmp(cells[i], invsyncctl_sku_column(j)) == 0) {
                break;
            }
        }

        if (j == ncols || col[j] >= 0) {
            fprintf(stderr, "invsyncctl: sku import: %s:1: column \"%s\" is "
                    "unknown or repeated (%s)\n", file, cells[i],
                    invsyncctl_sku_columns(", "));
            return INVSYNCCTL_USAGE;
        }

        col[j] = (int) i;
    }

    if (col[0] < 0 || (col[1] < 0 && !invsyncctl_sku_has_attrs(col))) {
        fprintf(stderr, "invsyncctl: sku import: %s:1: the header needs the "
                "column sku, and channel or an attribute (%s)\n", file,
                "tags, weight_g, length_mm, width_mm, height_mm, "
                "cost_minor, cost_currency");
        return INVSYNCCTL_USAGE;
    }

    return INVSYNCCTL_OK;
}


/* 1 if the header names an attribute column */

static int
invsyncctl_sku_has_attrs(const int *col)
{
    size_t  i, first;

    first = invsyncctl_sku_nfields() + 4;

    for (i = 0; i < INVSYNCCTL_SKU_ATTRS; i++) {
        if (col[first + i] >= 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * column j of an import: sku, channel, the fields, channel_sku, name, the
 * attributes
 */

static const char *
invsyncctl_sku_column(size_t j)
{
    size_t  nf;

    nf = invsyncctl_sku_nfields();

    if (j < 2) {
        return j == 0 ? "sku" : "channel";
    }

    if (j < nf + 2) {
        return invsyncctl_sku_field(j - 2)->key;
    }

    if (j >= nf + 4) {
        return invsyncctl_sku_attr_names[j - nf - 4];
    }

    return j == nf + 2 ? "channel_sku" : "name";
}


/*
 * One data line of an import: mapped and its attributes set, or
 * INVSYNCCTL_USAGE with the reason in err; INVSYNCCTL_REDIS (said) stops
 * the import.  done says what was written, also of a line that failed.
 */

static int
invsyncctl_sku_import_line(invsyncctl_t *ctl, char *line, size_t len,
    const int *col, const char *by, const char *why,
    invsyncctl_sku_line_t *done, char *err, size_t errlen)
{
    int                     rc;
    char                   *cells[INVSYNCCTL_SKU_COLS + 1];
    size_t                  j, n, first, ncols;
    const char             *v[INVSYNCCTL_SKU_COLS];
    invsyncctl_sku_attr_t   at;

    memset(done, 0, sizeof(invsyncctl_sku_line_t));

    if (len != strlen(line)) {
        snprintf(err, errlen, "a NUL byte in the line");
        return INVSYNCCTL_USAGE;
    }

    line[strcspn(line, "\r\n")] = '\0';

    first = invsyncctl_sku_nfields() + 4;
    ncols = first + INVSYNCCTL_SKU_ATTRS;

    if (invsyncctl_sku_csv(line, cells, ncols, &n) != 0 || n > ncols) {
        snprintf(err, errlen, "not a CSV line of at most %zu cells (an "
                 "unclosed quote?)", ncols);
        return INVSYNCCTL_USAGE;
    }

    for (j = 0; j < ncols; j++) {
        v[j] = col[j] >= 0 && (size_t) col[j] < n && cells[col[j]][0] != '\0'
               ? cells[col[j]] : NULL;
    }

    for (j = 0; j < INVSYNCCTL_SKU_ATTRS; j++) {
        at.val[j] = v[first + j];
    }

    if (v[0] == NULL || (v[1] == NULL && !invsyncctl_sku_attr_given(&at))) {
        snprintf(err, errlen, "no %s", v[0] == NULL ? "sku"
                                       : "channel (and no attribute)");
        return INVSYNCCTL_USAGE;
    }

    if (v[1] != NULL) {
        rc = invsyncctl_sku_import_map(ctl, v, by, why, done, err, errlen);
        if (rc != INVSYNCCTL_OK) {
            return rc;
        }
    }

    if (!invsyncctl_sku_attr_given(&at)) {
        return INVSYNCCTL_OK;
    }

    return invsyncctl_sku_import_attrs(ctl, v, &at, by, why, done, err,
                                       errlen);
}


/* the line's mapping: "sku map" with the line's cells v (see above) */

static int
invsyncctl_sku_import_map(invsyncctl_t *ctl, const char **v,
    const char *by, const char *why, invsyncctl_sku_line_t *done, char *err,
    size_t errlen)
{
    int                    rc;
    size_t                 j, nf;
    invsyncctl_sku_map_t   m;
    invsyncctl_sku_done_t  d;

    nf = invsyncctl_sku_nfields();

    memset(&m, 0, sizeof(invsyncctl_sku_map_t));
    m.sku = v[0];
    m.channel = v[1];
    for (j = 0; j < nf; j++) {
        m.val[j] = v[j + 2];
    }

    m.channel_sku = v[nf + 2];
    m.name = v[nf + 3];
    m.by = by;
    m.why = why;

    rc = invsyncctl_sku_map_one(ctl, &m, &d, err, errlen);

    json_decref(d.ids);

    if (rc == INVSYNCCTL_OK) {
        done->mapped = 1;
        done->unchanged = !d.changed;
    }

    return rc == INVSYNCCTL_NOTFOUND ? INVSYNCCTL_USAGE : rc;
}


/*
 * The line's attributes, at (an empty cell keeps one): "sku set" on the
 * line's SKU, after its mapping if the line has a channel (v[1]).
 */

static int
invsyncctl_sku_import_attrs(invsyncctl_t *ctl, const char **v,
    const invsyncctl_sku_attr_t *at, const char *by, const char *why,
    invsyncctl_sku_line_t *done, char *err, size_t errlen)
{
    int          rc;
    char         refused[INVSYNC_ERR_LEN];
    redisReply  *r;

    rc = invsyncctl_sku_attr_write(ctl, v[0], at, by, why, &r, refused,
                                   sizeof(refused));

    if (rc == INVSYNCCTL_OK) {
        done->attrs = strcmp(r->element[0]->str, "done") == 0;
        freeReplyObject(r);
        return INVSYNCCTL_OK;
    }

    if (rc == INVSYNCCTL_REDIS) {
        return rc;
    }

    if (done->mapped) {
        snprintf(err, errlen, "mapped on %.64s, but the attributes were "
                 "refused: %.300s", v[1], refused);

    } else {
        snprintf(err, errlen, "%s", refused);
    }

    return INVSYNCCTL_USAGE;
}


/*
 * Splits a CSV line in place: cells point into line, at most max + 1 of
 * them are stored (more is the caller's error to see in *n).  -1 for an
 * unclosed or stray quote.
 */

static int
invsyncctl_sku_csv(char *line, char **cells, size_t max, size_t *n)
{
    char  *p, *o;

    *n = 0;
    p = line;

    for ( ;; ) {
        if (*n > max) {
            return 0;
        }

        cells[(*n)++] = p;
        o = p;

        if (*p == '"') {
            for (p++; ; p++) {
                if (*p == '\0') {
                    return -1;
                }

                if (*p == '"') {
                    if (p[1] != '"') {
                        break;
                    }

                    p++;
                }

                *o++ = *p;
            }

            p++;

            if (*p != ',' && *p != '\0') {
                return -1;
            }

        } else {
            while (*p != ',' && *p != '\0') {
                if (*p == '"') {
                    return -1;
                }

                *o++ = *p++;
            }
        }

        if (*p == '\0') {
            *o = '\0';
            return 0;
        }

        *o = '\0';
        p++;
    }
}
