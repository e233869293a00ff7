
/*
 * What the routing decision would otherwise work out for every order
 * from the parsed configuration alone (docs/performance.md, "The
 * worker's part of a routing decision"): each location's place for the
 * nearest strategy (its coordinates, else its postal code's point) and
 * the cosine of its latitude, each postal point's cosine and its
 * distance to every location, and each location's place in the order
 * of (priority, id).  The distance is the one formula the decision uses
 * too (invsync_route_geo.c), so a figure from the table and one worked
 * out for an order's own coordinates are the same bits.
 */


#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_routing.h"


#define INVSYNC_ROUTING_EARTH_KM  6371.0088
/* postal points x locations precomputed at most (8 bytes each) */
#define INVSYNC_ROUTING_DIST_MAX  (256 * 1024)


static int invsync_routing_tie_cmp(const void *a, const void *b,
    void *arg);


int
invsync_routing_geo_prepare(invsync_routing_conf_t *rc)
{
    size_t                         i, k, *order;
    invsync_location_t            *loc;
    invsync_postal_point_t        *p;
    const invsync_postal_point_t  *at;

    for (i = 0; i < rc->npostal; i++) {
        rc->postal[i].cos_lat = invsync_routing_cos(rc->postal[i].lat);
    }

    for (i = 0; i < rc->nlocations; i++) {
        loc = &rc->locations[i];

        if (loc->has_coords) {
            loc->has_geo = 1;
            loc->geo_lat = loc->lat;
            loc->geo_lon = loc->lon;

        } else {
            at = invsync_routing_point(rc, loc->country, loc->postal_code);

            if (at != NULL) {
                loc->has_geo = 1;
                loc->geo_lat = at->lat;
                loc->geo_lon = at->lon;
            }
        }

        loc->geo_cos = loc->has_geo ? invsync_routing_cos(loc->geo_lat) : 0;
    }

    if (rc->npostal * rc->nlocations <= INVSYNC_ROUTING_DIST_MAX) {
        for (i = 0; i < rc->npostal; i++) {
            p = &rc->postal[i];
            p->dist_km = calloc(rc->nlocations + 1, sizeof(double));

            if (p->dist_km == NULL) {
                return -1;
            }

            for (k = 0; k < rc->nlocations; k++) {
                loc = &rc->locations[k];
                p->dist_km[k] = !loc->has_geo ? 0
                    : invsync_routing_km(p->lat, p->lon, p->cos_lat,
                                         loc->geo_lat, loc->geo_lon,
                                         loc->geo_cos);
            }
        }
    }

    order = calloc(rc->nlocations + 1, sizeof(size_t));
    if (order == NULL) {
        return -1;
    }

    for (i = 0; i < rc->nlocations; i++) {
        order[i] = i;
    }

    qsort_r(order, rc->nlocations, sizeof(size_t), invsync_routing_tie_cmp,
            rc);

    for (i = 0; i < rc->nlocations; i++) {
        rc->locations[order[i]].tiebreak = i;
    }

    free(order);

    return 0;
}


/* ids are unique (the reader refuses a second): a total order */

static int
invsync_routing_tie_cmp(const void *a, const void *b, void *arg)
{
    const invsync_routing_conf_t  *rc = arg;
    const invsync_location_t      *x, *y;

    x = &rc->locations[*(const size_t *) a];
    y = &rc->locations[*(const size_t *) b];

    if (x->priority != y->priority) {
        return x->priority < y->priority ? -1 : 1;
    }

    return strcmp(x->id, y->id);
}


double
invsync_routing_cos(double lat)
{
    return cos(lat * (M_PI / 180.0));
}


double
invsync_routing_km(double lat1, double lon1, double cos1, double lat2,
    double lon2, double cos2)
{
    double  rad, dlat, dlon, a, s;

    rad = M_PI / 180.0;
    dlat = (lat2 - lat1) * rad;
    dlon = (lon2 - lon1) * rad;

    s = sin(dlat / 2);
    a = s * s;
    s = sin(dlon / 2);
    a += cos1 * cos2 * s * s;

    return 2 * INVSYNC_ROUTING_EARTH_KM * asin(sqrt(a > 1 ? 1 : a));
}


/* a postal code as the configuration stores them: capitals, no blanks */

size_t
invsync_routing_postal_norm(const char *code, char norm[32])
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


const invsync_postal_point_t *
invsync_routing_point(const invsync_routing_conf_t *rc, const char *country,
    const char *code)
{
    char                           norm[32];
    size_t                         i, n, len, best_len;
    const invsync_postal_point_t  *best;

    if (country == NULL || code == NULL || country[0] == '\0') {
        return NULL;
    }

    n = invsync_routing_postal_norm(code, norm);
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
