/*
 * invsyncctl journal export: the journal's lines in the layouts of Xero's
 * manual journal import and QuickBooks Online's journal entry import, or
 * one JSON line per journal line (docs/journal.md, "Export").  Amounts
 * leave the minor unit here only, written with the currency's exponent
 * (1234 EUR is 12.34, 1234 JPY is 1234, 1234 KWD is 1.234): nothing is
 * rounded, since every amount is already a whole minor unit.
 */


#include <stdio.h>
#include <string.h>

#include "invsyncctl_journal.h"
#include "invsync_canon.h"


static void invsyncctl_journal_field(FILE *out, const char *s, int last);
static void invsyncctl_journal_date(const char *iso, int us, char *buf,
    size_t cap);


/* one header row, then one row per line, entries in the journal's order */

int
invsyncctl_journal_csv(json_t *entries, const invsyncctl_journal_fmt_t *f,
    FILE *out)
{
    int          xero;
    char         day[16], amount[48];
    size_t       i, j;
    json_t      *e, *l;
    json_int_t   a;
    const char  *cur;

    xero = strcmp(f->layout, "xero") == 0;

    fputs(xero ? "*Narration,*Date,Description,*AccountCode,*TaxRate,"
                 "*Amount,TrackingName1,TrackingOption1,TrackingName2,"
                 "TrackingOption2\r\n"
               : "Journal No,Journal Date,Currency,Account Name,Debits,"
                 "Credits,Description,Name\r\n", out);

    json_array_foreach(entries, i, e) {
        invsyncctl_journal_date(json_string_value(json_object_get(e, "date")),
                                !xero, day, sizeof(day));

        json_array_foreach(json_object_get(e, "lines"), j, l) {
            cur = json_string_value(json_object_get(l, "currency"));
            a = json_integer_value(json_object_get(l, "amount_minor"));

            if (f->currency != NULL && strcmp(cur, f->currency) != 0) {
                continue;
            }

            if (xero) {
                invsyncctl_journal_money(a, cur, amount, sizeof(amount));
                invsyncctl_journal_field(out, json_string_value(
                    json_object_get(e, "cause")), 0);
                invsyncctl_journal_field(out, day, 0);
                invsyncctl_journal_field(out, json_string_value(
                    json_object_get(l, "memo")), 0);
                invsyncctl_journal_field(out, json_string_value(
                    json_object_get(l, "code")), 0);
                invsyncctl_journal_field(out, f->tax_rate, 0);
                invsyncctl_journal_field(out, amount, 0);
                fputs(",,,\r\n", out);
                continue;
            }

            invsyncctl_journal_money(a < 0 ? -a : a, cur, amount,
                                     sizeof(amount));
            invsyncctl_journal_field(out, json_string_value(
                json_object_get(e, "id")), 0);
            invsyncctl_journal_field(out, day, 0);
            invsyncctl_journal_field(out, cur, 0);
            invsyncctl_journal_field(out, json_string_value(
                json_object_get(l, "code")), 0);
            invsyncctl_journal_field(out, a > 0 ? amount : "", 0);
            invsyncctl_journal_field(out, a < 0 ? amount : "", 0);
            invsyncctl_journal_field(out, json_string_value(
                json_object_get(e, "cause")), 0);
            invsyncctl_journal_field(out, json_string_value(
                json_object_get(l, "memo")), 1);
        }
    }

    return ferror(out) ? -1 : 0;
}


/* {id, cause, date, source, account, code, currency, amount_minor,
 *  debit, credit, memo, sku} per line */

int
invsyncctl_journal_jsonl(json_t *entries, const invsyncctl_journal_fmt_t *f,
    FILE *out)
{
    char         *s, amount[48];
    size_t        i, j;
    json_t       *e, *l, *row;
    json_int_t    a;
    const char   *cur;

    json_array_foreach(entries, i, e) {
        json_array_foreach(json_object_get(e, "lines"), j, l) {
            cur = json_string_value(json_object_get(l, "currency"));
            if (f->currency != NULL && strcmp(cur, f->currency) != 0) {
                continue;
            }

            a = json_integer_value(json_object_get(l, "amount_minor"));
            invsyncctl_journal_money(a < 0 ? -a : a, cur, amount,
                                     sizeof(amount));
            row = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:I, "
                            "s:s, s:s, s:O, s:O?}",
                            "id", json_object_get(e, "id"),
                            "cause", json_object_get(e, "cause"),
                            "date", json_object_get(e, "date"),
                            "source", json_object_get(e, "source"),
                            "account", json_object_get(l, "account"),
                            "code", json_object_get(l, "code"),
                            "currency", cur, "amount_minor", a,
                            "debit", a > 0 ? amount : "",
                            "credit", a < 0 ? amount : "",
                            "memo", json_object_get(l, "memo"),
                            "sku", json_object_get(l, "sku"));
            s = row != NULL ? json_dumps(row, JSON_COMPACT) : NULL;
            json_decref(row);

            if (s == NULL) {
                return -1;
            }

            fprintf(out, "%s\n", s);
            free(s);
        }
    }

    return ferror(out) ? -1 : 0;
}


/* minor units as a decimal in the currency's exponent: -1234 EUR "-12.34" */

void
invsyncctl_journal_money(json_int_t minor, const char *currency, char *buf,
    size_t cap)
{
    int          exp, i;
    char        *p;
    json_int_t   unit, abs;

    exp = invsync_currency_exponent(currency);
    exp = exp < 0 ? 2 : exp;

    for (unit = 1, i = 0; i < exp; i++) {
        unit *= 10;
    }

    abs = minor < 0 ? -minor : minor;

    if (exp == 0) {
        snprintf(buf, cap, "%s%" JSON_INTEGER_FORMAT, minor < 0 ? "-" : "",
                 abs);
        return;
    }

    /* the fraction's digits, leading zeros kept: 5 of 1000 is "005" */
    snprintf(buf, cap, "%s%" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT,
             minor < 0 ? "-" : "", abs / unit, unit + abs % unit);
    p = strchr(buf, '.');
    if (p != NULL && p[1] == '1') {
        memmove(p + 1, p + 2, strlen(p + 2) + 1);
    }
}


/* RFC 4180: quoted when it holds a comma, a quote or a line break */
static void
invsyncctl_journal_field(FILE *out, const char *s, int last)
{
    s = s != NULL ? s : "";

    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);

    } else {
        fputc('"', out);
        for (; *s != '\0'; s++) {
            if (*s == '"') {
                fputc('"', out);
            }
            fputc(*s, out);
        }
        fputc('"', out);
    }

    fputs(last ? "\r\n" : ",", out);
}


/* YYYY-MM-DD as Xero's dd/mm/yyyy or QuickBooks's MM/DD/YYYY */
static void
invsyncctl_journal_date(const char *iso, int us, char *buf, size_t cap)
{
    if (iso == NULL || strlen(iso) != 10) {
        snprintf(buf, cap, "%s", iso != NULL ? iso : "");
        return;
    }

    if (us) {
        snprintf(buf, cap, "%.2s/%.2s/%.4s", iso + 5, iso + 8, iso);

    } else {
        snprintf(buf, cap, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    }
}
