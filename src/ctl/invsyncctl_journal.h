
/*
 * invsyncctl journal: what its two files share.  The entries of K journal
 * dated within --from and --to are read once into a JSON array of
 * {id, cause, date, source, lines} (invsyncctl_journal.c); the export
 * formats print them (invsyncctl_journal_export.c).
 */


#ifndef INVSYNCCTL_JOURNAL_H_INCLUDED
#define INVSYNCCTL_JOURNAL_H_INCLUDED


#include "invsyncctl.h"


typedef struct {
    const char  *layout;      /* csv: "xero" or "quickbooks" */
    const char  *tax_rate;    /* xero: the TaxRate column */
    const char  *currency;    /* only lines in this currency, or NULL */
} invsyncctl_journal_fmt_t;


/* invsyncctl_journal_export.c */
int invsyncctl_journal_csv(json_t *entries,
    const invsyncctl_journal_fmt_t *f, FILE *out);
int invsyncctl_journal_jsonl(json_t *entries,
    const invsyncctl_journal_fmt_t *f, FILE *out);
void invsyncctl_journal_money(json_int_t minor, const char *currency,
    char *buf, size_t cap);


#endif /* INVSYNCCTL_JOURNAL_H_INCLUDED */
