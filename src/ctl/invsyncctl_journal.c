/*
 * invsyncctl journal: the journal's entries of a period (docs/journal.md).
 * export prints their lines for an accounting system's import;
 * trial-balance sums them per currency and account, each currency's
 * total zero when every entry balanced.  An entry belongs to the period
 * of its own date (the refund's), not of the time it was written.
 */


#include <stdio.h>
#include <string.h>

#include "invsyncctl_journal.h"


static int invsyncctl_journal_read(invsyncctl_t *ctl, const char *from,
    const char *to, json_t *entries);
static int invsyncctl_journal_tb(invsyncctl_t *ctl, json_t *entries);
static int invsyncctl_journal_day(const char *s);


const char  invsyncctl_journal_usage[] =
    "usage: invsyncctl journal export --from DATE --to DATE\n"
    "           [--format csv|jsonl] [--layout xero|quickbooks]\n"
    "           [--tax-rate NAME] [--currency XXX]\n"
    "       invsyncctl journal trial-balance --from DATE --to DATE\n"
    "\n"
    "The double-entry lines of refunds and restocks (docs/journal.md),\n"
    "of the entries dated DATE to DATE (YYYY-MM-DD, both included).\n"
    "\n"
    "  --format     csv (default) or jsonl, one JSON object per line\n"
    "  --layout     csv: xero (Xero's manual journal import, the default)\n"
    "               or quickbooks (QuickBooks Online's journal import)\n"
    "  --tax-rate   xero: the TaxRate column (default \"Tax Exempt\"; the\n"
    "               tax is on its own lines already)\n"
    "  --currency   only the lines in this currency\n"
    "  --json       trial-balance: {currencies: {XXX: {accounts: [...],\n"
    "               debit_minor, credit_minor, balance_minor}}}\n"
    "\n"
    "Exit: 0, 1 usage, 3 Redis.\n";


int
invsyncctl_journal(invsyncctl_t *ctl, int argc, char **argv)
{
    int                        rc, npos;
    json_t                    *entries;
    const char                *from, *to, *format, *pos[1];
    invsyncctl_journal_fmt_t   f;
    invsyncctl_opt_t           opts[] = {
        { "--from", &from, NULL },
        { "--to", &to, NULL },
        { "--format", &format, NULL },
        { "--layout", &f.layout, NULL },
        { "--tax-rate", &f.tax_rate, NULL },
        { "--currency", &f.currency, NULL },
        { NULL, NULL, NULL }
    };

    from = NULL;
    to = NULL;
    format = "csv";
    f.layout = "xero";
    f.tax_rate = "Tax Exempt";
    f.currency = NULL;

    rc = invsyncctl_args(ctl, "journal", invsyncctl_journal_usage, argc,
                         argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || (strcmp(pos[0], "export") != 0
                      && strcmp(pos[0], "trial-balance") != 0))
    {
        return invsyncctl_usage_error("journal", "export or trial-balance");
    }

    if (!invsyncctl_journal_day(from) || !invsyncctl_journal_day(to)
        || strcmp(from, to) > 0)
    {
        return invsyncctl_usage_error("journal", "--from and --to are dates "
                                      "YYYY-MM-DD, --from not after --to");
    }

    if (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0) {
        return invsyncctl_usage_error("journal", "--format is csv or jsonl, "
                                      "not \"%s\"", format);
    }

    if (strcmp(f.layout, "xero") != 0
        && strcmp(f.layout, "quickbooks") != 0)
    {
        return invsyncctl_usage_error("journal", "--layout is xero or "
                                      "quickbooks, not \"%s\"", f.layout);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    entries = json_array();
    rc = invsyncctl_journal_read(ctl, from, to, entries);

    if (rc == INVSYNCCTL_OK && strcmp(pos[0], "export") == 0) {
        rc = (strcmp(format, "csv") == 0
              ? invsyncctl_journal_csv(entries, &f, stdout)
              : invsyncctl_journal_jsonl(entries, &f, stdout)) == 0
             ? INVSYNCCTL_OK : INVSYNCCTL_USAGE;

    } else if (rc == INVSYNCCTL_OK) {
        rc = invsyncctl_journal_tb(ctl, entries);
    }

    json_decref(entries);

    return rc;
}


/* K journal from its start, 500 entries a call; those of the period kept */
static int
invsyncctl_journal_read(invsyncctl_t *ctl, const char *from, const char *to,
    json_t *entries)
{
    char               key[INVSYNCCTL_KEY_LEN], start[64];
    size_t             i;
    json_t            *lines;
    redisReply        *r;
    const char        *day;
    const redisReply  *e;

    invsync_key_journal(key, sizeof(key), ctl->conf);
    snprintf(start, sizeof(start), "-");

    for ( ;; ) {
        r = invsyncctl_redis(ctl, "XRANGE %s %s + COUNT 500", key, start);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "invsyncctl: journal: %s\n",
                    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str
                    : "connection lost");
            freeReplyObject(r);
            return INVSYNCCTL_REDIS;
        }

        for (i = 0; i < r->elements; i++) {
            e = r->element[i];
            if (!invsyncctl_entry_ok(e)) {
                continue;
            }

            snprintf(start, sizeof(start), "(%s", e->element[0]->str);
            day = invsyncctl_fstr(e->element[1], "date");

            if (strcmp(day, from) < 0 || strcmp(day, to) > 0) {
                continue;
            }

            lines = json_loads(invsyncctl_fstr(e->element[1], "lines"), 0,
                               NULL);
            json_array_append_new(entries, json_pack(
                "{s:s, s:s, s:s, s:s, s:o}", "id", e->element[0]->str,
                "cause", invsyncctl_fstr(e->element[1], "cause"),
                "date", day, "source",
                invsyncctl_fstr(e->element[1], "source"),
                "lines", lines != NULL ? lines : json_array()));
        }

        i = r->elements;
        freeReplyObject(r);

        if (i < 500) {
            return INVSYNCCTL_OK;
        }
    }
}


/* per currency, per account (code and role): debits, credits, balance */
static int
invsyncctl_journal_tb(invsyncctl_t *ctl, json_t *entries)
{
    char         name[256], d[48], c[48], b[48];
    size_t       i, j;
    json_t      *e, *l, *cur, *acc, *a, *doc;
    json_int_t   amt;
    const char  *k, *ck;

    doc = json_object();

    json_array_foreach(entries, i, e) {
        json_array_foreach(json_object_get(e, "lines"), j, l) {
            ck = json_string_value(json_object_get(l, "currency"));
            amt = json_integer_value(json_object_get(l, "amount_minor"));
            snprintf(name, sizeof(name), "%s %s",
                     json_string_value(json_object_get(l, "code")),
                     json_string_value(json_object_get(l, "account")));

            cur = json_object_get(doc, ck);
            if (cur == NULL) {
                cur = json_object();
                json_object_set_new(doc, ck, cur);
            }

            a = json_object_get(cur, name);
            if (a == NULL) {
                a = json_pack("{s:O, s:O, s:I, s:I}", "code",
                              json_object_get(l, "code"), "account",
                              json_object_get(l, "account"), "debit_minor",
                              (json_int_t) 0, "credit_minor", (json_int_t) 0);
                json_object_set_new(cur, name, a);
            }

            k = amt > 0 ? "debit_minor" : "credit_minor";
            json_object_set_new(a, k, json_integer(json_integer_value(
                json_object_get(a, k)) + (amt > 0 ? amt : -amt)));
        }
    }

    json_object_foreach(doc, ck, cur) {
        json_int_t  td = 0, tc = 0;

        acc = json_array();
        json_object_foreach(cur, k, a) {
            td += json_integer_value(json_object_get(a, "debit_minor"));
            tc += json_integer_value(json_object_get(a, "credit_minor"));
            json_object_set_new(a, "balance_minor", json_integer(
                json_integer_value(json_object_get(a, "debit_minor"))
                - json_integer_value(json_object_get(a, "credit_minor"))));
            json_array_append(acc, a);

            if (!ctl->json) {
                invsyncctl_journal_money(json_integer_value(
                    json_object_get(a, "debit_minor")), ck, d, sizeof(d));
                invsyncctl_journal_money(json_integer_value(
                    json_object_get(a, "credit_minor")), ck, c, sizeof(c));
                invsyncctl_journal_money(json_integer_value(
                    json_object_get(a, "balance_minor")), ck, b, sizeof(b));
                printf("%-3s  %-32s %14s %14s %14s\n", ck, k, d, c, b);
            }
        }

        if (!ctl->json) {
            invsyncctl_journal_money(td, ck, d, sizeof(d));
            invsyncctl_journal_money(tc, ck, c, sizeof(c));
            invsyncctl_journal_money(td - tc, ck, b, sizeof(b));
            printf("%-3s  %-32s %14s %14s %14s\n", ck, "total", d, c, b);
        }

        json_object_clear(cur);
        json_object_set_new(cur, "accounts", acc);
        json_object_set_new(cur, "debit_minor", json_integer(td));
        json_object_set_new(cur, "credit_minor", json_integer(tc));
        json_object_set_new(cur, "balance_minor", json_integer(td - tc));
    }

    if (ctl->json) {
        return invsyncctl_print_json(json_pack("{s:o}", "currencies", doc));
    }

    json_decref(doc);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_journal_day(const char *s)
{
    int  i;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return 0;
    }

    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return 0;
        }
    }

    return 1;
}
