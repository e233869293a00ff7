
/*
 * worker.json's "locations", read for routing (the rules are
 * invsync_routing_rules.c's).  The locations are checked whether or not
 * the file has "routing", so that a mistake shows at -t before routing is
 * switched on; without "routing" the result is NULL and orders stay
 * unrouted, as before routing existed.  docs/routing.md gives each key.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "invsync_config_read.h"
#include "invsync_routing_read.h"
#include "invsync_provider.h"
#include "invsync_stock.h"


static int invsync_routing_locations(invsync_rr_t *r, json_t *arr,
    invsync_routing_conf_t *rc);
static int invsync_routing_loc(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_location_t *loc);
static int invsync_routing_address(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_location_t *loc);
static int invsync_routing_kind(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_location_t *loc);
static int invsync_routing_fulfilment(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_location_t *loc);
static int invsync_routing_clock(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_location_t *loc);
static void invsync_routing_loc_free(invsync_location_t *loc);


static const char  *invsync_routing_loc_keys[] = {
    "id", "kind", "name", "address", "channels", "capabilities", "priority",
    "cutoff", "timezone", "active", "fulfilment", NULL
};

static const char  *invsync_routing_address_keys[] = {
    "country", "region", "postal_code", "lat", "lon", NULL
};

/* what the fulfilment step of each kind reads; checked for shape here */
static const char  *invsync_routing_warehouse_keys[] = {
    "api_base", "credentials_file", "provider", "from", "parcel", NULL
};

/* a 3PL's account is a channel of its type (its API, token, webhooks) */
static const char  *invsync_routing_3pl_keys[] = {
    "channel", "ask_after_s", "deadline_s", NULL
};


int
invsync_routing_conf_parse(json_t *root, const invsync_strv_t *known_channels,
    invsync_routing_conf_t **out, char *err, size_t len)
{
    json_t                  *locs, *routing;
    invsync_rr_t             r;
    invsync_routing_conf_t  *rc;

    *out = NULL;
    r.err = err;
    r.len = len;
    r.known_channels = known_channels;

    rc = calloc(1, sizeof(invsync_routing_conf_t));
    if (rc == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    locs = json_object_get(root, "locations");

    if (locs != NULL && !json_is_array(locs)) {
        invsync_rr_fail(&r, "$.locations", NULL, "must be an array");
        goto failed;
    }

    /* the ledger's arithmetic (invsync_stock.h) holds that many a SKU */
    if (json_array_size(locs) > INVSYNC_STOCK_MAX_LOCATIONS) {
        invsync_rr_fail(&r, "$.locations", NULL, "has %zu locations, at "
                        "most %d are supported", json_array_size(locs),
                        INVSYNC_STOCK_MAX_LOCATIONS);
        goto failed;
    }

    if (locs != NULL && invsync_routing_locations(&r, locs, rc) != 0) {
        goto failed;
    }

    routing = json_object_get(root, "routing");

    if (routing == NULL) {
        invsync_routing_conf_free(rc);
        return 0;
    }

    if (!json_is_object(routing)) {
        invsync_rr_fail(&r, "$.routing", NULL, "must be an object");
        goto failed;
    }

    if (rc->nlocations == 0) {
        invsync_rr_fail(&r, "$.routing", NULL, "routes to the locations of "
                        "$.locations, which has none");
        goto failed;
    }

    if (invsync_routing_rules_parse(&r, routing, rc) != 0) {
        goto failed;
    }

    if (invsync_routing_geo_prepare(rc) != 0) {
        snprintf(err, len, "out of memory");
        goto failed;
    }

    *out = rc;

    return 0;

failed:

    invsync_routing_conf_free(rc);

    return -1;
}


void
invsync_routing_conf_free(invsync_routing_conf_t *rc)
{
    size_t  i;

    if (rc == NULL) {
        return;
    }

    for (i = 0; i < rc->nlocations; i++) {
        invsync_routing_loc_free(&rc->locations[i]);
    }

    for (i = 0; i < rc->nrules; i++) {
        invsync_routing_rule_free(&rc->rules[i]);
    }

    for (i = 0; i < rc->npostal; i++) {
        free(rc->postal[i].prefix);
        free(rc->postal[i].dist_km);
    }

    free(rc->locations);
    free(rc->rules);
    free(rc->postal);
    invsync_rr_strv_free(&rc->capabilities);
    free(rc);
}


const invsync_location_t *
invsync_routing_location(const invsync_routing_conf_t *rc, const char *id)
{
    size_t  i;

    for (i = 0; rc != NULL && i < rc->nlocations; i++) {
        if (strcmp(rc->locations[i].id, id) == 0) {
            return &rc->locations[i];
        }
    }

    return NULL;
}


static int
invsync_routing_locations(invsync_rr_t *r, json_t *arr,
    invsync_routing_conf_t *rc)
{
    char                 path[INVSYNC_RR_PATH];
    size_t               i, j;
    json_t              *e;
    invsync_location_t  *loc;

    rc->locations = calloc(json_array_size(arr) + 1,
                           sizeof(invsync_location_t));
    if (rc->locations == NULL) {
        return invsync_rr_fail(r, "$.locations", NULL, "out of memory");
    }

    json_array_foreach(arr, i, e) {
        invsync_rr_at(path, "$.locations[%zu]", i);
        loc = &rc->locations[i];
        rc->nlocations++;

        if (invsync_routing_loc(r, e, path, loc) != 0) {
            return -1;
        }

        if (invsync_routing_location(rc, loc->id) != loc) {
            return invsync_rr_fail(r, path, "id", "\"%s\" is used by an "
                                   "earlier location", loc->id);
        }

        for (j = 0; j < loc->capabilities.n; j++) {
            if (!invsync_strv_has(&rc->capabilities, loc->capabilities.v[j])
                && invsync_rr_strv_add(&rc->capabilities,
                                       loc->capabilities.v[j]) != 0)
            {
                return invsync_rr_fail(r, path, NULL, "out of memory");
            }
        }
    }

    return 0;
}


static int
invsync_routing_loc(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_location_t *loc)
{
    long  prio;

    loc->cutoff_min = -1;

    if (!json_is_object(obj)) {
        return invsync_rr_fail(r, path, NULL, "must be an object");
    }

    if (invsync_rr_keys(r, obj, path, invsync_routing_loc_keys) != 0
        || invsync_rr_str(r, obj, path, "id", &loc->id) != 0)
    {
        return -1;
    }

    if (loc->id == NULL || !invsync_cfg_name(loc->id)) {
        return invsync_rr_fail(r, path, "id", "is required: letters, digits "
                               "and \"-_.:\"");
    }

    if (invsync_routing_kind(r, obj, path, loc) != 0
        || invsync_rr_str(r, obj, path, "name", &loc->name) != 0
        || invsync_routing_address(r, obj, path, loc) != 0
        || invsync_rr_strv(r, obj, path, "channels", &loc->channels) != 0
        || invsync_rr_channels(r, &loc->channels, path, "channels") != 0
        || invsync_rr_strv(r, obj, path, "capabilities", &loc->capabilities)
           != 0
        || invsync_rr_int(r, obj, path, "priority", 0, 1000000, 100, &prio)
           != 0
        || invsync_routing_clock(r, obj, path, loc) != 0
        || invsync_rr_bool(r, obj, path, "active", 1, &loc->active) != 0
        || invsync_routing_fulfilment(r, obj, path, loc) != 0)
    {
        return -1;
    }

    loc->priority = (int) prio;

    if (loc->name == NULL && (loc->name = strdup(loc->id)) == NULL) {
        return invsync_rr_fail(r, path, NULL, "out of memory");
    }

    return 0;
}


static int
invsync_routing_address(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_location_t *loc)
{
    int      has_lat, has_lon;
    char     at[INVSYNC_RR_PATH], *country;
    json_t  *a;

    a = json_object_get(obj, "address");

    if (a == NULL) {
        return 0;
    }

    invsync_rr_at(at, "%s.address", path);

    if (!json_is_object(a)) {
        return invsync_rr_fail(r, at, NULL, "must be an object");
    }

    if (invsync_rr_keys(r, a, at, invsync_routing_address_keys) != 0
        || invsync_rr_str(r, a, at, "country", &country) != 0)
    {
        return -1;
    }

    if (country != NULL
        && invsync_rr_country(r, country, at, "country", loc->country) != 0)
    {
        free(country);
        return -1;
    }

    free(country);

    if (invsync_rr_str(r, a, at, "region", &loc->region) != 0
        || invsync_rr_str(r, a, at, "postal_code", &loc->postal_code) != 0)
    {
        return -1;
    }

    if (loc->postal_code != NULL) {
        invsync_rr_upper(loc->postal_code);
    }

    has_lat = json_object_get(a, "lat") != NULL;
    has_lon = json_object_get(a, "lon") != NULL;

    if (has_lat != has_lon) {
        return invsync_rr_fail(r, at, has_lat ? "lat" : "lon", "needs \"%s\" "
                               "too", has_lat ? "lon" : "lat");
    }

    if (has_lat) {
        if (invsync_rr_num(r, a, at, "lat", -90, 90, &loc->lat) != 0
            || invsync_rr_num(r, a, at, "lon", -180, 180, &loc->lon) != 0)
        {
            return -1;
        }

        loc->has_coords = 1;
    }

    return 0;
}


static int
invsync_routing_kind(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_location_t *loc)
{
    char  *kind;

    if (invsync_rr_str(r, obj, path, "kind", &kind) != 0) {
        return -1;
    }

    if (kind == NULL || strcmp(kind, "manual") == 0) {
        loc->kind = INVSYNC_LOC_MANUAL;

    } else if (strcmp(kind, "warehouse") == 0) {
        loc->kind = INVSYNC_LOC_WAREHOUSE;

    } else if (strcmp(kind, "3pl") == 0) {
        loc->kind = INVSYNC_LOC_3PL;

    } else {
        invsync_rr_fail(r, path, "kind", "unknown kind \"%s\"; one of "
                        "warehouse, 3pl, manual", kind);
        free(kind);
        return -1;
    }

    free(kind);

    return 0;
}


/* kept as JSON for the fulfilment step; its files must be readable now */

static int
invsync_routing_fulfilment(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_location_t *loc)
{
    char         at[INVSYNC_RR_PATH];
    json_t      *f, *v;
    const char  *key, **keys;

    f = json_object_get(obj, "fulfilment");

    if (f == NULL) {
        return 0;
    }

    invsync_rr_at(at, "%s.fulfilment", path);

    if (!json_is_object(f)) {
        return invsync_rr_fail(r, at, NULL, "must be an object");
    }

    if (loc->kind == INVSYNC_LOC_MANUAL) {
        return invsync_rr_fail(r, at, NULL, "a manual location takes no "
                               "fulfilment keys (a person ships)");
    }

    keys = loc->kind == INVSYNC_LOC_3PL ? invsync_routing_3pl_keys
                                        : invsync_routing_warehouse_keys;

    if (invsync_rr_keys(r, f, at, keys) != 0) {
        return -1;
    }

    json_object_foreach(f, key, v) {
        if (strcmp(key, "ask_after_s") == 0
            || strcmp(key, "deadline_s") == 0)
        {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                return invsync_rr_fail(r, at, key, "must be a positive "
                                       "integer");
            }

            continue;
        }

        /* the label's sender and the parcel of SKUs with no sizes */
        if (strcmp(key, "from") == 0 || strcmp(key, "parcel") == 0) {
            if (!json_is_object(v)) {
                return invsync_rr_fail(r, at, key, "must be an object");
            }

            continue;
        }

        if (!json_is_string(v) || json_string_length(v) == 0) {
            return invsync_rr_fail(r, at, key, "must be a non-empty string");
        }

        if (strcmp(key, "channel") == 0 && r->known_channels != NULL
            && !invsync_strv_has(r->known_channels, json_string_value(v)))
        {
            return invsync_rr_fail(r, at, key, "unknown channel \"%s\" "
                                   "(not in $.channels)",
                                   json_string_value(v));
        }

        if (strcmp(key, "provider") == 0
            && invsync_provider_find(json_string_value(v)) == NULL)
        {
            return invsync_rr_fail(r, at, key, "\"%s\" is not one of %s",
                                   json_string_value(v),
                                   invsync_provider_names());
        }

        if (strcmp(key, "api_base") == 0
            && strncmp(json_string_value(v), "http://", 7) != 0
            && strncmp(json_string_value(v), "https://", 8) != 0)
        {
            return invsync_rr_fail(r, at, key, "must be an http(s) URL");
        }

        if (strstr(key, "_file") != NULL
            && access(json_string_value(v), R_OK) != 0)
        {
            return invsync_rr_fail(r, at, key, "\"%s\" cannot be read",
                                   json_string_value(v));
        }
    }

    loc->fulfilment = json_incref(f);

    return 0;
}


/*
 * "cutoff": "HH:MM" in "timezone", an IANA name of the C library's zone
 * database (TZDIR, else /usr/share/zoneinfo): a name it does not have
 * would silently mean UTC at run time, so it is refused here.
 */

static int
invsync_routing_clock(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_location_t *loc)
{
    int           hh, mm, n;
    char         *cutoff, file[512];
    const char   *dir, *tz;
    struct stat   st;

    if (invsync_rr_str(r, obj, path, "cutoff", &cutoff) != 0) {
        return -1;
    }

    if (cutoff != NULL) {
        n = -1;
        sscanf(cutoff, "%2d:%2d%n", &hh, &mm, &n);

        if (n != 5 || hh < 0 || hh > 23 || mm < 0 || mm > 59) {
            invsync_rr_fail(r, path, "cutoff", "\"%s\" is no time of day "
                            "\"HH:MM\" (00:00 to 23:59)", cutoff);
            free(cutoff);
            return -1;
        }

        loc->cutoff_min = hh * 60 + mm;
        free(cutoff);
    }

    if (invsync_rr_str(r, obj, path, "timezone", &loc->timezone) != 0) {
        return -1;
    }

    if (loc->timezone == NULL) {
        loc->timezone = strdup("UTC");
        return loc->timezone ? 0 : invsync_rr_fail(r, path, NULL,
                                                   "out of memory");
    }

    tz = loc->timezone;
    dir = getenv("TZDIR");
    snprintf(file, sizeof(file), "%s/%s", dir ? dir : "/usr/share/zoneinfo",
             tz);

    if (tz[0] == '/' || tz[0] == ':' || strstr(tz, "..") != NULL
        || strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789/_+-") != strlen(tz)
        || stat(file, &st) != 0 || !S_ISREG(st.st_mode)
        || access(file, R_OK) != 0)
    {
        return invsync_rr_fail(r, path, "timezone", "\"%s\" is not in the "
                               "time zone database (an IANA name such as "
                               "\"Europe/Berlin\"; package tzdata)", tz);
    }

    return 0;
}


static void
invsync_routing_loc_free(invsync_location_t *loc)
{
    free(loc->id);
    free(loc->name);
    free(loc->region);
    free(loc->postal_code);
    free(loc->timezone);
    invsync_rr_strv_free(&loc->channels);
    invsync_rr_strv_free(&loc->capabilities);
    json_decref(loc->fulfilment);
}
