
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


#include <stddef.h>

#include "invsync_route_int.h"


void
invsync_route_geo(invsync_route_ws_t *ws)
{
    size_t                         i;
    double                         dcos;
    invsync_route_cand_t          *c;
    const invsync_location_t      *loc;
    const invsync_route_order_t   *o;
    const invsync_postal_point_t  *p;

    if (ws->rule->strategy != INVSYNC_ROUTE_NEAREST) {
        return;
    }

    o = ws->order;
    p = NULL;
    dcos = 0;

    if (o->has_coords) {
        ws->has_dest = 1;
        ws->dlat = o->lat;
        ws->dlon = o->lon;
        ws->dest_from = "order";
        dcos = invsync_routing_cos(o->lat);

    } else {
        p = invsync_routing_point(ws->rc, o->country, o->postal_code);

        if (p != NULL) {
            ws->has_dest = 1;
            ws->dlat = p->lat;
            ws->dlon = p->lon;
            ws->dest_from = p->prefix;
            dcos = p->cos_lat;
        }
    }

    if (!ws->has_dest) {
        return;
    }

    /* each location's place and cosine, and a postal point's distances,
     * come with the configuration (invsync_routing_geo.c) */
    for (i = 0; i < ws->nc; i++) {
        c = &ws->c[i];
        loc = c->loc;

        if (c->reason != INVSYNC_RS_OK || !loc->has_geo) {
            continue;
        }

        c->has_dist = 1;
        c->dist_km = p != NULL && p->dist_km != NULL ? p->dist_km[i]
                     : invsync_routing_km(ws->dlat, ws->dlon, dcos,
                                          loc->geo_lat, loc->geo_lon,
                                          loc->geo_cos);
    }
}


double
invsync_route_km(double lat1, double lon1, double lat2, double lon2)
{
    return invsync_routing_km(lat1, lon1, invsync_routing_cos(lat1), lat2,
                              lon2, invsync_routing_cos(lat2));
}


size_t
invsync_route_postal_norm(const char *code, char norm[32])
{
    return invsync_routing_postal_norm(code, norm);
}
