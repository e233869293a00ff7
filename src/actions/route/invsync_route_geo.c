
/*
 * Distances for the nearest strategy: great-circle (haversine, mean
 * Earth radius 6371 km) between the destination and each kept location.
 * The destination's coordinates come from the order when it carries
 * them, else from the configuration's postal_coordinates: the longest
 * prefix of the postal code in the destination's country.  A location
 * without coordinates is placed the same way from its own address.
 * Whatever stays unknown has no distance and ranks after every location
 * with one (so an unknown destination routes by priority).
 */


#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "invsync_route_int.h"


#define INVSYNC_ROUTE_EARTH_KM  6371.0088


static const invsync_postal_point_t *invsync_route_point(
    const invsync_routing_conf_t *rc, const char *country, const char *code);


void
invsync_route_geo(invsync_route_ws_t *ws)
{
    size_t                         i;
    double                         lat, lon;
    invsync_route_cand_t          *c;
    const invsync_route_order_t   *o;
    const invsync_postal_point_t  *p;

    if (ws->rule->strategy != INVSYNC_ROUTE_NEAREST) {
        return;
    }

    o = ws->order;

    if (o->has_coords) {
        ws->has_dest = 1;
        ws->dlat = o->lat;
        ws->dlon = o->lon;
        ws->dest_from = "order";

    } else {
        p = invsync_route_point(ws->rc, o->country, o->postal_code);

        if (p != NULL) {
            ws->has_dest = 1;
            ws->dlat = p->lat;
            ws->dlon = p->lon;
            ws->dest_from = p->prefix;
        }
    }

    if (!ws->has_dest) {
        return;
    }

    for (i = 0; i < ws->nc; i++) {
        c = &ws->c[i];

        if (c->reason != INVSYNC_RS_OK) {
            continue;
        }

        if (c->loc->has_coords) {
            lat = c->loc->lat;
            lon = c->loc->lon;

        } else {
            p = invsync_route_point(ws->rc, c->loc->country,
                                    c->loc->postal_code);
            if (p == NULL) {
                continue;
            }

            lat = p->lat;
            lon = p->lon;
        }

        c->has_dist = 1;
        c->dist_km = invsync_route_km(ws->dlat, ws->dlon, lat, lon);
    }
}


double
invsync_route_km(double lat1, double lon1, double lat2, double lon2)
{
    double  rad, dlat, dlon, a;

    rad = M_PI / 180.0;
    dlat = (lat2 - lat1) * rad;
    dlon = (lon2 - lon1) * rad;

    a = sin(dlat / 2) * sin(dlat / 2)
        + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

    return 2 * INVSYNC_ROUTE_EARTH_KM * asin(sqrt(a > 1 ? 1 : a));
}


/* a postal code as the configuration stores them: capitals, no blanks */

size_t
invsync_route_postal_norm(const char *code, char norm[32])
{
    size_t  n;

    for (n = 0; *code && n < 31; code++) {
        if (*code != ' ' && *code != '-') {
            norm[n++] = (char) (*code >= 'a' && *code <= 'z'
                                ? *code - 32 : *code);
        }
    }

    norm[n] = '\0';

    return n;
}


/* the longest prefix of code (compared in capitals, blanks left out) */

static const invsync_postal_point_t *
invsync_route_point(const invsync_routing_conf_t *rc, const char *country,
    const char *code)
{
    char                           norm[32];
    size_t                         i, n, len, best_len;
    const invsync_postal_point_t  *best;

    if (country == NULL || code == NULL || country[0] == '\0') {
        return NULL;
    }

    n = invsync_route_postal_norm(code, norm);
    best = NULL;
    best_len = 0;

    for (i = 0; i < rc->npostal; i++) {
        len = strlen(rc->postal[i].prefix);

        if (len > best_len && len <= n
            && strcasecmp(rc->postal[i].country, country) == 0
            && memcmp(rc->postal[i].prefix, norm, len) == 0)
        {
            best = &rc->postal[i];
            best_len = len;
        }
    }

    return best;
}
