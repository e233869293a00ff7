
/*
 * Helpers shared by the normalizers: currencies and money in minor units,
 * ISO-8601 times, the body parse and typed readers that name the JSON path
 * of whatever they reject.  Error texts are printable ASCII.
 */


#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "invsync_canon.h"


#define INVSYNC_QUOTE_MAX    40
#define INVSYNC_QUOTE_LEN    (INVSYNC_QUOTE_MAX + 8)
#define INVSYNC_BIG_DEPTH    32
#define INVSYNC_BIG_KEY_LEN  48


/* where the first number too big for jansson is, found with yajl */
typedef struct {
    int      depth;
    int      found;
    int      real;
    char     text[INVSYNC_QUOTE_LEN];
    struct {
        int   array;            /* else an object */
        long  index;
        char  key[INVSYNC_BIG_KEY_LEN];
    } frames[INVSYNC_BIG_DEPTH];
    char     path[INVSYNC_CANON_PATH_LEN];
} invsync_big_t;


static int invsync_digits(const char *p, int n);
static int64_t invsync_days(int64_t y, int m, int d);
static int invsync_money_text(const char *text, size_t n, int exp,
    const char *currency, int64_t *minor, char *err, size_t len);
static int invsync_money_scale(int64_t v, int exp, int64_t *minor);
static int invsync_int_text(const char *text, size_t n, int64_t *v);
static const json_t *invsync_member(const invsync_canon_src_t *s,
    const char *key);
static void invsync_path(char *dst, size_t size, const char *path,
    const char *key);
static int invsync_big_find(const char *body, size_t len, invsync_big_t *b);
static void invsync_big_value(invsync_big_t *b);
static void invsync_big_path(invsync_big_t *b);
static int invsync_big_null(void *ctx);
static int invsync_big_bool(void *ctx, int v);
static int invsync_big_number(void *ctx, const char *v, size_t len);
static int invsync_big_string(void *ctx, const unsigned char *v,
    size_t len);
static int invsync_big_start_map(void *ctx);
static int invsync_big_key(void *ctx, const unsigned char *key, size_t len);
static int invsync_big_start_array(void *ctx);
static int invsync_big_end(void *ctx);
static int invsync_envelope_set(json_t *e, const char *name,
    const char *value, char *err, size_t len);


/* ISO 4217 minor units; every other well-formed code has two */
static const char  *invsync_exp0[] = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
    "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF", NULL
};

static const char  *invsync_exp3[] = {
    "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", NULL
};

static const char  *invsync_exp4[] = {
    "CLF", "UYW", NULL
};


static yajl_callbacks  invsync_big_callbacks = {
    invsync_big_null,
    invsync_big_bool,
    NULL,
    NULL,
    invsync_big_number,
    invsync_big_string,
    invsync_big_start_map,
    invsync_big_key,
    invsync_big_end,
    invsync_big_start_array,
    invsync_big_end
};


/* -1 unless three uppercase ASCII letters */
int
invsync_currency_exponent(const char *currency)
{
    size_t  i;

    if (currency == NULL || strlen(currency) != 3) {
        return -1;
    }

    for (i = 0; i < 3; i++) {
        if (currency[i] < 'A' || currency[i] > 'Z') {
            return -1;
        }
    }

    for (i = 0; invsync_exp0[i] != NULL; i++) {
        if (strcmp(currency, invsync_exp0[i]) == 0) {
            return 0;
        }
    }

    for (i = 0; invsync_exp3[i] != NULL; i++) {
        if (strcmp(currency, invsync_exp3[i]) == 0) {
            return 3;
        }
    }

    for (i = 0; invsync_exp4[i] != NULL; i++) {
        if (strcmp(currency, invsync_exp4[i]) == 0) {
            return 4;
        }
    }

    return 2;
}


static int
invsync_money_scale(int64_t v, int exp, int64_t *minor)
{
    int  i;

    for (i = 0; i < exp; i++) {
        if (v > INT64_MAX / 10 || v < INT64_MIN / 10) {
            return -1;
        }

        v *= 10;
    }

    *minor = v;

    return 0;
}


/*
 * "-12.50" in a currency with exp decimals.  Zeros past them are fine
 * ("19.990" in EUR: WooCommerce pads to the shop's setting), any other
 * digit there is an error.
 */
static int
invsync_money_text(const char *text, size_t n, int exp, const char *currency,
    int64_t *minor, char *err, size_t len)
{
    int         neg, d, frac, extra;
    char        q[INVSYNC_QUOTE_LEN];
    size_t      i;
    int64_t     v;

    neg = 0;
    frac = 0;
    extra = 0;
    v = 0;
    i = 0;

    if (i < n && text[i] == '-') {
        neg = 1;
        i++;
    }

    if (i == n || text[i] < '0' || text[i] > '9') {
        goto bad;
    }

    for ( /* void */ ; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
        d = text[i] - '0';

        if (v > (INT64_MAX - d) / 10) {
            goto overflow;
        }

        v = v * 10 + d;
    }

    if (i < n && text[i] == '.') {
        i++;

        if (i == n || text[i] < '0' || text[i] > '9') {
            goto bad;
        }

        for ( /* void */ ; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
            d = text[i] - '0';

            if (frac == exp) {
                extra |= d;
                continue;
            }

            if (v > (INT64_MAX - d) / 10) {
                goto overflow;
            }

            v = v * 10 + d;
            frac++;
        }
    }

    if (i != n) {
        goto bad;
    }

    if (extra) {
        snprintf(err, len, "price \"%s\" has more decimals than %s allows",
                 invsync_canon_quote(q, sizeof(q), text), currency);
        return -1;
    }

    if (invsync_money_scale(v, exp - frac, &v) != 0) {
        goto overflow;
    }

    *minor = neg ? -v : v;

    return 0;

bad:

    snprintf(err, len, "price \"%s\" is not a decimal number",
             invsync_canon_quote(q, sizeof(q), text));
    return -1;

overflow:

    snprintf(err, len, "price \"%s\" overflows int64",
             invsync_canon_quote(q, sizeof(q), text));
    return -1;
}


/*
 * A JSON string "19.99", an integer (major units) or a real, which must
 * print to the currency's decimals and read back as the same double.
 */
int
invsync_money_parse(const json_t *value, const char *currency,
    int64_t *minor, char *err, size_t len)
{
    int      exp, n;
    char     buf[64], q[INVSYNC_QUOTE_LEN];
    double   d;

    exp = invsync_currency_exponent(currency);

    if (exp < 0) {
        if (currency == NULL) {
            snprintf(err, len, "no currency to read the price in");

        } else {
            snprintf(err, len, "currency \"%s\" is not an ISO 4217 code",
                     invsync_canon_quote(q, sizeof(q), currency));
        }

        return -1;
    }

    if (value == NULL || json_is_null(value)) {
        snprintf(err, len, "price is missing");
        return -1;
    }

    if (json_is_string(value)) {
        return invsync_money_text(json_string_value(value),
                                  json_string_length(value), exp, currency,
                                  minor, err, len);
    }

    if (json_is_integer(value)) {
        if (invsync_money_scale(json_integer_value(value), exp, minor) != 0)
        {
            snprintf(err, len, "price %" JSON_INTEGER_FORMAT
                     " overflows int64", json_integer_value(value));
            return -1;
        }

        return 0;
    }

    if (!json_is_real(value)) {
        snprintf(err, len, "price is not a number or a string");
        return -1;
    }

    d = json_real_value(value);
    n = snprintf(buf, sizeof(buf), "%.*f", exp, d);

    if (!isfinite(d) || n < 0 || (size_t) n >= sizeof(buf)) {
        snprintf(err, len, "price %.15g overflows int64", d);
        return -1;
    }

    if (strtod(buf, NULL) != d) {
        snprintf(err, len, "price %.15g has more decimals than %s allows",
                 d, currency);
        return -1;
    }

    return invsync_money_text(buf, (size_t) n, exp, currency, minor, err,
                              len);
}


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


const char *
invsync_canon_quote(char *buf, size_t size, const char *text)
{
    size_t  i, n;

    if (size == 0) {
        return "";
    }

    n = 0;

    for (i = 0; text != NULL && text[i] != '\0'; i++) {
        if (i == INVSYNC_QUOTE_MAX || n + 4 >= size) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }

        buf[n++] = (text[i] < 0x20 || text[i] > 0x7e || text[i] == '"'
                    || text[i] == '\\') ? '?' : text[i];
    }

    buf[n] = '\0';

    return buf;
}


/* "path.key", cut to size; path may be empty, key NULL */
static void
invsync_path(char *dst, size_t size, const char *path, const char *key)
{
    size_t  n, k;

    n = strlen(path);
    n = (n < size) ? n : size - 1;
    memmove(dst, path, n);

    if (key != NULL) {
        if (n != 0 && n + 1 < size) {
            dst[n++] = '.';
        }

        k = strlen(key);
        k = (k < size - 1 - n) ? k : size - 1 - n;
        memcpy(dst + n, key, k);
        n += k;
    }

    dst[n] = '\0';
}


int
invsync_canon_fail(const invsync_canon_src_t *s, const char *key,
    const char *fmt, ...)
{
    int      n;
    char     path[INVSYNC_CANON_PATH_LEN];
    va_list  ap;

    if (s->len == 0) {
        return -1;
    }

    invsync_path(path, sizeof(path), s->path, key);
    n = snprintf(s->err, s->len, "%s: ", path[0] ? path : "(body)");

    if (n >= 0 && (size_t) n < s->len) {
        va_start(ap, fmt);
        vsnprintf(s->err + n, s->len - n, fmt, ap);
        va_end(ap);
    }

    return -1;
}


/* the five callbacks that track where the parser is */
static void
invsync_big_value(invsync_big_t *b)
{
    if (b->depth > 0 && b->depth <= INVSYNC_BIG_DEPTH
        && b->frames[b->depth - 1].array)
    {
        b->frames[b->depth - 1].index++;
    }
}


static int
invsync_big_null(void *ctx)
{
    invsync_big_value(ctx);
    return 1;
}


static int
invsync_big_bool(void *ctx, int v)
{
    (void) v;
    invsync_big_value(ctx);
    return 1;
}


static int
invsync_big_string(void *ctx, const unsigned char *v, size_t len)
{
    (void) v;
    (void) len;
    invsync_big_value(ctx);
    return 1;
}


static int
invsync_big_start_map(void *ctx)
{
    invsync_big_t  *b = ctx;

    invsync_big_value(b);

    if (b->depth < INVSYNC_BIG_DEPTH) {
        b->frames[b->depth].array = 0;
        b->frames[b->depth].key[0] = '\0';
    }

    b->depth++;

    return 1;
}


static int
invsync_big_start_array(void *ctx)
{
    invsync_big_t  *b = ctx;

    invsync_big_value(b);

    if (b->depth < INVSYNC_BIG_DEPTH) {
        b->frames[b->depth].array = 1;
        b->frames[b->depth].index = -1;
    }

    b->depth++;

    return 1;
}


static int
invsync_big_end(void *ctx)
{
    invsync_big_t  *b = ctx;

    b->depth--;

    return 1;
}


static int
invsync_big_key(void *ctx, const unsigned char *key, size_t len)
{
    char           *k;
    size_t          i;
    invsync_big_t  *b = ctx;

    if (b->depth < 1 || b->depth > INVSYNC_BIG_DEPTH) {
        return 1;
    }

    k = b->frames[b->depth - 1].key;

    for (i = 0; i < len && i < INVSYNC_BIG_KEY_LEN - 1; i++) {
        k[i] = (key[i] < 0x20 || key[i] > 0x7e) ? '?' : (char) key[i];
    }

    k[i] = '\0';

    return 1;
}


static int
invsync_big_number(void *ctx, const char *v, size_t len)
{
    int             big;
    char           *buf;
    double          d;
    int64_t         n;
    invsync_big_t  *b = ctx;

    invsync_big_value(b);

    buf = malloc(len + 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, v, len);
    buf[len] = '\0';

    if (strpbrk(buf, ".eE") == NULL) {
        big = invsync_int_text(buf[0] == '-' ? buf + 1 : buf,
                               len - (buf[0] == '-'), &n) != 0;

    } else {
        errno = 0;
        d = strtod(buf, NULL);
        big = (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));
    }

    if (big) {
        b->real = (strpbrk(buf, ".eE") != NULL);
        invsync_canon_quote(b->text, sizeof(b->text), buf);
        invsync_big_path(b);
    }

    free(buf);

    return !big;
}


static void
invsync_big_path(invsync_big_t *b)
{
    int     i;
    size_t  n;

    b->found = 1;
    n = 0;

    for (i = 0; i < b->depth && i < INVSYNC_BIG_DEPTH; i++) {
        if (n >= sizeof(b->path)) {
            break;
        }

        if (b->frames[i].array) {
            n += snprintf(b->path + n, sizeof(b->path) - n, "[%ld]",
                          b->frames[i].index);

        } else {
            n += snprintf(b->path + n, sizeof(b->path) - n, "%s%s",
                          n ? "." : "", b->frames[i].key);
        }
    }
}


/*
 * jansson refuses an integer beyond int64 for the whole body; yajl, which
 * hands numbers over as text, finds its path for the error.
 */
static int
invsync_big_find(const char *body, size_t len, invsync_big_t *b)
{
    yajl_handle  h;

    memset(b, 0, sizeof(invsync_big_t));

    h = yajl_alloc(&invsync_big_callbacks, NULL, b);
    if (h == NULL) {
        return -1;
    }

    (void) yajl_parse(h, (const unsigned char *) body, len);
    yajl_free(h);

    return b->found ? 0 : -1;
}


invsync_norm_rc_e
invsync_canon_load(const invsync_envelope_t *ev, json_t **root, char *err,
    size_t len)
{
    json_t         *j;
    json_error_t    e;
    invsync_big_t   b;

    *root = NULL;

    if (ev->body == NULL || ev->body_len == 0) {
        snprintf(err, len, "body is not JSON: empty body");
        return INVSYNC_NORM_POISON;
    }

    /* a repeated key would make the event mean two things */
    j = json_loadb(ev->body, ev->body_len, JSON_REJECT_DUPLICATES, &e);

    if (j == NULL) {
        if ((strstr(e.text, "too big") != NULL
             || strstr(e.text, "overflow") != NULL)
            && invsync_big_find(ev->body, ev->body_len, &b) == 0)
        {
            snprintf(err, len, "%s: number %s overflows %s",
                     b.path[0] ? b.path : "(body)", b.text,
                     b.real ? "a double" : "int64");
            return INVSYNC_NORM_POISON;
        }

        snprintf(err, len, "body is not JSON: %s at line %d, column %d "
                 "(position %d)", e.text, e.line, e.column, e.position);
        return INVSYNC_NORM_POISON;
    }

    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(err, len, "body is not a JSON object");
        return INVSYNC_NORM_POISON;
    }

    *root = j;

    return INVSYNC_NORM_OK;
}


static int
invsync_envelope_set(json_t *e, const char *name, const char *value,
    char *err, size_t len)
{
    json_t  *v;

    v = (value == NULL) ? json_null() : json_string(value);

    if (v == NULL) {
        snprintf(err, len, "envelope field \"%s\" is not UTF-8", name);
        return -1;
    }

    if (json_object_set_new(e, name, v) != 0) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    return 0;
}


json_t *
invsync_canon_new(const invsync_envelope_t *ev, const char *kind, char *err,
    size_t len)
{
    json_t  *e;

    e = json_object();
    if (e == NULL) {
        snprintf(err, len, "out of memory");
        return NULL;
    }

    if (invsync_envelope_set(e, "kind", kind, err, len) != 0
        || invsync_envelope_set(e, "channel", ev->channel, err, len) != 0
        || invsync_envelope_set(e, "account", ev->account, err, len) != 0
        || invsync_envelope_set(e, "event", ev->event, err, len) != 0
        || invsync_envelope_set(e, "topic", ev->topic, err, len) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


void
invsync_canon_root(invsync_canon_src_t *s, const json_t *root, char *err,
    size_t len)
{
    memset(s, 0, sizeof(invsync_canon_src_t));

    s->obj = root;
    s->err = err;
    s->len = len;
}


static const json_t *
invsync_member(const invsync_canon_src_t *s, const char *key)
{
    const json_t  *v;

    if (s->obj == NULL) {
        return NULL;
    }

    v = json_object_get(s->obj, key);

    return json_is_null(v) ? NULL : v;
}


int
invsync_canon_object(const invsync_canon_src_t *s, const char *key,
    invsync_canon_src_t *child)
{
    const json_t  *v;

    v = invsync_member(s, key);

    if (v != NULL && !json_is_object(v)) {
        return invsync_canon_fail(s, key, "not an object");
    }

    *child = *s;
    child->obj = v;
    invsync_path(child->path, sizeof(child->path), s->path, key);

    return 0;
}


int
invsync_canon_array(const invsync_canon_src_t *s, const char *key, size_t *n)
{
    const json_t  *v;

    v = invsync_member(s, key);

    if (v != NULL && !json_is_array(v)) {
        return invsync_canon_fail(s, key, "not an array");
    }

    *n = json_array_size(v);

    return 0;
}


int
invsync_canon_item(const invsync_canon_src_t *s, const char *key, size_t i,
    invsync_canon_src_t *item)
{
    char           path[INVSYNC_CANON_PATH_LEN];
    const json_t  *v;

    v = json_array_get(invsync_member(s, key), i);

    invsync_path(path, sizeof(path), s->path, key);

    *item = *s;
    item->obj = v;
    snprintf(item->path, sizeof(item->path), "%.100s[%zu]", path, i);

    if (!json_is_object(v)) {
        return invsync_canon_fail(item, NULL, "not an object");
    }

    return 0;
}


json_t *
invsync_canon_id(const invsync_canon_src_t *s, const char *key,
    unsigned flags)
{
    char           buf[32];
    json_int_t     n;
    const json_t  *v;

    v = invsync_member(s, key);

    if (json_is_string(v) && json_string_length(v) != 0) {
        return json_string(json_string_value(v));
    }

    if (json_is_integer(v)) {
        n = json_integer_value(v);

        if (n < 0) {
            invsync_canon_fail(s, key, "id %" JSON_INTEGER_FORMAT
                               " is negative", n);
            return NULL;
        }

        if (n != 0 || !(flags & INVSYNC_CANON_ZERO_NULL)) {
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, n);
            return json_string(buf);
        }

        v = NULL;
    }

    if (v != NULL && !json_is_string(v)) {
        invsync_canon_fail(s, key, "not an integer or a string");
        return NULL;
    }

    if (flags & INVSYNC_CANON_REQUIRED) {
        invsync_canon_fail(s, key, "missing");
        return NULL;
    }

    return json_null();
}


int
invsync_canon_str(const invsync_canon_src_t *s, const char *key,
    unsigned flags, const char **v)
{
    const json_t  *j;

    j = invsync_member(s, key);

    if (j != NULL && !json_is_string(j)) {
        return invsync_canon_fail(s, key, "not a string");
    }

    if (j == NULL || json_string_length(j) == 0) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        *v = NULL;
        return 0;
    }

    *v = json_string_value(j);

    return 1;
}


json_t *
invsync_canon_string(const invsync_canon_src_t *s, const char *key,
    unsigned flags)
{
    char           buf[32];
    const json_t  *v;

    v = invsync_member(s, key);

    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return json_string(buf);
    }

    if (v != NULL && !json_is_string(v)) {
        invsync_canon_fail(s, key, "not a string");
        return NULL;
    }

    if (v == NULL || json_string_length(v) == 0) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            invsync_canon_fail(s, key, "missing");
            return NULL;
        }

        return json_null();
    }

    /* jansson checked the body's UTF-8 and refused NUL */
    return json_stringn(json_string_value(v), json_string_length(v));
}


json_t *
invsync_canon_name(const invsync_canon_src_t *s, const char *first,
    const char *last)
{
    int          a, b;
    char        *buf;
    size_t       n;
    json_t      *v;
    const char  *f, *l;

    f = NULL;
    l = NULL;

    a = invsync_canon_str(s, first, 0, &f);
    if (a < 0) {
        return NULL;
    }

    b = invsync_canon_str(s, last, 0, &l);
    if (b < 0) {
        return NULL;
    }

    if (a == 0 || b == 0) {
        return (a || b) ? json_string(a ? f : l) : json_null();
    }

    n = strlen(f) + strlen(l) + 2;

    buf = malloc(n);
    if (buf == NULL) {
        return NULL;
    }

    snprintf(buf, n, "%s %s", f, l);
    v = json_string(buf);
    free(buf);

    return v;
}


json_t *
invsync_canon_or(json_t *v, const invsync_canon_src_t *s, const char *key)
{
    if (v == NULL || !json_is_null(v)) {
        return v;
    }

    json_decref(v);

    return invsync_canon_string(s, key, 0);
}


/*
 * The string member first (else second, NULL for none) of the first
 * object of array member key: a shipping line's method.  Json null when
 * the array is missing or empty or neither member is there.
 */

json_t *
invsync_canon_first_of(const invsync_canon_src_t *s, const char *key,
    const char *first, const char *second)
{
    size_t               n;
    json_t              *v;
    invsync_canon_src_t  item;

    n = 0;

    if (invsync_canon_array(s, key, &n) != 0) {
        return NULL;
    }

    if (n == 0) {
        return json_null();
    }

    if (invsync_canon_item(s, key, 0, &item) != 0) {
        return NULL;
    }

    v = invsync_canon_string(&item, first, 0);

    return second != NULL ? invsync_canon_or(v, &item, second) : v;
}


json_t *
invsync_canon_address(const invsync_canon_src_t *a, const char *const *keys)
{
    size_t   i;
    json_t  *addr, *v;

    static const char  *names[] = {
        "address1", "address2", "city", "province", "zip", "country_code",
        "phone"
    };

    if (a->obj == NULL) {
        return json_null();
    }

    addr = json_object();
    if (addr == NULL) {
        return NULL;
    }

    v = invsync_canon_string(a, "name", 0);

    if (json_is_null(v)) {
        json_decref(v);
        v = invsync_canon_name(a, "first_name", "last_name");
    }

    if (invsync_canon_set(a, addr, "name", v) != 0) {
        goto failed;
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (invsync_canon_set(a, addr, names[i],
                              invsync_canon_string(a, keys[i], 0))
            != 0)
        {
            goto failed;
        }
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]) + 1; i++) {
        if (!json_is_null(json_object_get(addr, i ? names[i - 1] : "name")))
        {
            return addr;
        }
    }

    json_decref(addr);

    return json_null();

failed:

    json_decref(addr);

    return NULL;
}


int
invsync_canon_bool(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int *v)
{
    const json_t  *j;

    j = invsync_member(s, key);

    if (j == NULL) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        return 0;
    }

    if (!json_is_boolean(j)) {
        return invsync_canon_fail(s, key, "not a boolean");
    }

    *v = json_is_true(j);

    return 1;
}


/* unsigned decimal digits only */
static int
invsync_int_text(const char *text, size_t n, int64_t *v)
{
    int      d;
    size_t   i;
    int64_t  r;

    if (n == 0) {
        return -1;
    }

    r = 0;

    for (i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }

        d = text[i] - '0';

        if (r > (INT64_MAX - d) / 10) {
            return -2;
        }

        r = r * 10 + d;
    }

    *v = r;

    return 0;
}


int
invsync_canon_int(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int64_t *v)
{
    int            rc, neg;
    char           q[INVSYNC_QUOTE_LEN];
    double         d;
    size_t         n;
    int64_t        r;
    const char    *t;
    const json_t  *j;

    j = invsync_member(s, key);

    if (j == NULL) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        return 0;
    }

    if (json_is_integer(j)) {
        r = json_integer_value(j);

    } else if (json_is_real(j)) {
        d = json_real_value(j);

        /* 2.0 is 2; 2^63 itself is out of range; NaN fails every test */
        if (!(d < 9223372036854775808.0 && d >= -9223372036854775808.0)
            || (double) (int64_t) d != d)
        {
            return invsync_canon_fail(s, key, "%.15g is not an integer", d);
        }

        r = (int64_t) d;

    } else if (json_is_string(j)) {
        t = json_string_value(j);
        n = json_string_length(j);
        neg = (n > 0 && t[0] == '-');

        rc = invsync_int_text(t + neg, n - neg, &r);

        if (rc == -2) {
            return invsync_canon_fail(s, key, "\"%s\" overflows int64",
                                      invsync_canon_quote(q, sizeof(q), t));
        }

        if (rc != 0) {
            return invsync_canon_fail(s, key, "\"%s\" is not an integer",
                                      invsync_canon_quote(q, sizeof(q), t));
        }

        r = neg ? -r : r;

    } else {
        return invsync_canon_fail(s, key, "not an integer");
    }

    if (r < 0 && !(flags & INVSYNC_CANON_SIGNED)) {
        return invsync_canon_fail(s, key, "%" PRId64 " is negative", r);
    }

    *v = r;

    return 1;
}


int
invsync_canon_money(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int64_t *v)
{
    char           e[INVSYNC_CANON_ERR_LEN];
    int64_t        r;
    const json_t  *j;

    j = invsync_member(s, key);

    if (j == NULL) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        return 0;
    }

    if (invsync_money_parse(j, s->currency, &r, e, sizeof(e)) != 0) {
        return invsync_canon_fail(s, key, "%s", e);
    }

    if (r < 0 && !(flags & INVSYNC_CANON_SIGNED)) {
        return invsync_canon_fail(s, key, "amount is negative");
    }

    *v = r;

    return 1;
}


int
invsync_canon_currency(const invsync_canon_src_t *s, const char *key,
    unsigned flags, const char **v)
{
    int          rc;
    char         q[INVSYNC_QUOTE_LEN];
    const char  *c;

    c = NULL;
    rc = invsync_canon_str(s, key, flags, &c);

    if (rc != 1) {
        return rc;
    }

    if (invsync_currency_exponent(c) < 0) {
        return invsync_canon_fail(s, key, "\"%s\" is not an ISO 4217 code",
                                  invsync_canon_quote(q, sizeof(q), c));
    }

    *v = c;

    return 1;
}


json_t *
invsync_canon_number(int rc, int64_t v)
{
    if (rc < 0) {
        return NULL;
    }

    return rc ? json_integer(v) : json_null();
}


int
invsync_canon_time(const invsync_canon_src_t *s, const char *key,
    unsigned flags, json_t *dst, const char *name, const char *name_ms)
{
    int          rc;
    char         q[INVSYNC_QUOTE_LEN];
    int64_t      ms;
    const char  *t;

    rc = invsync_canon_str(s, key, flags, &t);

    if (rc < 0) {
        return -1;
    }

    if (rc == 0) {
        return (invsync_canon_set(s, dst, name, json_null()) != 0
                || invsync_canon_set(s, dst, name_ms, json_null()) != 0)
               ? -1 : 0;
    }

    if (invsync_time_iso_ms(t, &ms) != 0) {
        return invsync_canon_fail(s, key, "\"%s\" is not an ISO-8601 time",
                                  invsync_canon_quote(q, sizeof(q), t));
    }

    if (invsync_canon_set(s, dst, name, json_string(t)) != 0
        || invsync_canon_set(s, dst, name_ms, json_integer(ms)) != 0)
    {
        return -1;
    }

    return 0;
}


int
invsync_canon_set(const invsync_canon_src_t *s, json_t *dst,
    const char *name, json_t *value)
{
    if (value != NULL && json_object_set_new(dst, name, value) == 0) {
        return 0;
    }

    if (s->len != 0 && (value != NULL || s->err[0] == '\0')) {
        snprintf(s->err, s->len, "out of memory");
    }

    return -1;
}


int
invsync_canon_append(const invsync_canon_src_t *s, json_t *array,
    json_t *value)
{
    if (value != NULL && json_array_append_new(array, value) == 0) {
        return 0;
    }

    if (s->len != 0 && (value != NULL || s->err[0] == '\0')) {
        snprintf(s->err, s->len, "out of memory");
    }

    return -1;
}


/*
 * A reference the ledger matches by (docs/events.md): "<prefix>:<value>"
 * appended to refs when value (borrowed) is a string other than "" and
 * "0" (an id of zero names nothing); 0 also when it is not.
 */

int
invsync_canon_ref(const invsync_canon_src_t *s, json_t *refs,
    const char *prefix, const json_t *value)
{
    const char  *v;

    if (!json_is_string(value)) {
        return 0;
    }

    v = json_string_value(value);

    if (v[0] == '\0' || strcmp(v, "0") == 0) {
        return 0;
    }

    return invsync_canon_append(s, refs, json_sprintf("%s:%s", prefix, v));
}
