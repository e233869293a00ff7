
/*
 * The checks of what a carrier, a 3PL or a person says about a parcel
 * (src/channels/invsync_canon_ship.c): a rate's amount read strictly,
 * a tracking number or carrier printable and bounded.  Prints TAP.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_canon.h"
#include "tap.h"


static void
t_rate(const char *text, const char *currency, int64_t want)
{
    int      rc;
    char     err[128];
    json_t  *v;
    int64_t  got;

    v = json_string(text);
    got = -1;
    err[0] = '\0';
    rc = invsync_rate_minor(v, currency, &got, err, sizeof(err));
    json_decref(v);

    if (want < 0) {
        t_ok(rc != 0 && err[0] != '\0', "rate \"%s\" %s refused (%s)", text,
             currency, err);
    } else {
        t_ok(rc == 0 && got == want, "rate \"%s\" %s is %lld (got %lld)",
             text, currency, (long long) want, (long long) got);
    }
}


static void
t_text(const char *field, const char *text, int required, int ascii,
    int want_ok)
{
    int   rc;
    char  err[128];

    err[0] = '\0';
    rc = invsync_ship_text_check(field, text, required, ascii, err,
                                 sizeof(err));

    t_ok((rc == 0) == want_ok && (want_ok || strstr(err, field) != NULL),
         "%s %s (%s)", field, want_ok ? "taken" : "refused", err);
}


int
main(void)
{
    json_t  *v;
    char     err[128], long_text[600];
    int64_t  got;

    t_rate("12.50", "USD", 1250);
    t_rate("0", "USD", 0);
    t_rate("7.1", "EUR", 710);
    t_rate("1500", "JPY", 1500);
    t_rate("NaN", "USD", -1);
    t_rate("inf", "USD", -1);
    t_rate("1e400", "USD", -1);
    t_rate("12abc", "USD", -1);
    t_rate("", "USD", -1);
    t_rate("-5", "USD", -1);
    t_rate("12.345", "USD", -1);
    t_rate("99999999999999999999", "USD", -1);
    t_rate("1000000001", "USD", -1);
    t_rate("1000000000", "USD", 100000000000LL);

    v = json_real(12.5);
    t_ok(invsync_rate_minor(v, "USD", &got, err, sizeof(err)) == 0
         && got == 1250, "a JSON real 12.5 is 1250");
    json_decref(v);

    memset(long_text, 'A', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';

    t_text("tracking number", "1Z999AA10123456784", 1, 1, 1);
    t_text("tracking number", "", 1, 1, 0);
    t_text("tracking number", "", 0, 1, 1);
    t_text("tracking number", NULL, 0, 1, 1);
    t_text("tracking number", "1Z99\n9", 1, 1, 0);
    t_text("tracking number", "1Z99\x01", 1, 1, 0);
    t_text("tracking number", "1Z99\x7f", 1, 1, 0);
    t_text("tracking number", long_text, 1, 1, 0);
    t_text("tracking number", "1Z\xc3\xa9", 1, 1, 0);
    t_text("carrier", "Soci\xc3\xa9t\xc3\xa9 Postale", 1, 0, 1);
    t_text("carrier", "UPS\r", 1, 0, 0);
    t_text("carrier", "bad\xff", 1, 0, 0);
    t_text("carrier", "short\xc3", 1, 0, 0);
    t_text("carrier", "\x80x", 1, 0, 0);
    long_text[INVSYNC_SHIP_TEXT_MAX] = '\0';
    t_text("carrier", long_text, 1, 0, 1);

    return t_done();
}
