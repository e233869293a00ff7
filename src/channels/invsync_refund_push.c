
/*
 * What the channels' refund operations share (invsync_refund_push.h):
 * the decision a look makes from what the channel can still refund of
 * each line.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_channel.h"
#include "invsync_refund_push.h"


/*
 * left[i]: the units of r->lines[i] the channel can still refund.  None
 * left of any line: the channel refunded these units itself already
 * (COVERED, by the refunds named in others); some line short of what is
 * asked: REFUSED, a person decides what is left to refund; else 0, the
 * refund may be made.
 * Returns 1 when the step was set.
 */
int
invsync_refund_cover(invsync_refund_push_t *r, const int64_t *left,
    const char *others)
{
    size_t  i, shortn, none, first;

    shortn = 0;
    none = 0;
    first = 0;

    for (i = 0; i < r->nlines; i++) {
        none += left[i] <= 0;

        if (left[i] < r->lines[i].qty && shortn++ == 0) {
            first = i;
        }
    }

    if (shortn == 0) {
        return 0;
    }

    if (none == r->nlines) {
        snprintf(r->refund_id, sizeof(r->refund_id), "%s", others);
        r->step = INVSYNC_REFUND_COVERED;
        return 1;
    }

    snprintf(r->err, sizeof(r->err), "the channel can refund %lld of line "
             "%s (SKU %s), %lld asked: refunded there already in part",
             (long long) left[first], r->lines[first].line_id,
             r->lines[first].sku, (long long) r->lines[first].qty);
    invsync_channel_text(r->err);
    r->step = INVSYNC_REFUND_REFUSED;

    return 1;
}
