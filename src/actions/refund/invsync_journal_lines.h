/*
 * The journal's line builder: a recorded refund, the costs of its SKUs
 * and the merchant's accounts in, the double-entry entries out
 * (docs/journal.md).  A pure function of its inputs, so that its cases
 * are data (t/journal/<case>.json, t/unit/test_journal.c).
 */


#ifndef INVSYNC_JOURNAL_LINES_H_INCLUDED
#define INVSYNC_JOURNAL_LINES_H_INCLUDED


#include <stddef.h>
#include <jansson.h>


/*
 * refund:   the canonical refund as refund.record left it (channel,
 *           order_channel, refund_id, currency, amount_minor, amounts,
 *           lines with sku, quantity, restock, condition)
 * costs:    {sku: {cost_minor, cost_currency}}; a SKU without one is
 *           listed in the answer's "uncosted"
 * accounts: {role: code}, every role of docs/journal.md (worker.json
 *           journal.accounts, checked by invsync_journal_conf.c)
 * date:     YYYY-MM-DD when the refund carries no time
 *
 * Returns {entries: [{cause, date, lines: [{account, code, currency,
 * amount_minor (debit > 0, credit < 0), memo, sku}]}], uncosted: [sku]},
 * or NULL with err written: an account missing, a refund with no
 * currency, an amount, quantity or cost beyond 10^14, more than 4096
 * lines, a restocked line worth more than 10^14.
 */
json_t *invsync_journal_lines(json_t *refund, json_t *costs,
    json_t *accounts, const char *date, char *err, size_t len);


/*
 * total split by the weights w[0..n) (n at most 256) in whole minor
 * units, by the largest remainder method: out[] adds up to total, for
 * any total (a negative one into negative parts) and any weights whose
 * sum is within 64 bits (a negative weight counts as 0)
 */
void invsync_journal_split(json_int_t total, const json_int_t *w, size_t n,
    json_int_t *out);


/* the line's units came back: the restock's decision, else the channel's */
int invsync_journal_restocked(json_t *line);


#endif /* INVSYNC_JOURNAL_LINES_H_INCLUDED */
