
/*
 * The journal's line builder (src/actions/refund/invsync_journal_lines.c)
 * against its cases, t/journal/<case>.json: each a refund, its SKUs' costs and
 * the accounts in, the entries expected out.  Every entry of every case
 * must also sum to zero in each currency.  Prints TAP.
 */


#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_journal_lines.h"
#include "tap.h"


static void
t_named(int ok, const char *what, const char *name)
{
    t_ok(ok, "%s: %s", name, what);
}


/* each entry's lines, per currency, add up to zero */
static int
t_balanced(json_t *out)
{
    size_t       i, j;
    json_t      *e, *l, *sums;
    const char  *cur;
    json_t      *v;
    int          ok;

    ok = 1;
    json_array_foreach(json_object_get(out, "entries"), i, e) {
        sums = json_object();
        json_array_foreach(json_object_get(e, "lines"), j, l) {
            cur = json_string_value(json_object_get(l, "currency"));
            v = json_object_get(sums, cur);
            json_object_set_new(sums, cur, json_integer(
                json_integer_value(v)
                + json_integer_value(json_object_get(l, "amount_minor"))));
        }
        json_object_foreach(sums, cur, v) {
            ok = ok && json_integer_value(v) == 0;
        }
        json_decref(sums);
    }

    return ok;
}


static void
t_case(const char *file)
{
    char          err[256];
    json_t       *c, *out, *want;
    char         *got;
    json_error_t  jerr;

    c = json_load_file(file, 0, &jerr);
    if (c == NULL) {
        t_named(0, jerr.text, file);
        return;
    }

    out = invsync_journal_lines(json_object_get(c, "refund"),
                                json_object_get(c, "costs"),
                                json_object_get(c, "accounts"), "2026-01-01",
                                err, sizeof(err));
    want = json_object_get(c, "expect");

    if (out == NULL) {
        t_named(json_is_string(json_object_get(c, "error"))
             && strcmp(json_string_value(json_object_get(c, "error")), err)
                == 0, err, file);
        json_decref(c);
        return;
    }

    t_named(json_equal(out, want), "the entries expected", file);
    if (!json_equal(out, want)) {
        got = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
        printf("# got %s\n", got);
        free(got);
    }
    t_named(t_balanced(out), "every entry sums to zero per currency", file);

    json_decref(out);
    json_decref(c);
}


int
main(void)
{
    size_t  i;
    glob_t  g;

    if (glob("t/journal/*.json", 0, NULL, &g) != 0) {
        printf("1..1\nnot ok 1 - no cases in t/journal/\n");
        return 1;
    }

    for (i = 0; i < g.gl_pathc; i++) {
        t_case(g.gl_pathv[i]);
    }

    printf("1..%zu\n", t_n);
    globfree(&g);

    return t_failed;
}
