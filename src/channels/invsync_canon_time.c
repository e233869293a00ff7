
/*
 * ISO-8601 times of the channels' bodies as Unix milliseconds, by the
 * proleptic Gregorian calendar, without the C library's time zone state.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon_parts.h"


static int invsync_digits(const char *p, int n);
static int64_t invsync_days(int64_t y, int m, int d);


static int
invsync_digits(const char *p, int n)
{
    int  i, v;

    v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    return v;
}


/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
invsync_days(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


/*
 * YYYY-MM-DDTHH:MM[:SS[.fff...]][Z|+HH:MM|+HHMM|+HH]; no zone is UTC
 * (WooCommerce's *_gmt fields).  Fractions past milliseconds are cut.
 */
int
invsync_time_iso_ms(const char *iso, int64_t *ms)
{
    int          y, mo, d, h, mi, s, frac, scale, sign, oh, om, mdays;
    const char  *p;

    static const int  month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (iso == NULL || strlen(iso) < 16) {
        return -1;
    }

    p = iso;

    y = invsync_digits(p, 4);
    mo = invsync_digits(p + 5, 2);
    d = invsync_digits(p + 8, 2);
    h = invsync_digits(p + 11, 2);
    mi = invsync_digits(p + 14, 2);

    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23
        || mi < 0 || mi > 59 || p[4] != '-' || p[7] != '-'
        || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || p[13] != ':')
    {
        return -1;
    }

    mdays = month_days[mo - 1];

    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }

    if (d > mdays) {
        return -1;
    }

    p += 16;
    s = 0;
    frac = 0;

    if (*p == ':') {
        s = invsync_digits(p + 1, 2);

        if (s < 0 || s > 60) {
            return -1;
        }

        p += 3;

        if (*p == '.' || *p == ',') {
            p++;

            if (*p < '0' || *p > '9') {
                return -1;
            }

            for (scale = 100; *p >= '0' && *p <= '9'; p++) {
                frac += (*p - '0') * scale;
                scale /= 10;
            }
        }
    }

    sign = 0;
    oh = 0;
    om = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        oh = invsync_digits(p + 1, 2);

        if (oh < 0 || oh > 23) {
            return -1;
        }

        p += 3;

        if (*p == ':') {
            p++;
        }

        if (*p != '\0') {
            om = invsync_digits(p, 2);

            if (om < 0 || om > 59) {
                return -1;
            }

            p += 2;
        }
    }

    if (*p != '\0') {
        return -1;
    }

    *ms = ((invsync_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s)
           - sign * (oh * 3600 + om * 60)) * 1000 + frac;

    return 0;
}
