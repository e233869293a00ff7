
/*
 * Routing as a table of cases: each JSON file of t/routing holds "locations"
 * and "routing" as worker.json has them, the ledger's "stock" ({sku:
 * {location: n}}), the SKUs' "tags", and "cases": each an "order" and
 * what it must give ("expect": status, rule, allocation, unroutable
 * reasons, the ranked locations, members of the trace).  A file with
 * "conf_error" must instead be refused by the reader with that text.
 * Runs invsync_routing_conf_parse() and invsync_route_decide() only: no
 * Redis.  t/routing/README.md describes the format.  Prints TAP.
 */


#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon.h"
#include "route/invsync_route.h"
#include "route_case.h"
#include "tap.h"


#define T_ERR_LEN  512


static void t_file(const char *dir, const char *name);
static void t_case(const char *file, json_t *doc,
    const invsync_routing_conf_t *rc, json_t *c, size_t n);
static int t_order(json_t *doc, json_t *jo, invsync_route_order_t *o,
    invsync_route_line_t *lines);
static json_t *t_allocs(const invsync_route_order_t *o,
    const invsync_route_result_t *res);
static json_t *t_unroutable(json_t *trace);
static json_t *t_ranked(json_t *trace);
static json_t *t_find(json_t *trace, const char *location);
static int t_subset(json_t *want, json_t *got);
static void t_diag(const char *what, json_t *want, json_t *got);


int
main(void)
{
    if (t_each_case("t/routing", t_file) != 0) {
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
    json_t                  *doc, *c, *want;
    json_error_t             jerr;
    invsync_routing_conf_t  *conf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL) {
        t_ok(0, "%s: %d: %s", name, jerr.line, jerr.text);
        return;
    }

    err[0] = '\0';
    rc = invsync_routing_conf_parse(doc, NULL, &conf, err, sizeof(err));
    want = json_object_get(doc, "conf_error");

    if (json_is_string(want)) {
        t_ok(rc == -1 && strstr(err, json_string_value(want)) != NULL,
             "%s: refused: %s", name, json_string_value(want));

        if (rc == -1 && strstr(err, json_string_value(want)) == NULL) {
            printf("# got: %s\n", err);
        }

        invsync_routing_conf_free(conf);
        json_decref(doc);
        return;
    }

    t_ok(rc == 0 && conf != NULL, "%s: configuration read%s%s", name,
         rc ? ": " : "", rc ? err : "");

    if (conf != NULL) {
        json_array_foreach(json_object_get(doc, "cases"), i, c) {
            t_case(name, doc, conf, c, i);
        }
    }

    invsync_routing_conf_free(conf);
    json_decref(doc);
}


static void
t_case(const char *file, json_t *doc, const invsync_routing_conf_t *rc,
    json_t *c, size_t n)
{
    int                     ok;
    char                    err[T_ERR_LEN], name[256];
    json_t                 *want, *got, *w, *v, *trace;
    const char             *key;
    invsync_route_line_t    lines[INVSYNC_ROUTE_MAX_LINES];
    invsync_route_order_t   o;
    invsync_route_result_t  res;

    snprintf(name, sizeof(name), "%s: %s", file,
             json_string_value(json_object_get(c, "name"))
             ? json_string_value(json_object_get(c, "name")) : "?");
    (void) n;

    if (t_order(doc, json_object_get(c, "order"), &o, lines) != 0) {
        t_ok(0, "%s: the case's order is malformed", name);
        return;
    }

    if (invsync_route_decide(rc, &o, t_stock, doc, &res, err, sizeof(err))
        != 0)
    {
        t_ok(0, "%s: decide: %s", name, err);
        goto done;
    }

    want = json_object_get(c, "expect");
    trace = invsync_route_trace_parse(&res);
    ok = trace != NULL;

    if (trace == NULL) {
        printf("# the trace is no JSON: %s\n", res.trace_json);
    }

    json_object_foreach(want, key, w) {
        if (strcmp(key, "allocation") == 0) {
            got = t_allocs(&o, &res);
        } else if (strcmp(key, "unroutable") == 0) {
            got = t_unroutable(trace);
        } else if (strcmp(key, "ranked") == 0) {
            got = t_ranked(trace);
        } else if (strcmp(key, "locations") == 0) {
            const char  *id;

            got = json_object();
            json_object_foreach(w, id, v) {
                json_object_set(got, id, t_find(trace, id));
            }
        } else if (strcmp(key, "trace") == 0) {
            got = json_incref(trace);
        } else if (strcmp(key, "status") == 0) {
            got = json_incref(json_object_get(trace, "status"));
        } else if (strcmp(key, "rule") == 0) {
            got = res.rule != NULL ? json_string(res.rule->name)
                                   : json_null();
        } else if (strcmp(key, "shipments") == 0) {
            got = json_integer((json_int_t) res.nshipments);
        } else {
            got = NULL;
            printf("# unknown expectation \"%s\"\n", key);
        }

        if (got == NULL || !t_subset(w, got)) {
            ok = 0;
            t_diag(key, w, got);
        }

        json_decref(got);
    }

    t_ok(ok && want != NULL, "%s", name);

    if (getenv("T_TRACE") != NULL) {
        char  *s = json_dumps(trace, JSON_INDENT(1));

        printf("# trace: %s\n", s);
        free(s);
    }

    json_decref(trace);
    invsync_route_result_free(&res);

done:

    for (n = 0; n < o.nlines; n++) {
        free(lines[n].tags.v);
        free((void *) lines[n].uses);
    }
}


static int
t_order(json_t *doc, json_t *jo, invsync_route_order_t *o,
    invsync_route_line_t *lines)
{
    size_t       i, j;
    json_t      *jl, *tags, *v;
    const char  *now, *mode;

    memset(o, 0, sizeof(invsync_route_order_t));

    if (!json_is_object(jo)) {
        return -1;
    }

    o->channel = json_string_value(json_object_get(jo, "channel"));
    o->channel = o->channel != NULL ? o->channel : "shop-eu";
    o->order = "test:1";
    o->version = "";
    o->country = json_string_value(json_object_get(jo, "country"));
    o->region = json_string_value(json_object_get(jo, "region"));
    o->postal_code = json_string_value(json_object_get(jo, "postal_code"));
    o->shipping_method = json_string_value(json_object_get(jo,
                                                           "shipping_method"));

    if (json_object_get(jo, "lat") != NULL) {
        o->has_coords = 1;
        o->lat = json_number_value(json_object_get(jo, "lat"));
        o->lon = json_number_value(json_object_get(jo, "lon"));
    }

    if (json_is_integer(json_object_get(jo, "value"))) {
        o->has_value = 1;
        o->value_minor = json_integer_value(json_object_get(jo, "value"));
    }

    /* a pickup or counter sale: where the caller mapped the sale */
    mode = json_string_value(json_object_get(jo, "fulfilment"));
    o->mode = mode == NULL ? INVSYNC_ROUTE_SHIP
              : strcmp(mode, "pickup") == 0 ? INVSYNC_ROUTE_PICKUP
              : strcmp(mode, "none") == 0 ? INVSYNC_ROUTE_COUNTER
              : INVSYNC_ROUTE_SHIP;
    o->at = json_string_value(json_object_get(jo, "at"));
    o->sold_at = json_string_value(json_object_get(jo, "sold_at"));

    now = json_string_value(json_object_get(jo, "now"));

    if (now != NULL && invsync_time_iso_ms(now, &o->now_ms) != 0) {
        return -1;
    }

    json_array_foreach(json_object_get(jo, "lines"), i, jl) {
        if (i >= INVSYNC_ROUTE_MAX_LINES) {
            return -1;
        }

        lines[i].line_id = json_string_value(json_object_get(jl, "id"));
        lines[i].sku = json_string_value(json_object_get(jl, "sku"));
        lines[i].qty = json_integer_value(json_object_get(jl, "qty"));
        lines[i].no_parcel = json_is_false(json_object_get(jl,
                                                    "requires_shipping"));
        t_uses(doc, &lines[i]);
        tags = json_object_get(json_object_get(doc, "tags"), lines[i].sku);
        lines[i].tags.n = 0;
        lines[i].tags.v = calloc(json_array_size(tags) + 1, sizeof(char *));
        o->nlines = i + 1;

        json_array_foreach(tags, j, v) {
            lines[i].tags.v[lines[i].tags.n++] = (char *) json_string_value(v);
        }
    }

    o->lines = lines;

    return 0;
}


static json_t *
t_allocs(const invsync_route_order_t *o, const invsync_route_result_t *res)
{
    size_t   i;
    json_t  *a;

    a = json_array();

    for (i = 0; i < res->nallocs; i++) {
        json_array_append_new(a, json_pack("{s:s, s:s, s:I}",
            "line", o->lines[res->allocs[i].line].line_id,
            "location", res->allocs[i].location,
            "qty", (json_int_t) res->allocs[i].qty));
    }

    return a;
}


static json_t *
t_unroutable(json_t *trace)
{
    size_t   i;
    json_t  *a, *e;

    a = json_array();

    json_array_foreach(json_object_get(trace, "unroutable"), i, e) {
        json_array_append_new(a, json_pack("{s:O, s:O}",
            "line", json_object_get(e, "line"),
            "reason", json_object_get(e, "reason")));
    }

    return a;
}


/* the kept locations' ids, best first */

static json_t *
t_ranked(json_t *trace)
{
    size_t   i;
    json_t  *a, *e;

    a = json_array();

    json_array_foreach(json_object_get(trace, "considered"), i, e) {
        if (json_is_true(json_object_get(e, "kept"))) {
            json_array_append(a, json_object_get(e, "location"));
        }
    }

    return a;
}


static json_t *
t_find(json_t *trace, const char *location)
{
    size_t   i;
    json_t  *e;

    json_array_foreach(json_object_get(trace, "considered"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "location")),
                   location) == 0)
        {
            return e;
        }
    }

    return json_null();
}


/* want's members are in got (arrays: the same length); numbers to 0.05 */

static int
t_subset(json_t *want, json_t *got)
{
    size_t       i;
    json_t      *v;
    const char  *key;

    if (json_is_object(want)) {
        if (!json_is_object(got)) {
            return 0;
        }

        json_object_foreach(want, key, v) {
            if (!t_subset(v, json_object_get(got, key))) {
                return 0;
            }
        }

        return 1;
    }

    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(got)
                                   != json_array_size(want))
        {
            return 0;
        }

        json_array_foreach(want, i, v) {
            if (!t_subset(v, json_array_get(got, i))) {
                return 0;
            }
        }

        return 1;
    }

    if (json_is_number(want)) {
        return json_is_number(got)
               && fabs(json_number_value(want) - json_number_value(got))
                  < 0.05;
    }

    return got != NULL && json_equal(want, got);
}


static void
t_diag(const char *what, json_t *want, json_t *got)
{
    char  *w, *g;

    w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
    g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    printf("# %s: want %s\n#   got %s\n", what, w ? w : "?", g ? g : "-");
    free(w);
    free(g);
}
