
/*
 * Locations and routing rules of worker.json ("locations", "routing"),
 * validated.  The configuration lives in the runtime, beside the rest of
 * worker.json, so that the worker, the CLI (route dry-run) and the unit
 * tests read it the same way; the decision itself is an action
 * (src/actions/route/invsync_route.h).  docs/routing.md describes every
 * key.
 *
 * This header is the contract between the configuration reader
 * (invsync_routing_conf.c) and the routing engine: change both together.
 */


#ifndef INVSYNC_ROUTING_H_INCLUDED
#define INVSYNC_ROUTING_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


typedef enum {
    INVSYNC_LOC_WAREHOUSE = 0,   /* own stock, a label bought from a carrier */
    INVSYNC_LOC_3PL,             /* the order sent to a 3PL's API */
    INVSYNC_LOC_MANUAL           /* a person ships and confirms */
} invsync_loc_kind_e;


/* a list of strings owned by the configuration */
typedef struct {
    char      **v;
    size_t      n;
} invsync_strv_t;


typedef struct {
    char               *id;          /* the ledger's location id */
    invsync_loc_kind_e  kind;
    char               *name;
    char                country[3];  /* ISO 3166-1 alpha-2, upper case */
    char               *region;      /* or NULL */
    char               *postal_code; /* or NULL */
    int                 has_coords;
    double              lat, lon;    /* degrees */
    invsync_strv_t      channels;    /* channel ids it may serve; n 0: all */
    invsync_strv_t      capabilities;/* e.g. hazmat, cold, oversize */
    int                 priority;    /* lower first */
    int                 cutoff_min;  /* minutes after local midnight, -1 */
    char               *timezone;    /* IANA name, e.g. "Europe/Berlin" */
    int                 active;      /* paused: keeps its stock, routes none */
    json_t             *fulfilment;  /* kind-specific keys, for fulfilment */
    /* precomputed by the reader (invsync_routing_geo.c), for the
     * decision: where nearest places it (its coordinates, else its
     * postal code's) with the cosine of that latitude, and its place in
     * the order of (priority, id), the ranking's last criterion */
    int                 has_geo;
    double              geo_lat, geo_lon, geo_cos;
    size_t              tiebreak;
} invsync_location_t;


typedef enum {
    INVSYNC_ROUTE_PRIORITY = 0,
    INVSYNC_ROUTE_FEWEST_SHIPMENTS,
    INVSYNC_ROUTE_NEAREST,
    INVSYNC_ROUTE_MOST_STOCK
} invsync_route_strategy_e;


/* an ordered rule: the first whose filter matches decides */
typedef struct {
    char                     *name;
    /* the filter: every member given must match; empty lists match all */
    invsync_strv_t            channels;
    invsync_strv_t            countries;
    invsync_strv_t            regions;
    invsync_strv_t            postal_prefixes;
    invsync_strv_t            skus;           /* any line with one of them */
    invsync_strv_t            sku_tags;       /* any line with one of them */
    invsync_strv_t            shipping_methods;
    int                       has_min_value, has_max_value;
    int64_t                   min_value_minor, max_value_minor;
    /* the action */
    invsync_strv_t            require;        /* only these locations */
    invsync_strv_t            prefer;         /* these first */
    invsync_strv_t            exclude;        /* never these */
    invsync_route_strategy_e  strategy;
    int                       split_allowed;
    int                       max_shipments;  /* with splits; >= 1 */
    int                       backorder;      /* stock is not a constraint */
    char                     *rate;           /* fulfilment: cheapest,
                                               * fastest, carrier:service;
                                               * NULL: cheapest */
    int                       implied;        /* the default rule the
                                               * reader appended */
} invsync_route_rule_t;


/* a postal prefix's coordinates, for nearest when an order has none */
typedef struct {
    char        country[3];
    char       *prefix;
    double      lat, lon;
    /* precomputed (invsync_routing_geo.c): cos(lat), and the distance
     * to each location with a place ([nlocations], NULL when the table
     * would be too large: then the decision computes them) */
    double      cos_lat;
    double     *dist_km;
} invsync_postal_point_t;


typedef struct {
    invsync_location_t      *locations;
    size_t                   nlocations;
    invsync_route_rule_t    *rules;          /* the last one matches all */
    size_t                   nrules;
    invsync_postal_point_t  *postal;
    size_t                   npostal;
    invsync_strv_t           capabilities;   /* every location's, once: a
                                              * line's tag among them is a
                                              * capability it needs */
} invsync_routing_conf_t;


/*
 * Reads root's "locations" and "routing"; *out NULL when the file has no
 * "routing" (orders then stay unrouted, as before routing existed).
 * Returns 0, or -1 with err "$.json.path: reason".  known_channels are
 * the ids of "channels" (a location's or a rule's channel must be one).
 */
int invsync_routing_conf_parse(json_t *root,
    const invsync_strv_t *known_channels, invsync_routing_conf_t **out,
    char *err, size_t len);
void invsync_routing_conf_free(invsync_routing_conf_t *rc);
const invsync_location_t *invsync_routing_location(
    const invsync_routing_conf_t *rc, const char *id);
/* 1 when v holds s (exact), else 0 */
int invsync_strv_has(const invsync_strv_t *v, const char *s);

/* invsync_routing_geo.c: the parsed configuration's precomputed members
 * (-1: out of memory); a point for a postal code (the longest prefix in
 * the country, compared in capitals without blanks), or NULL; a code so
 * normalised (its length); the great-circle distance (haversine) given
 * the cosines of both latitudes */
int invsync_routing_geo_prepare(invsync_routing_conf_t *rc);
const invsync_postal_point_t *invsync_routing_point(
    const invsync_routing_conf_t *rc, const char *country, const char *code);
size_t invsync_routing_postal_norm(const char *code, char norm[32]);
double invsync_routing_km(double lat1, double lon1, double cos1,
    double lat2, double lon2, double cos2);
/* cos(lat) as the distance wants it: the same bits every time */
double invsync_routing_cos(double lat);


#endif /* INVSYNC_ROUTING_H_INCLUDED */
