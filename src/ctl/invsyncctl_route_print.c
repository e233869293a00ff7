
/*
 * A routing trace (docs/routing.md, "The trace") in words, for route
 * explain, dry-run and retry: the rule, each location considered with
 * why it was kept or rejected, what it saw there, the allocation, and
 * the reason of each line no location could take.
 */


#include <stdio.h>
#include <string.h>

#include "invsyncctl_route.h"


static void invsyncctl_route_location(json_t *loc, FILE *out);
static const char *invsyncctl_route_text(json_t *v, char *buf, size_t cap);


int
invsyncctl_route_print(json_t *trace, FILE *out)
{
    char         a[128], b[128], c[128];
    size_t       i;
    json_t      *v;
    const char  *result;

    result = json_string_value(json_object_get(trace, "status"));

    fprintf(out, "order %s, version %s: %s\n",
            invsyncctl_route_text(json_object_get(trace, "order"), a,
                                  sizeof(a)),
            invsyncctl_route_text(json_object_get(trace, "version"), b,
                                  sizeof(b)),
            result ? result : "decided");

    /* a pickup or counter sale: no rule ran, the reason says where */
    if (json_is_string(json_object_get(trace, "reason"))) {
        fprintf(out, "%s (no rule: the channel says where), %s "
                "shipment(s)\n",
                json_string_value(json_object_get(trace, "reason")),
                invsyncctl_route_text(json_object_get(trace, "shipments"), c,
                                      sizeof(c)));

    } else {
        fprintf(out, "rule \"%s\"%s, strategy %s, %s shipment(s)\n",
                invsyncctl_route_text(json_object_get(trace, "rule"), a,
                                      sizeof(a)),
                json_is_true(json_object_get(trace, "default"))
                ? " (the default)" : "",
                invsyncctl_route_text(json_object_get(trace, "strategy"), b,
                                      sizeof(b)),
                invsyncctl_route_text(json_object_get(trace, "shipments"), c,
                                      sizeof(c)));
    }

    fprintf(out, "locations considered:\n");

    json_array_foreach(json_object_get(trace, "considered"), i, v) {
        invsyncctl_route_location(v, out);
    }

    if (json_array_size(json_object_get(trace, "allocation")) > 0) {
        fprintf(out, "allocation:\n");
    }

    json_array_foreach(json_object_get(trace, "allocation"), i, v) {
        fprintf(out, "  line %s: %s x%s from %s\n",
                invsyncctl_route_text(json_object_get(v, "line"), a,
                                      sizeof(a)),
                json_string_value(json_object_get(v, "sku")),
                invsyncctl_route_text(json_object_get(v, "qty"), b,
                                      sizeof(b)),
                invsyncctl_route_text(json_object_get(v, "location"), c,
                                      sizeof(c)));
    }

    if (json_array_size(json_object_get(trace, "unroutable")) > 0) {
        fprintf(out, "unroutable:\n");
    }

    json_array_foreach(json_object_get(trace, "unroutable"), i, v) {
        fprintf(out, "  line %s: %s: %s\n",
                invsyncctl_route_text(json_object_get(v, "line"), a,
                                      sizeof(a)),
                invsyncctl_route_text(json_object_get(v, "sku"), b,
                                      sizeof(b)),
                invsyncctl_route_text(json_object_get(v, "reason"), c,
                                      sizeof(c)));
    }

    return ferror(out) ? INVSYNCCTL_USAGE : INVSYNCCTL_OK;
}


/*
 * "  wh-a  kept (preferred); 12.3 km; stock SKU-A 5, SKU-B 0; cannot
 * take line 2: no stock" or "  wh-c  rejected: inactive"
 */

static void
invsyncctl_route_location(json_t *loc, FILE *out)
{
    char         a[128], b[256];
    size_t       i;
    json_t      *n, *km, *why;
    const char  *sku, *sep;

    fprintf(out, "  %s  ",
            invsyncctl_route_text(json_object_get(loc, "location"), a,
                                  sizeof(a)));

    if (!json_is_true(json_object_get(loc, "kept"))) {
        fprintf(out, "rejected: %s\n",
                invsyncctl_route_text(json_object_get(loc, "reason"), b,
                                      sizeof(b)));
        return;
    }

    fprintf(out, "kept%s", json_is_true(json_object_get(loc, "preferred"))
                           ? " (preferred)" : "");

    if (json_is_string(json_object_get(loc, "cutoff"))) {
        fprintf(out, "; cut-off %s",
                json_string_value(json_object_get(loc, "cutoff")));
    }

    km = json_object_get(loc, "distance_km");

    if (json_is_number(km)) {
        fprintf(out, "; %.1f km", json_number_value(km));
    }

    sep = "; stock ";

    json_object_foreach(json_object_get(loc, "stock"), sku, n) {
        fprintf(out, "%s%s %s", sep, sku,
                invsyncctl_route_text(n, a, sizeof(a)));
        sep = ", ";
    }

    json_array_foreach(json_object_get(loc, "cannot"), i, why) {
        fprintf(out, "; cannot take line %s: %s",
                invsyncctl_route_text(json_object_get(why, "line"), a,
                                      sizeof(a)),
                invsyncctl_route_text(json_object_get(why, "reason"), b,
                                      sizeof(b)));
    }

    fputc('\n', out);
}


/* a member as text: strings as they are, numbers in decimal, else "-" */

static const char *
invsyncctl_route_text(json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v)) {
        snprintf(buf, cap, "%s", json_string_value(v));

    } else if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));

    } else if (json_is_real(v)) {
        snprintf(buf, cap, "%g", json_real_value(v));

    } else {
        snprintf(buf, cap, "-");
    }

    return buf;
}
