
/*
 * The restock decision of one refund line (docs/returns.md): pure, no
 * Redis; the refund's restock step (invsync_refund_restock.c) gathers what
 * the ledger knows and applies the answer, t/unit/test_returns.c checks
 * it against the cases of t/returns/.
 */


#ifndef INVSYNC_RESTOCK_RULES_H_INCLUDED
#define INVSYNC_RESTOCK_RULES_H_INCLUDED


#include <jansson.h>

#include "invsync_returns.h"


/* what the ledger and the catalogue know of the line (all borrowed) */
typedef struct {
    json_t      *tags;           /* the SKU's tags (K sku:<sku>), or NULL */
    const char  *shipped_from;   /* where the ledger shipped it, or NULL */
    const char  *fallback;       /* the channel's first stock location */
    int          released;       /* the order's reservation was released */
    int          receipt;        /* the line is a return's receipt (the
                                  * RMA step), not a refund's line */
} invsync_restock_facts_t;


typedef struct {
    int          restock;        /* units go back */
    const char  *bucket;         /* "on_hand" or "damaged"; NULL: none */
    const char  *location;       /* where, when restocked */
    const char  *location_from;  /* "returns_location", "shipped", ... */
    const char  *reason;         /* why, a code of docs/returns.md */
    const char  *tag;            /* the never-restocked tag, or NULL */
} invsync_restock_decision_t;


/* decides line (a canonical refund line) of refund; d's strings borrow
 * from rc, line, refund and f */
void invsync_restock_decide(const invsync_returns_conf_t *rc, json_t *line,
    json_t *refund, const invsync_restock_facts_t *f,
    invsync_restock_decision_t *d);


#endif /* INVSYNC_RESTOCK_RULES_H_INCLUDED */
