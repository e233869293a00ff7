
/*
 * invsyncctl's argument parsing, shared by the command files: options,
 * usage errors, numbers, times, ids and who acts.
 */


#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsyncctl.h"


static int invsyncctl_digits(const char **p, int n, int *out);


/*
 * The options of one command, after its name (argv[0]): --json, -c and
 * --help anywhere, those of opts as "--name VALUE" or "--name=VALUE", up
 * to maxpos positional arguments into pos.  Returns INVSYNCCTL_OK,
 * INVSYNCCTL_HELP (usage printed) or INVSYNCCTL_USAGE (error printed).
 */

int
invsyncctl_args(invsyncctl_t *ctl, const char *cmd, const char *usage,
    int argc, char **argv, const invsyncctl_opt_t *opts, const char **pos,
    int maxpos, int *npos)
{
    int                      i, options;
    size_t                   n;
    const char              *a, *eq, *value;
    const invsyncctl_opt_t  *o;

    *npos = 0;
    options = 1;

    for (i = 1; i < argc; i++) {
        a = argv[i];

        if (!options || a[0] != '-' || a[1] == '\0') {
            if (*npos == maxpos) {
                return invsyncctl_usage_error(cmd, "unexpected argument "
                                              "\"%s\"", a);
            }

            pos[(*npos)++] = a;
            continue;
        }

        if (strcmp(a, "--") == 0) {
            options = 0;
            continue;
        }

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return INVSYNCCTL_HELP;
        }

        if (strcmp(a, "--json") == 0) {
            ctl->json = 1;
            continue;
        }

        eq = strchr(a, '=');
        n = eq != NULL ? (size_t) (eq - a) : strlen(a);
        value = eq != NULL ? eq + 1 : NULL;

        if ((n == 2 && strncmp(a, "-c", 2) == 0)
            || (n == 8 && strncmp(a, "--config", 8) == 0))
        {
            if (value == NULL) {
                if (i + 1 == argc) {
                    return invsyncctl_usage_error(cmd, "%s needs a file", a);
                }

                value = argv[++i];
            }

            ctl->config = value;
            continue;
        }

        for (o = opts; o != NULL && o->name != NULL; o++) {
            if (strlen(o->name) == n && strncmp(o->name, a, n) == 0) {
                break;
            }
        }

        if (o == NULL || o->name == NULL) {
            return invsyncctl_usage_error(cmd, "unknown option \"%.*s\"",
                                          (int) n, a);
        }

        if (o->value == NULL) {
            if (value != NULL) {
                return invsyncctl_usage_error(cmd, "%s takes no value",
                                              o->name);
            }

            *o->flag = 1;
            continue;
        }

        if (value == NULL) {
            if (i + 1 == argc) {
                return invsyncctl_usage_error(cmd, "%s needs a value",
                                              o->name);
            }

            value = argv[++i];
        }

        *o->value = value;
    }

    return INVSYNCCTL_OK;
}


/* prints the reason and where to read the usage; returns 1 */

int
invsyncctl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list  args;

    fprintf(stderr, "invsyncctl: %s: ", cmd);

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fprintf(stderr, "\nrun \"invsyncctl %s --help\" for its usage\n", cmd);

    return INVSYNCCTL_USAGE;
}


int
invsyncctl_parse_long(const char *cmd, const char *name, const char *value,
    long min, long max, long *out)
{
    long   v;
    char  *end;

    errno = 0;
    v = strtol(value, &end, 10);

    if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
        return invsyncctl_usage_error(cmd, "%s must be a number from %ld to "
                                      "%ld, not \"%s\"", name, min, max,
                                      value);
    }

    *out = v;

    return INVSYNCCTL_OK;
}


/*
 * A point in time as Unix ms: "1764151200000" (Unix ms), ISO-8601
 * ("2026-11-26", "2026-11-26T10:00:00Z", "...10:00:00.250+01:00"; no zone
 * means UTC), or an age: "90s", "15m", "2h", "1d", "1w" ago.  Returns 0,
 * or -1 if s is none of these.
 */

int
invsyncctl_parse_time(const char *s, int64_t now, int64_t *ms)
{
    int          y, mo, d, h, mi, sec, frac, digits, zh, zm, sign;
    char        *end;
    time_t       t;
    int64_t      unit;
    struct tm    tm;
    long long    v;
    const char  *p;

    if (!isdigit((unsigned char) s[0])) {
        return -1;
    }

    errno = 0;
    v = strtoll(s, &end, 10);

    if (errno != 0 || v < 0) {
        return -1;
    }

    if (*end == '\0') {
        *ms = (int64_t) v;
        return 0;
    }

    if (end[1] == '\0' && strchr("smhdw", end[0]) != NULL) {
        unit = end[0] == 's' ? 1000
               : end[0] == 'm' ? 60000
               : end[0] == 'h' ? 3600000
               : end[0] == 'd' ? 86400000 : 7 * 86400000LL;

        if (v > INT64_MAX / unit) {
            return -1;
        }

        *ms = now - (int64_t) v * unit;
        return 0;
    }

    p = s;
    h = 0;
    mi = 0;
    sec = 0;
    frac = 0;

    if (invsyncctl_digits(&p, 4, &y) != 0 || *p++ != '-'
        || invsyncctl_digits(&p, 2, &mo) != 0 || *p++ != '-'
        || invsyncctl_digits(&p, 2, &d) != 0)
    {
        return -1;
    }

    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;

        if (invsyncctl_digits(&p, 2, &h) != 0 || *p++ != ':'
            || invsyncctl_digits(&p, 2, &mi) != 0)
        {
            return -1;
        }

        if (*p == ':') {
            p++;

            if (invsyncctl_digits(&p, 2, &sec) != 0) {
                return -1;
            }

            if (*p == '.') {
                p++;

                for (digits = 0; isdigit((unsigned char) *p); p++, digits++) {
                    if (digits < 3) {
                        frac = frac * 10 + (*p - '0');
                    }
                }

                if (digits == 0) {
                    return -1;
                }

                for ( /* void */ ; digits < 3; digits++) {
                    frac *= 10;
                }
            }
        }
    }

    sign = 0;
    zh = 0;
    zm = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;

        if (invsyncctl_digits(&p, 2, &zh) != 0) {
            return -1;
        }

        if (*p == ':') {
            p++;
        }

        if (invsyncctl_digits(&p, 2, &zm) != 0) {
            return -1;
        }
    }

    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23
        || mi > 59 || sec > 60 || zh > 23 || zm > 59)
    {
        return -1;
    }

    memset(&tm, 0, sizeof(struct tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;

    t = timegm(&tm);

    if (t == (time_t) -1) {
        return -1;
    }

    *ms = ((int64_t) t - sign * (zh * 3600 + zm * 60)) * 1000 + frac;

    return 0;
}


static int
invsyncctl_digits(const char **p, int n, int *out)
{
    int  i;

    *out = 0;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char) (*p)[i])) {
            return -1;
        }

        *out = *out * 10 + ((*p)[i] - '0');
    }

    *p += n;

    return 0;
}


/* a stream entry id as the operator may type it: "ms" or "ms-seq" */

int
invsyncctl_valid_id(const char *s)
{
    const char  *p;

    for (p = s; isdigit((unsigned char) *p); p++) { /* void */ }

    if (p == s || p - s > 20) {
        return 0;
    }

    if (*p == '\0') {
        return 1;
    }

    if (*p++ != '-') {
        return 0;
    }

    s = p;

    for ( /* void */ ; isdigit((unsigned char) *p); p++) { /* void */ }

    return p != s && p - s <= 20 && *p == '\0';
}


/* who acts: --by, else $USER, else "unknown" */

const char *
invsyncctl_by(const char *by)
{
    const char  *user;

    if (by != NULL && by[0] != '\0') {
        return by;
    }

    user = getenv("USER");

    return user != NULL && user[0] != '\0' ? user : "unknown";
}
