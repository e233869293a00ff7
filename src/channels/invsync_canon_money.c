
/*
 * Money for the normalizers: ISO 4217 minor units and amounts, given as
 * JSON numbers or decimal text, turned into integer minor units exactly
 * (no floating point on the way) or refused with the reason.
 */


#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon_parts.h"


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


int
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
int
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


/*
 * minor units of currency as the decimal text channels take ("12.50",
 * "1250" in JPY): 0, or -1 for an unknown currency or a small buffer.
 */
int
invsync_money_format(int64_t minor, const char *currency, char *buf,
    size_t cap)
{
    int       exp, n;
    int64_t   unit, a;

    exp = invsync_currency_exponent(currency);

    if (exp < 0 || minor == INT64_MIN) {
        return -1;
    }

    for (unit = 1, n = 0; n < exp; n++) {
        unit *= 10;
    }

    a = minor < 0 ? -minor : minor;
    n = exp == 0 ? snprintf(buf, cap, "%s%lld", minor < 0 ? "-" : "",
                            (long long) a)
                 : snprintf(buf, cap, "%s%lld.%0*lld", minor < 0 ? "-" : "",
                            (long long) (a / unit), exp,
                            (long long) (a % unit));

    return n > 0 && (size_t) n < cap ? 0 : -1;
}
