
/*
 * libFuzzer target: the routing configuration reader and the decision
 * (src/runtime/invsync_routing_*.c, src/actions/route/).  The input is one
 * JSON document shaped like a case of t/routing/: "locations" and
 * "routing" as worker.json has them, "stock" ({sku: {location: n}}),
 * "tags" ({sku: [tag]}), "components" ({bundle: {sku: n}}) and one
 * "order".  A configuration the reader accepts is decided on; the
 * checks: a refusal names a JSON path, the trace is JSON, and the
 * allocation keeps the header's promises (every line once, at a
 * configured location, with its quantity, when routed; nothing when
 * unroutable; under a rule without backorder, no location gives more of
 * a ledger SKU, bundles' components summed with the other lines', than
 * it has).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon.h"
#include "route/invsync_route.h"
#include "../unit/route_case.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static size_t t_order(json_t *doc, invsync_route_order_t *o,
    invsync_route_line_t *lines);
static void t_check(const invsync_routing_conf_t *rc,
    const invsync_route_order_t *o, const invsync_route_result_t *res);
static void t_fits(json_t *doc, const invsync_route_order_t *o,
    const invsync_route_result_t *res);
static int64_t t_per_unit(const invsync_route_line_t *line,
    const char *sku);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                     err[512];
    size_t                   i;
    json_t                  *doc, *trace;
    invsync_route_line_t     lines[INVSYNC_ROUTE_MAX_LINES];
    invsync_route_order_t    o;
    invsync_route_result_t   res;
    invsync_routing_conf_t  *rc;

    doc = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return 0;
    }

    err[0] = '\0';

    if (invsync_routing_conf_parse(doc, NULL, &rc, err, sizeof(err)) != 0) {
        if (rc != NULL || strncmp(err, "$.", 2) != 0) {
            abort();
        }

        json_decref(doc);
        return 0;
    }

    if (rc != NULL && t_order(doc, &o, lines) > 0) {
        if (invsync_route_decide(rc, &o, t_stock, doc, &res, err,
                                 sizeof(err)) == 0)
        {
            trace = invsync_route_trace_parse(&res);

            if (trace == NULL) {
                abort();
            }

            t_check(rc, &o, &res);
            t_fits(doc, &o, &res);
            json_decref(trace);
            invsync_route_result_free(&res);
        }

        for (i = 0; i < o.nlines; i++) {
            free(lines[i].tags.v);
            free((void *) lines[i].uses);
        }
    }

    invsync_routing_conf_free(rc);
    json_decref(doc);

    return 0;
}


/* the order's lines; members of the wrong type are left out */

static size_t
t_order(json_t *doc, invsync_route_order_t *o, invsync_route_line_t *lines)
{
    size_t       i, j, n;
    json_t      *jo, *jl, *tags, *v;
    const char  *now, *mode;

    memset(o, 0, sizeof(invsync_route_order_t));
    jo = json_object_get(doc, "order");

    o->channel = json_string_value(json_object_get(jo, "channel"));
    o->channel = o->channel ? o->channel : "shop";
    o->order = "fuzz:1";
    o->version = "";
    o->country = json_string_value(json_object_get(jo, "country"));
    o->region = json_string_value(json_object_get(jo, "region"));
    o->postal_code = json_string_value(json_object_get(jo, "postal_code"));
    o->shipping_method = json_string_value(json_object_get(jo,
                                                           "shipping_method"));

    if (json_is_number(json_object_get(jo, "lat"))
        && json_is_number(json_object_get(jo, "lon")))
    {
        o->has_coords = 1;
        o->lat = json_number_value(json_object_get(jo, "lat"));
        o->lon = json_number_value(json_object_get(jo, "lon"));
    }

    if (json_is_integer(json_object_get(jo, "value"))) {
        o->has_value = 1;
        o->value_minor = json_integer_value(json_object_get(jo, "value"));
    }

    now = json_string_value(json_object_get(jo, "now"));

    if (now != NULL && invsync_time_iso_ms(now, &o->now_ms) != 0) {
        o->now_ms = 0;
    }

    /* a pickup or counter sale, as t/routing/pickup_counter.json has */
    mode = json_string_value(json_object_get(jo, "fulfilment"));
    o->mode = mode == NULL ? INVSYNC_ROUTE_SHIP
              : strcmp(mode, "pickup") == 0 ? INVSYNC_ROUTE_PICKUP
              : strcmp(mode, "none") == 0 ? INVSYNC_ROUTE_COUNTER
              : INVSYNC_ROUTE_SHIP;
    o->at = json_string_value(json_object_get(jo, "at"));
    o->sold_at = json_string_value(json_object_get(jo, "sold_at"));

    n = 0;

    json_array_foreach(json_object_get(jo, "lines"), i, jl) {
        if (n == INVSYNC_ROUTE_MAX_LINES) {
            break;
        }

        lines[n].line_id = json_string_value(json_object_get(jl, "id"));
        lines[n].sku = json_string_value(json_object_get(jl, "sku"));
        lines[n].qty = json_integer_value(json_object_get(jl, "qty"));
        lines[n].uses = NULL;
        lines[n].nuses = 0;

        if (lines[n].line_id == NULL || lines[n].sku == NULL) {
            continue;
        }

        t_uses(doc, &lines[n]);

        tags = json_object_get(json_object_get(doc, "tags"), lines[n].sku);
        lines[n].tags.n = 0;
        lines[n].tags.v = calloc(json_array_size(tags) + 1, sizeof(char *));

        json_array_foreach(tags, j, v) {
            if (json_is_string(v)) {
                lines[n].tags.v[lines[n].tags.n++] =
                    (char *) json_string_value(v);
            }
        }

        n++;
    }

    o->lines = lines;
    o->nlines = n;

    return n;
}


/*
 * Routed (not backordered, the rule without backorder; or a sale): at each
 * location, each ledger SKU a line put there takes, summed over the
 * lines put there (saturated, as the decision sums), fits its stock.
 */

static void
t_fits(json_t *doc, const invsync_route_order_t *o,
    const invsync_route_result_t *res)
{
    size_t                       a, a2, u, nu;
    int64_t                      per, sum;
    const char                  *s, *at;
    const invsync_route_line_t  *l;

    /* a pickup or counter sale has no rule, and never backorders */
    if (res->rc != INVSYNC_ROUTE_ROUTED
        || (res->rule != NULL && res->rule->backorder))
    {
        return;
    }

    for (a = 0; a < res->nallocs; a++) {
        l = &o->lines[res->allocs[a].line];
        at = res->allocs[a].location;
        nu = l->nuses ? l->nuses : 1;

        for (u = 0; u < nu; u++) {
            s = l->nuses ? l->uses[u].sku : l->sku;

            if (t_per_unit(l, s) == 0) {
                continue;
            }

            for (sum = 0, a2 = 0; a2 < res->nallocs; a2++) {
                per = t_per_unit(&o->lines[res->allocs[a2].line], s);

                if (per > 0 && strcmp(res->allocs[a2].location, at) == 0) {
                    sum = res->allocs[a2].qty > (INT64_MAX - sum) / per
                          ? INT64_MAX : sum + res->allocs[a2].qty * per;
                }
            }

            if (sum > t_stock(doc, s, at) && sum < INT64_MAX) {
                abort();
            }
        }
    }
}


static int64_t
t_per_unit(const invsync_route_line_t *line, const char *sku)
{
    size_t   i;
    int64_t  n;

    if (line->nuses == 0) {
        return strcmp(line->sku, sku) == 0;
    }

    for (n = 0, i = 0; i < line->nuses; i++) {
        if (line->uses[i].qty > 0 && strcmp(line->uses[i].sku, sku) == 0) {
            n += line->uses[i].qty;
        }
    }

    return n;
}


static void
t_check(const invsync_routing_conf_t *rc, const invsync_route_order_t *o,
    const invsync_route_result_t *res)
{
    size_t  i;

    /* a pickup or counter sale: no rule, everything at o->at */
    if (o->mode != INVSYNC_ROUTE_SHIP) {
        if (res->rule != NULL
            || (res->rc != INVSYNC_ROUTE_UNROUTABLE
                && (res->nshipments != 1 || res->nallocs != o->nlines)))
        {
            abort();
        }

        for (i = 0; i < res->nallocs; i++) {
            if (o->at == NULL || strcmp(res->allocs[i].location, o->at) != 0)
            {
                abort();
            }
        }

        return;
    }

    if (res->rule == NULL || res->rule < rc->rules
        || res->rule >= rc->rules + rc->nrules)
    {
        abort();
    }

    if (res->rc == INVSYNC_ROUTE_UNROUTABLE) {
        if (res->nallocs != 0 || res->nshipments != 0) {
            abort();
        }

        return;
    }

    if (res->nallocs != o->nlines || res->nshipments == 0
        || res->nshipments > (size_t) res->rule->max_shipments)
    {
        abort();
    }

    for (i = 0; i < res->nallocs; i++) {
        if (res->allocs[i].line != i
            || res->allocs[i].qty != o->lines[i].qty
            || invsync_routing_location(rc, res->allocs[i].location) == NULL)
        {
            abort();
        }
    }
}
