
/*
 * What a carrier, a 3PL or a person says about a parcel, checked before
 * invsync keeps it or passes it on (docs/fulfilment.md "Bad provider
 * input"): a rate's amount, read exactly into minor units or refused,
 * and a tracking number or carrier name, printable and bounded or
 * refused with the field named.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_canon_parts.h"


/*
 * A rate is a non-negative decimal amount in the currency's minor digits
 * (invsync_money_parse: no NaN, inf, exponent or trailing text) below
 * INVSYNC_RATE_MAX_MINOR.
 */
int
invsync_rate_minor(const json_t *value, const char *currency,
    int64_t *minor, char *err, size_t len)
{
    int64_t  v;

    if (invsync_money_parse(value, currency, &v, err, len) != 0) {
        return -1;
    }

    if (v < 0) {
        snprintf(err, len, "rate is negative");
        return -1;
    }

    if (v > INVSYNC_RATE_MAX_MINOR) {
        snprintf(err, len, "rate is above %lld minor units",
                 (long long) INVSYNC_RATE_MAX_MINOR);
        return -1;
    }

    *minor = v;

    return 0;
}


/*
 * A tracking number or carrier name: at most INVSYNC_SHIP_TEXT_MAX bytes,
 * no ASCII control byte (0x00-0x1f, 0x7f) and well-formed UTF-8 (a
 * carrier's name may be "Société"); a tracking number is printable
 * ASCII only.  Empty is refused when required.  0, or -1 with err
 * naming the field.
 */
int
invsync_ship_text_check(const char *field, const char *text, int required,
    int ascii, char *err, size_t len)
{
    size_t                i, n, k;
    const unsigned char  *s;

    if (text == NULL || text[0] == '\0') {
        if (!required) {
            return 0;
        }

        snprintf(err, len, "%s is empty", field);
        return -1;
    }

    n = strlen(text);

    if (n > INVSYNC_SHIP_TEXT_MAX) {
        snprintf(err, len, "%s is %zu bytes, more than %d", field, n,
                 INVSYNC_SHIP_TEXT_MAX);
        return -1;
    }

    s = (const unsigned char *) text;

    for (i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(err, len, "%s has a control byte 0x%02x at %zu", field,
                     s[i], i);
            return -1;
        }

        if (s[i] < 0x80) {
            continue;
        }

        k = (s[i] & 0xe0) == 0xc0 && s[i] >= 0xc2 ? 1
            : (s[i] & 0xf0) == 0xe0 ? 2
            : (s[i] & 0xf8) == 0xf0 && s[i] <= 0xf4 ? 3 : 0;

        /* a bare continuation byte, an overlong or too high lead */
        if (ascii || k == 0) {
            goto bad;
        }

        for ( /* void */ ; k > 0; k--) {
            i++;

            if (i >= n || (s[i] & 0xc0) != 0x80) {
                goto bad;
            }
        }
    }

    return 0;

bad:

    snprintf(err, len, "%s has a non-%s byte at %zu", field,
             ascii ? "ASCII" : "UTF-8", i);
    return -1;
}
