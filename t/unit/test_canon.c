
/*
 * The canonical values every normalizer builds on: currencies' decimals
 * (ISO 4217), money as integer minor units (strings and JSON numbers,
 * refused past the currency's decimals or int64) and ISO-8601 times as
 * milliseconds.  The normalizers themselves: test_normalize.c and
 * test_normalize_fuzz.c.  Prints TAP.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_channel.h"
#include "tap.h"


#define T_ERR_LEN  INVSYNC_CANON_ERR_LEN


static void
t_currency(void)
{
    size_t  i;

    static const struct {
        const char  *code;
        int          exp;
    } cases[] = {
        { "EUR", 2 }, { "USD", 2 }, { "JPY", 0 }, { "KRW", 0 },
        { "BHD", 3 }, { "KWD", 3 }, { "OMR", 3 }, { "JOD", 3 },
        { "TND", 3 }, { "CLF", 4 }, { "eur", -1 }, { "EU", -1 },
        { "EURO", -1 }, { "", -1 }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        t_ok(invsync_currency_exponent(cases[i].code) == cases[i].exp,
             "currency \"%s\" has %d decimals", cases[i].code,
             cases[i].exp);
    }

    t_ok(invsync_currency_exponent(NULL) == -1, "no currency: -1");
}


static void
t_money(void)
{
    int       rc;
    char      err[T_ERR_LEN];
    size_t    i;
    json_t   *v;
    int64_t   minor;

    static const struct {
        const char  *json;
        const char  *currency;
        int64_t      minor;
        const char  *err;       /* NULL: must parse */
    } cases[] = {
        { "\"19.99\"", "EUR", 1999, NULL },
        { "\"19.9\"", "EUR", 1990, NULL },
        { "\"19\"", "EUR", 1900, NULL },
        { "\"19.990\"", "EUR", 1999, NULL },
        { "\"0.00\"", "USD", 0, NULL },
        { "\"-5.00\"", "USD", -500, NULL },
        { "19", "EUR", 1900, NULL },
        { "19.99", "EUR", 1999, NULL },
        { "0.1", "USD", 10, NULL },
        { "\"1500\"", "JPY", 1500, NULL },
        { "\"1500.00\"", "JPY", 1500, NULL },
        { "1500.0", "JPY", 1500, NULL },
        { "\"12.345\"", "BHD", 12345, NULL },
        { "\"12.3\"", "KWD", 12300, NULL },
        { "\"9223372036854775807\"", "JPY", INT64_MAX, NULL },
        { "\"19.999\"", "EUR",
          0, "price \"19.999\" has more decimals than EUR allows" },
        { "19.999", "EUR",
          0, "price 19.999 has more decimals than EUR allows" },
        { "0.30000000000000004", "USD", 0, "more decimals than USD" },
        { "\"1500.5\"", "JPY", 0, "more decimals than JPY allows" },
        { "\"1.2345\"", "OMR", 0, "more decimals than OMR allows" },
        { "\"9223372036854775808\"", "JPY", 0, "overflows int64" },
        { "\"92233720368547758.08\"", "EUR", 0, "overflows int64" },
        { "92233720368547759", "EUR", 0, "overflows int64" },
        { "1e300", "EUR", 0, "overflows int64" },
        { "\"19,99\"", "EUR", 0, "\"19,99\" is not a decimal number" },
        { "\"\"", "EUR", 0, "is not a decimal number" },
        { "\"1e3\"", "EUR", 0, "is not a decimal number" },
        { "\"+1\"", "EUR", 0, "is not a decimal number" },
        { "\".5\"", "EUR", 0, "is not a decimal number" },
        { "\"5.\"", "EUR", 0, "is not a decimal number" },
        { "\" 5\"", "EUR", 0, "is not a decimal number" },
        { "\"5 \\u20ac\"", "EUR", 0, "\"5 ???\" is not a decimal number" },
        { "true", "EUR", 0, "not a number or a string" },
        { "null", "EUR", 0, "price is missing" },
        { "\"1.00\"", "eur", 0, "\"eur\" is not an ISO 4217 code" },
        { "\"1.00\"", NULL, 0, "no currency" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        err[0] = '\0';
        minor = 0;

        rc = invsync_money_parse(v, cases[i].currency, &minor, err,
                                 sizeof(err));

        if (cases[i].err == NULL) {
            t_ok(rc == 0 && minor == cases[i].minor,
                 "money %s %s is %lld minor units", cases[i].json,
                 cases[i].currency, (long long) cases[i].minor);

        } else {
            t_ok(rc == -1 && strstr(err, cases[i].err) != NULL,
                 "money %s %s: %s", cases[i].json,
                 cases[i].currency ? cases[i].currency : "(none)", err);
        }

        json_decref(v);
    }
}


static void
t_time(void)
{
    int       rc;
    size_t    i;
    int64_t   ms;

    static const struct {
        const char  *iso;
        int64_t      ms;        /* -1: must fail */
    } cases[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2024-08-02T19:26:52-04:00", 1722641212000 },
        { "2024-08-02T23:26:52Z", 1722641212000 },
        { "2024-08-03T01:26:52+02:00", 1722641212000 },
        { "2024-08-03T01:26:52+0200", 1722641212000 },
        { "2024-08-02T23:26:52.417Z", 1722641212417 },
        { "2024-08-02T23:26:52.4Z", 1722641212400 },
        { "2024-08-02T23:26:52.123456789Z", 1722641212123 },
        { "2024-08-02T23:26:52", 1722641212000 },
        { "2024-08-02 23:26:52", 1722641212000 },
        { "2024-08-03T05:11:52+05:45", 1722641212000 },
        { "2024-02-29T00:00:00Z", 1709164800000 },
        { "2000-02-29T12:00:00Z", 951825600000 },
        { "1969-12-31T23:59:59Z", -1000 },
        { "2023-02-29T00:00:00Z", -1 },
        { "1900-02-29T00:00:00Z", -1 },
        { "2024-13-01T00:00:00Z", -1 },
        { "2024-08-02T24:00:00Z", -1 },
        { "2024-08-02T23:26:52+24:00", -1 },
        { "2024-08-02T23:26:52.Z", -1 },
        { "2024-08-02T23:26:52Zjunk", -1 },
        { "2024-08-02", -1 },
        { "2024/08/02T23:26:52Z", -1 },
        { "yesterday", -1 },
        { "", -1 }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ms = 0;
        rc = invsync_time_iso_ms(cases[i].iso, &ms);

        if (cases[i].ms == -1) {
            t_ok(rc == -1, "time \"%s\" is refused", cases[i].iso);

        } else {
            t_ok(rc == 0 && ms == cases[i].ms, "time \"%s\" is %lld ms",
                 cases[i].iso, (long long) cases[i].ms);
        }
    }

    t_ok(invsync_time_iso_ms(NULL, &ms) == -1, "time NULL is refused");
}


int
main(void)
{
    t_currency();
    t_money();
    t_time();

    printf("1..%zu\n", t_n);

    return t_failed;
}
