
/*
 * A trace's locations written out again: the decision packs "considered"
 * as "considered_packed" (invsync_route_trace.c: the audit entry of 50
 * locations spelled out was 7 KB through route.lua), and whoever shows a
 * trace (the worker's own parse, invsyncctl route explain, audit and
 * dry-run) shows it as docs/routing.md gives it, member for member, in
 * the same order.  The console's order page does the same in Lua
 * (ngx_invsync_module/console/lua/order.lua).
 */


#include <string.h>

#include "invsync_route_int.h"


static json_t *invsync_route_unpack_loc(const json_t *p, const json_t *lines,
    const json_t *skus);
static json_t *invsync_route_unpack_skus(const json_t *lines);
static const char *invsync_route_unpack_reason(const json_t *code);


json_t *
invsync_route_trace_unpack(json_t *trace)
{
    size_t       i;
    json_t      *packed, *lines, *skus, *out, *locs, *loc, *v;
    const char  *k;

    packed = json_object_get(trace, "considered_packed");

    if (!json_is_array(packed)) {
        return json_incref(trace);
    }

    lines = json_object_get(trace, "lines");
    skus = invsync_route_unpack_skus(lines);
    locs = json_array();
    out = json_object();

    for (i = 0; skus != NULL && locs != NULL && i < json_array_size(packed);
         i++)
    {
        loc = invsync_route_unpack_loc(json_array_get(packed, i), lines,
                                       skus);

        if (loc == NULL || json_array_append_new(locs, loc) != 0) {
            json_decref(locs);
            locs = NULL;
        }
    }

    json_decref(skus);

    if (locs == NULL || out == NULL) {
        json_decref(locs);
        json_decref(out);
        return NULL;
    }

    /* the members in their order, "considered" in its place */
    json_object_foreach(trace, k, v) {
        if (v == packed) {
            json_object_set(out, "considered", locs);
        } else {
            json_object_set(out, k, v);
        }
    }

    json_decref(locs);

    return out;
}


/* ["id", reason] or ["id", flags, tenths, [stock], [line, reason, ...]] */

static json_t *
invsync_route_unpack_loc(const json_t *p, const json_t *lines,
    const json_t *skus)
{
    size_t       k;
    json_t      *o, *stock, *cannot, *st, *cn;
    json_int_t   flags, tenths;
    const char  *reason;

    o = json_object();

    if (o == NULL || !json_is_array(p) || json_array_size(p) < 2
        || !json_is_string(json_array_get(p, 0)))
    {
        json_decref(o);
        return NULL;
    }

    json_object_set(o, "location", json_array_get(p, 0));

    if (json_array_size(p) == 2) {
        reason = invsync_route_unpack_reason(json_array_get(p, 1));
        json_object_set_new(o, "kept", json_false());
        json_object_set_new(o, "reason", json_string(reason ? reason : "?"));
        return o;
    }

    flags = json_integer_value(json_array_get(p, 1));
    tenths = json_integer_value(json_array_get(p, 2));
    json_object_set_new(o, "kept", json_true());

    if (flags & 1) {
        json_object_set_new(o, "preferred", json_true());
    }

    if (flags & 6) {
        json_object_set_new(o, "cutoff",
                            json_string(flags & 4 ? "passed" : "open"));
    }

    if (tenths >= 0) {
        json_object_set_new(o, "distance_km", json_real(tenths / 10.0));
    }

    st = json_array_get(p, 3);
    stock = json_object();

    for (k = 0; stock != NULL && k < json_array_size(skus); k++) {
        json_object_set(stock, json_string_value(json_array_get(skus, k)),
                        json_array_get(st, k) ? json_array_get(st, k)
                                              : json_null());
    }

    if (stock == NULL || json_object_set_new(o, "stock", stock) != 0) {
        json_decref(o);
        return NULL;
    }

    cn = json_array_get(p, 4);

    if (json_array_size(cn) == 0) {
        return o;
    }

    cannot = json_array();

    for (k = 0; cannot != NULL && k + 1 < json_array_size(cn); k += 2) {
        reason = invsync_route_unpack_reason(json_array_get(cn, k + 1));
        json_array_append_new(cannot, json_pack("{s:O?, s:s}", "line",
            json_object_get(json_array_get(lines, (size_t)
                json_integer_value(json_array_get(cn, k))), "line"),
            "reason", reason ? reason : "?"));
    }

    json_object_set_new(o, "cannot", cannot);

    return o;
}


/* the distinct SKUs of the lines, in their order: the stock's members */

static json_t *
invsync_route_unpack_skus(const json_t *lines)
{
    size_t   l, k;
    json_t  *skus, *sku;

    skus = json_array();

    for (l = 0; skus != NULL && l < json_array_size(lines); l++) {
        sku = json_object_get(json_array_get(lines, l), "sku");

        for (k = 0; k < json_array_size(skus)
                    && !json_equal(json_array_get(skus, k), sku); k++)
        {
            /* void */
        }

        if (json_is_string(sku) && k == json_array_size(skus)) {
            json_array_append(skus, sku);
        }
    }

    return skus;
}


static const char *
invsync_route_unpack_reason(const json_t *code)
{
    json_int_t  r;

    r = json_integer_value(code);

    if (!json_is_integer(code) || r < INVSYNC_RS_OK
        || r > INVSYNC_RS_SHIPMENTS)
    {
        return NULL;
    }

    return invsync_route_reason_name((int) r);
}
