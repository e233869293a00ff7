
/*
 * The canonical event model: what the worker's actions see, whatever the
 * channel.  Normalizers turn a stream entry (the module's envelope) into
 * one canonical JSON object (jansson); docs/events.md describes it.
 * It lives with the channels, not in src/core: nginx does not link it
 * (its readers use yajl).  No I/O, no logging.
 */


#ifndef INVSYNC_CANON_H_INCLUDED
#define INVSYNC_CANON_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


#define INVSYNC_CANON_ERR_LEN  256


typedef enum {
    INVSYNC_NORM_OK = 0,        /* *out holds a canonical event */
    INVSYNC_NORM_IGNORE,        /* a topic no action needs: ack, audit */
    INVSYNC_NORM_POISON         /* cannot be understood: dead letter, err */
} invsync_norm_rc_e;


/* One stream entry, borrowed from the reply it was read from. */
typedef struct {
    const char   *stream;       /* full stream key */
    const char   *entry;        /* stream entry id */
    const char   *channel;
    const char   *scheme;
    const char   *account;
    const char   *topic;
    const char   *event;
    int64_t       received;     /* Unix ms */
    const char   *body;
    size_t        body_len;
    int           version;      /* envelope version, "v" */
    const char   *redelivery;   /* replay_of or retry_of, else "" */
} invsync_envelope_t;


typedef struct {
    const char          *type;  /* channel type in worker.json = scheme */
    invsync_norm_rc_e  (*normalize)(const invsync_envelope_t *ev,
                                    json_t **out, char *err, size_t len);
} invsync_normalizer_t;


/* src/channels/invsync_normalize.c: by the channel table */
const invsync_normalizer_t *invsync_normalizer_find(const char *type);
invsync_norm_rc_e invsync_normalize(const invsync_envelope_t *ev,
    json_t **out, char *err, size_t len);

/* invsync_canon.c: helpers shared by the normalizers */
int invsync_currency_exponent(const char *currency);
int invsync_money_parse(const json_t *value, const char *currency,
    int64_t *minor, char *err, size_t len);
/* invsync_canon_money.c: minor units as a decimal text, "12.50" */
int invsync_money_format(int64_t minor, const char *currency, char *buf,
    size_t cap);
int invsync_time_iso_ms(const char *iso, int64_t *ms);

/* invsync_canon_ship.c: a carrier's or 3PL's words about a parcel */
#define INVSYNC_RATE_MAX_MINOR  100000000000LL  /* 1e9 major units */
#define INVSYNC_SHIP_TEXT_MAX   100
int invsync_rate_minor(const json_t *value, const char *currency,
    int64_t *minor, char *err, size_t len);
int invsync_ship_text_check(const char *field, const char *text,
    int required, int ascii, char *err, size_t len);

/*
 * Readers for the normalizers, also in invsync_canon.c.  A source is one
 * object of the body with its JSON path, used in every error.  Getters
 * that return json_t * give a new reference (json null for a missing or
 * null member) or NULL; invsync_canon_set() and _append() steal it and
 * turn NULL into -1, so one check follows a getter and its store.  The
 * int getters return 1 (read), 0 (missing or null) or -1.  On -1 or NULL
 * err holds "path: reason", or is empty (out of memory: set() fills it).
 */

#define INVSYNC_CANON_REQUIRED   0x01  /* missing, null or "": an error */
#define INVSYNC_CANON_SIGNED     0x02  /* a negative number is allowed */
#define INVSYNC_CANON_ZERO_NULL  0x04  /* an id 0 means none: null */

#define INVSYNC_CANON_PATH_LEN   128


typedef struct {
    const json_t  *obj;         /* borrowed; NULL: every member missing */
    const char    *currency;    /* of money members; NULL: not known */
    char          *err;
    size_t         len;
    char           path[INVSYNC_CANON_PATH_LEN];   /* "" for the root */
} invsync_canon_src_t;


/* the body as an object (*root: new reference), or POISON with err */
invsync_norm_rc_e invsync_canon_load(const invsync_envelope_t *ev,
    json_t **root, char *err, size_t len);
/* a new event with "kind" and the common members, or NULL with err */
json_t *invsync_canon_new(const invsync_envelope_t *ev, const char *kind,
    char *err, size_t len);
void invsync_canon_root(invsync_canon_src_t *s, const json_t *root,
    char *err, size_t len);
/* member key as a source (a missing or null one has obj NULL): 0 or -1 */
int invsync_canon_object(const invsync_canon_src_t *s, const char *key,
    invsync_canon_src_t *child);
/* the length of array member key (0 if missing or null), or -1 */
int invsync_canon_array(const invsync_canon_src_t *s, const char *key,
    size_t *n);
/* element i of array member key, which must be an object: 0 or -1 */
int invsync_canon_item(const invsync_canon_src_t *s, const char *key,
    size_t i, invsync_canon_src_t *item);
/*
 * The canonical array dst[dst_key], one new object for each object of
 * array member key, filled by fill(item, object, ctx): 0, or -1 when a
 * member is not what it must be or fill says -1
 */
typedef int (*invsync_canon_fill_pt)(const invsync_canon_src_t *item,
    json_t *out, void *ctx);
int invsync_canon_each(const invsync_canon_src_t *s, const char *key,
    json_t *dst, const char *dst_key, invsync_canon_fill_pt fill, void *ctx);
/* writes "path.key: reason" (key may be NULL) and returns -1 */
int invsync_canon_fail(const invsync_canon_src_t *s, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* quotes untrusted text for an error: at most 40 bytes, printable ASCII */
const char *invsync_canon_quote(char *buf, size_t size, const char *text);

/* an id as a string: a JSON string, or an integer rendered in full */
json_t *invsync_canon_id(const invsync_canon_src_t *s, const char *key,
    unsigned flags);
/* a string, or an integer as text; "" is null */
json_t *invsync_canon_string(const invsync_canon_src_t *s, const char *key,
    unsigned flags);
/* v if it is not json null, else invsync_canon_string(s, key, 0) */
json_t *invsync_canon_or(json_t *v, const invsync_canon_src_t *s,
    const char *key);
/* array member key's first object's string first, else second (or NULL) */
json_t *invsync_canon_first_of(const invsync_canon_src_t *s, const char *key,
    const char *first, const char *second);
/*
 * A canonical address from a source: keys names the channel's members
 * for address1, address2, city, province, zip, country_code and phone;
 * the name is "name", else "first_name last_name".  Null if a is missing
 * or every member is.
 */
json_t *invsync_canon_address(const invsync_canon_src_t *a,
    const char *const *keys);
/* "first last" from two string members; null if both are missing */
json_t *invsync_canon_name(const invsync_canon_src_t *s, const char *first,
    const char *last);
/* a borrowed non-empty string (valid while the body lives) */
int invsync_canon_str(const invsync_canon_src_t *s, const char *key,
    unsigned flags, const char **v);
int invsync_canon_bool(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int *v);
/* an integer: a JSON integer, an integral real or a string of digits */
int invsync_canon_int(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int64_t *v);
/* an amount in s->currency, in minor units (invsync_money_parse()) */
int invsync_canon_money(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int64_t *v);
/* an ISO 4217 code invsync_currency_exponent() knows */
int invsync_canon_currency(const invsync_canon_src_t *s, const char *key,
    unsigned flags, const char **v);
/* the result of an int getter as JSON: integer, null, or NULL for -1 */
json_t *invsync_canon_number(int rc, int64_t v);
/* stores the ISO string as given as name and its Unix ms as name_ms */
int invsync_canon_time(const invsync_canon_src_t *s, const char *key,
    unsigned flags, json_t *dst, const char *name, const char *name_ms);
int invsync_canon_set(const invsync_canon_src_t *s, json_t *dst,
    const char *name, json_t *value);
int invsync_canon_append(const invsync_canon_src_t *s, json_t *array,
    json_t *value);
/* appends "<prefix>:<value>" when value is a string but "" or "0" */
int invsync_canon_ref(const invsync_canon_src_t *s, json_t *refs,
    const char *prefix, const json_t *value);

#endif /* INVSYNC_CANON_H_INCLUDED */
