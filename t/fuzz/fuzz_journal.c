
/*
 * libFuzzer target: the journal's line builder, invsync_journal_lines()
 * (src/actions/refund/invsync_journal_lines.c, docs/journal.md).  The
 * input is one JSON document shaped like a case of t/journal/: "refund"
 * (the canonical refund as refund.record left it), "costs" ({sku:
 * {cost_minor, cost_currency}}), "accounts" ({role: code}) and an
 * optional "date" (the day when the refund carries no time).
 *
 * Checks besides the sanitizers, the header's promises and the books':
 * on success every entry balances (its lines add up to zero in each
 * currency), has a cause "refund:..." (at most one, the first) or
 * "restock:..." (two lines), a date of 10 bytes and lines of a role the
 * accounts map, with that role's code; "uncosted" lists strings; the
 * same input gives the same answer (a pure function).  On refusal,
 * nothing is given and the reason is printable.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "refund/invsync_journal_lines.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void t_entries(json_t *out, json_t *accounts);
static void t_entry(json_t *e, size_t i, json_t *accounts);
static void t_printable(const char *s);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         err[256], err2[256];
    json_t      *doc, *refund, *costs, *accounts, *out, *again;
    const char  *date;

    doc = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return 0;
    }

    refund = json_object_get(doc, "refund");
    costs = json_object_get(doc, "costs");
    accounts = json_object_get(doc, "accounts");
    date = json_string_value(json_object_get(doc, "date"));

    if (date == NULL) {
        date = "2026-11-14";
    }

    err[0] = '\0';
    err2[0] = '\0';
    out = invsync_journal_lines(refund, costs, accounts, date, err,
                                sizeof(err));
    again = invsync_journal_lines(refund, costs, accounts, date, err2,
                                  sizeof(err2));

    if ((out == NULL) != (again == NULL)
        || (out != NULL && !json_equal(out, again))
        || (out == NULL && strcmp(err, err2) != 0))
    {
        abort();
    }

    if (out == NULL) {
        if (err[0] == '\0') {
            abort();
        }

        t_printable(err);

    } else {
        t_entries(out, accounts);
    }

    json_decref(out);
    json_decref(again);
    json_decref(doc);

    return 0;
}


static void
t_entries(json_t *out, json_t *accounts)
{
    size_t   i;
    json_t  *entries, *uncosted, *e, *s;

    entries = json_object_get(out, "entries");
    uncosted = json_object_get(out, "uncosted");

    if (!json_is_array(entries) || !json_is_array(uncosted)) {
        abort();
    }

    json_array_foreach(uncosted, i, s) {
        if (!json_is_string(s)) {
            abort();
        }
    }

    json_array_foreach(entries, i, e) {
        t_entry(e, i, accounts);
    }
}


/* one entry: its cause, date, lines, and the balance per currency */
static void
t_entry(json_t *e, size_t i, json_t *accounts)
{
    size_t       j, k, ncur;
    json_t      *lines, *l, *code;
    __int128     sum[64];
    const char  *cause, *date, *role, *cur, *seen[64];

    cause = json_string_value(json_object_get(e, "cause"));
    date = json_string_value(json_object_get(e, "date"));
    lines = json_object_get(e, "lines");

    if (cause == NULL || date == NULL || strlen(date) != 10
        || !json_is_array(lines) || json_array_size(lines) == 0)
    {
        abort();
    }

    if (strncmp(cause, "refund:", 7) == 0) {
        if (i != 0) {
            abort();
        }

    } else if (strncmp(cause, "restock:", 8) != 0
               || json_array_size(lines) != 2)
    {
        abort();
    }

    ncur = 0;

    json_array_foreach(lines, j, l) {
        role = json_string_value(json_object_get(l, "account"));
        cur = json_string_value(json_object_get(l, "currency"));
        code = json_object_get(accounts, role != NULL ? role : "");

        if (role == NULL || cur == NULL || !json_is_string(code)
            || !json_equal(code, json_object_get(l, "code"))
            || !json_is_integer(json_object_get(l, "amount_minor"))
            || !json_is_string(json_object_get(l, "memo")))
        {
            abort();
        }

        for (k = 0; k < ncur && strcmp(seen[k], cur) != 0; k++) {
            /* void */
        }

        if (k == ncur) {
            if (ncur == 64) {
                abort();
            }

            seen[ncur] = cur;
            sum[ncur++] = 0;
        }

        sum[k] += json_integer_value(json_object_get(l, "amount_minor"));
    }

    for (k = 0; k < ncur; k++) {
        if (sum[k] != 0) {
            abort();
        }
    }
}


static void
t_printable(const char *s)
{
    for ( /* void */ ; *s != '\0'; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            abort();
        }
    }
}
