
/*
 * The restock rules of worker.json "returns" (docs/returns.md): what the
 * reader (invsync_returns_conf.c) keeps, and what the pure decision
 * (actions/refund/invsync_restock_rules.c) reads.
 */


#ifndef INVSYNC_RETURNS_H_INCLUDED
#define INVSYNC_RETURNS_H_INCLUDED


#include <stddef.h>

#include <jansson.h>


#define INVSYNC_RETURNS_MAX_TAGS     32
#define INVSYNC_RETURNS_MAX_REASONS  32


/* when a returned (shipped) line's units go back on the shelf */
typedef enum {
    INVSYNC_RESTOCK_ON_RECEIPT = 0,  /* when received: the RMA step */
    INVSYNC_RESTOCK_ON_REFUND        /* when the refund says so */
} invsync_restock_on_e;


/* a reason's or the opened condition's consequence */
typedef enum {
    INVSYNC_RESTOCK_AS_RESELLABLE = 0,
    INVSYNC_RESTOCK_AS_DAMAGED,
    INVSYNC_RESTOCK_AS_NONE
} invsync_restock_as_e;


typedef struct {
    char                  *reason;
    invsync_restock_as_e   as;
} invsync_returns_reason_t;


typedef struct {
    invsync_restock_on_e       restock_on;
    char                      *returns_location;  /* NULL: where shipped */
    invsync_restock_as_e       opened;            /* default resellable */
    int                        refund_on_receipt; /* "refund_on": receipt:
                                                   * a receipt's resellable
                                                   * lines are refunded */
    char                      *never_tags[INVSYNC_RETURNS_MAX_TAGS];
    size_t                     ntags;
    invsync_returns_reason_t   reasons[INVSYNC_RETURNS_MAX_REASONS];
    size_t                     nreasons;
} invsync_returns_conf_t;


/*
 * Reads root's "returns" into *out (defaults when absent); a
 * returns_location must be one of root's "locations" when it has any.
 * 0, or -1 with why ("<file>: $.returns...: reason").
 * invsync_returns_conf_free() releases what it kept, also after -1.
 */
int invsync_returns_conf_parse(const char *file, json_t *root,
    invsync_returns_conf_t *out, char *why, size_t len);
void invsync_returns_conf_free(invsync_returns_conf_t *rc);


#endif /* INVSYNC_RETURNS_H_INCLUDED */
