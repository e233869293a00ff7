
/*
 * Cut-offs: is a location past today's cut-off, in its own time zone, at
 * the order's now_ms?  The C library knows the zones (TZDIR or
 * /usr/share/zoneinfo) but converts only for the process's TZ, and
 * switching TZ re-reads the zone file; so the local minute of each zone
 * is cached for the UTC minute it was computed in, and a decision costs
 * a TZ switch only for a zone it has not seen this minute.  The worker
 * and the CLI are single-threaded; TZ is restored after each switch.
 * now_ms 0 (unknown) applies no cut-off.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsync_route_int.h"


#define INVSYNC_ROUTE_ZONES  64


typedef struct {
    char      zone[64];
    int64_t   minute;          /* UTC minutes since the epoch */
    int       local;           /* minutes after local midnight */
} invsync_route_zone_t;


static int invsync_route_local(const char *zone, int64_t now_ms);
static int invsync_route_convert(const char *zone, time_t t);


static invsync_route_zone_t  invsync_route_zones[INVSYNC_ROUTE_ZONES];


int
invsync_route_late(const invsync_location_t *loc, int64_t now_ms)
{
    if (loc->cutoff_min < 0 || now_ms <= 0) {
        return 0;
    }

    return invsync_route_local(loc->timezone ? loc->timezone : "UTC",
                               now_ms) >= loc->cutoff_min;
}


static int
invsync_route_local(const char *zone, int64_t now_ms)
{
    size_t                 h;
    int64_t                minute;
    const char            *p;
    invsync_route_zone_t  *z;

    minute = now_ms / 60000;

    /* FNV-1a over the name picks the slot; a collision recomputes */
    h = 2166136261u;

    for (p = zone; *p; p++) {
        h = (h ^ (unsigned char) *p) * 16777619u;
    }

    z = &invsync_route_zones[h % INVSYNC_ROUTE_ZONES];

    if (z->minute == minute && strcmp(z->zone, zone) == 0) {
        return z->local;
    }

    z->local = invsync_route_convert(zone, (time_t) (minute * 60));
    z->minute = minute;
    strncpy(z->zone, zone, sizeof(z->zone) - 1);
    z->zone[sizeof(z->zone) - 1] = '\0';

    return z->local;
}


static int
invsync_route_convert(const char *zone, time_t t)
{
    char       *old;
    struct tm   tm;

    old = getenv("TZ");
    old = old != NULL ? strdup(old) : NULL;

    setenv("TZ", zone, 1);
    tzset();

    if (localtime_r(&t, &tm) == NULL) {
        memset(&tm, 0, sizeof(tm));
    }

    if (old != NULL) {
        setenv("TZ", old, 1);
        free(old);

    } else {
        unsetenv("TZ");
    }

    tzset();

    return tm.tm_hour * 60 + tm.tm_min;
}
