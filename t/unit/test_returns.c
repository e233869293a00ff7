
/*
 * The restock rules as a table of cases: each JSON file of t/returns holds
 * worker.json's "returns" (and "locations" when it matters) and "cases":
 * each a refund "line" (as the canonical refund has it), the "refund"
 * (its reason), the "ledger" ({"shipped_from", "released"}), the SKU's
 * "tags", the channel's "fallback" location, and what must be decided
 * ("expect": restock, reason, bucket, location, location_from, tag).  A
 * file with "conf_error" must instead be refused by the reader with that
 * text.  Runs invsync_returns_conf_parse() and invsync_restock_decide()
 * only: no Redis.  t/returns/README.md describes the format.  Prints TAP.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refund/invsync_restock_rules.h"
#include "tap.h"


#define T_ERR_LEN  512


static void t_file(const char *dir, const char *name);
static void t_case(const char *file, const invsync_returns_conf_t *rc,
    json_t *c, size_t n);
static json_t *t_got(const invsync_restock_decision_t *d);


int
main(void)
{
    if (t_each_case("t/returns", t_file) != 0) {
        return 1;
    }

    return t_done();
}


static void
t_file(const char *dir, const char *name)
{
    int                      rc;
    char                     path[1300], err[T_ERR_LEN];
    size_t                   i;
    json_t                  *doc, *c;
    const char              *want;
    json_error_t             jerr;
    invsync_returns_conf_t   conf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL) {
        t_ok(0, "%s: %d: %s", name, jerr.line, jerr.text);
        return;
    }

    err[0] = '\0';
    rc = invsync_returns_conf_parse("worker.json", doc, &conf, err,
                                    sizeof(err));
    want = json_string_value(json_object_get(doc, "conf_error"));

    if (want != NULL) {
        t_ok(rc != 0 && strstr(err, want) != NULL, "%s: refused: %s", name,
             want);
        if (rc == 0 || strstr(err, want) == NULL) {
            printf("# got: %s\n", rc == 0 ? "(accepted)" : err);
        }

    } else if (rc != 0) {
        t_ok(0, "%s: %s", name, err);

    } else {
        json_array_foreach(json_object_get(doc, "cases"), i, c) {
            t_case(name, &conf, c, i);
        }
    }

    invsync_returns_conf_free(&conf);
    json_decref(doc);
}


static void
t_case(const char *file, const invsync_returns_conf_t *rc, json_t *c,
    size_t n)
{
    int                          ok;
    char                        *w, *g;
    json_t                      *ledger, *want, *got, *v;
    const char                  *k;
    invsync_restock_facts_t      f;
    invsync_restock_decision_t   d;

    ledger = json_object_get(c, "ledger");
    f.tags = json_object_get(c, "tags");
    f.shipped_from = json_string_value(json_object_get(ledger,
                                                       "shipped_from"));
    f.released = json_is_true(json_object_get(ledger, "released"));
    f.receipt = json_is_true(json_object_get(ledger, "receipt"));
    f.fallback = json_string_value(json_object_get(c, "fallback"));
    if (f.fallback == NULL) {
        f.fallback = "default";
    }

    invsync_restock_decide(rc, json_object_get(c, "line"),
                           json_object_get(c, "refund"), &f, &d);

    want = json_object_get(c, "expect");
    got = t_got(&d);
    ok = want != NULL;

    /* each member expected must be what was decided; null: absent */
    json_object_foreach(want, k, v) {
        if (!json_equal(v, json_object_get(got, k))
            && !(json_is_null(v) && json_object_get(got, k) == NULL))
        {
            ok = 0;
        }
    }

    t_ok(ok, "%s: [%zu] %s", file, n,
         json_string_value(json_object_get(c, "name")) ?: "");

    if (!ok) {
        w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        printf("#   want %s\n#   got  %s\n", w ? w : "", g ? g : "");
        free(w);
        free(g);
    }

    json_decref(got);
}


static json_t *
t_got(const invsync_restock_decision_t *d)
{
    return json_pack("{s:b, s:s?, s:s?, s:s?, s:s?, s:s?}",
                     "restock", d->restock, "reason", d->reason,
                     "bucket", d->bucket, "location", d->location,
                     "location_from", d->location_from, "tag", d->tag);
}
