
/*
 * invsync portable core: signature schemes, event description, key layout
 * and the ingest script, shared by the nginx module and the worker.
 * The core never includes nginx headers, does no I/O and never logs.
 */


#ifndef INVSYNC_H_INCLUDED
#define INVSYNC_H_INCLUDED


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


#define INVSYNC_MAX_HEADERS     16
#define INVSYNC_MAX_SECRET      512     /* bytes of one secret file */
#define INVSYNC_EVENT_LEN       256     /* longest idempotency id */
#define INVSYNC_TOPIC_LEN       128
#define INVSYNC_ACCOUNT_LEN     256
#define INVSYNC_REPLY_LEN       256
#define INVSYNC_SHA256_HEX_LEN  64


typedef enum {
    INVSYNC_OK = 0,
    INVSYNC_HANDSHAKE,          /* answered with invsync_reply_t, no store */
    INVSYNC_ERR_NOMEM,
    INVSYNC_ERR_FORMAT,         /* 400: id, topic or account too long or
                                   holding a byte below 0x21 */
    INVSYNC_ERR_JSON,           /* 400: body is not valid JSON */
    INVSYNC_ERR_NO_EVENT_ID,    /* 400: no event id where one is required */
    INVSYNC_ERR_NO_TOPIC,       /* 400: no topic where one is required */
    INVSYNC_ERR_JSON_NUL,       /* 400: \u0000 in a string or a key */
    INVSYNC_ERR_JSON_DUPLICATE, /* 400: an object repeats a key */
    INVSYNC_ERR_JSON_RANGE,     /* 400: an integer beyond int64, or a
                                   real beyond double */
    INVSYNC_ERR_JSON_OBJECT,    /* 400: valid JSON but not an object */
    INVSYNC_ERR_UTF8,           /* 400: id, topic or account not UTF-8 */
    INVSYNC_ERR_NO_SIGNATURE,   /* 401: signature header missing */
    INVSYNC_ERR_SIGNATURE,      /* 401: no secret verifies */
    INVSYNC_ERR_TIMESTAMP,      /* 401: missing or malformed timestamp */
    INVSYNC_ERR_STALE,          /* 401: older than invsync_tolerance */
    INVSYNC_ERR_FUTURE,         /* 401: newer than now + tolerance */
    INVSYNC_ERR_CONFIG          /* the location lacks what the scheme needs */
} invsync_rc_e;


typedef enum {
    INVSYNC_ENC_BASE64 = 0,
    INVSYNC_ENC_HEX
} invsync_encoding_e;


/* A borrowed byte string; data == NULL means "absent". */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} invsync_str_t;


/* One configured signing secret, as read from its file (trailing newline
 * removed); schemes derive their key from it at verification time. */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} invsync_secret_t;


/* Options of the generic "hmac" scheme (invsync_hmac_*). */
typedef struct {
    invsync_encoding_e    encoding;
} invsync_hmac_conf_t;


/*
 * What a scheme sees of one request.  headers[i] holds the value of the
 * i-th name of the scheme's header list (or, for "hmac", of the configured
 * signature, id and topic headers), absent when data == NULL.
 */
typedef struct {
    invsync_str_t               headers[INVSYNC_MAX_HEADERS];
    invsync_str_t               body;
    invsync_str_t               content_type;
    invsync_str_t               url;        /* the URL the sender signed,
                                               for schemes with needs_url */
    invsync_str_t               app_key;    /* a signed prefix, for schemes
                                               with needs_app_key */
    int64_t                     now;        /* Unix seconds */
    int64_t                     tolerance;  /* seconds, for signs_time */
    const invsync_hmac_conf_t  *hmac;
} invsync_input_t;


/* What identifies an event; filled by a scheme's describe(). */
typedef struct {
    size_t          event_len;
    size_t          topic_len;
    size_t          account_len;
    unsigned char   event[INVSYNC_EVENT_LEN];
    unsigned char   topic[INVSYNC_TOPIC_LEN];
    unsigned char   account[INVSYNC_ACCOUNT_LEN];
} invsync_meta_t;


/* A handshake answer: status 200 and this JSON body; nothing is stored. */
typedef struct {
    size_t          len;
    unsigned char   body[INVSYNC_REPLY_LEN];
} invsync_reply_t;


/* One default topic -> stream row; a pattern ending in '*' is a prefix. */
typedef struct {
    const char  *topic;
    const char  *stream;        /* short name: "orders", "refunds", ... */
} invsync_route_t;


typedef struct invsync_scheme_s  invsync_scheme_t;

struct invsync_scheme_s {
    const char      *name;          /* value of invsync_webhook */
    const char     **headers;       /* lowercase names, NULL-ended */
    unsigned         signs_time:1;  /* invsync_tolerance applies */
    unsigned         needs_url:1;   /* signs the notification URL */
    unsigned         needs_app_key:1;
    invsync_rc_e   (*verify)(const invsync_input_t *in,
                             const invsync_secret_t *secrets, size_t n);
    invsync_rc_e   (*describe)(const invsync_input_t *in, invsync_meta_t *m);
    invsync_rc_e   (*handshake)(const invsync_input_t *in, invsync_reply_t *r);
    const invsync_route_t  *routes; /* default topic -> stream, NULL-ended */
};


/* invsync_scheme.c: lookups in the table, src/channels/invsync_schemes.c */
extern const invsync_scheme_t  *invsync_schemes[];

const invsync_scheme_t *invsync_scheme_find(const char *name, size_t len);
const char *invsync_scheme_names(void);    /* "hmac, ..." for messages */
const char *invsync_route_find(const invsync_route_t *routes,
    const unsigned char *topic, size_t len);
int invsync_route_match(const char *pattern, const unsigned char *topic,
    size_t len);
const char *invsync_strerror(invsync_rc_e rc);  /* static, safe to show */
const char *invsync_rc_name(invsync_rc_e rc);   /* "ok", "stale", ... */

/* a header that is present and not empty */
#define invsync_str_set(s)  ((s)->data != NULL && (s)->len > 0)
/* the first of two headers that is present and not empty, or NULL */
const invsync_str_t *invsync_header_pick(const invsync_input_t *in,
    size_t first, size_t second);
/* Unix seconds in ASCII decimal, at most 18 digits, no sign; canonical
 * also refuses leading zeros; returns -1 if malformed */
int invsync_time_parse(const unsigned char *p, size_t len, int canonical,
    int64_t *t);
/* INVSYNC_ERR_STALE or _FUTURE if t is more than in->tolerance away from
 * in->now, else INVSYNC_OK */
invsync_rc_e invsync_time_check(const invsync_input_t *in, int64_t t);


/* invsync_crypto.c */
#define INVSYNC_HMAC_MAX_PARTS  4

int invsync_hmac_sha256(const unsigned char *key, size_t key_len,
    const invsync_str_t *parts, size_t nparts, unsigned char out[32]);
void invsync_sha256(const unsigned char *data, size_t len,
    unsigned char out[32]);
/* as invsync_sha256(), but reports failure (out of memory) as -1 */
int invsync_sha256_checked(const unsigned char *data, size_t len,
    unsigned char out[32]);
int invsync_ct_equal(const void *a, const void *b, size_t len);
void invsync_crypto_cleanup(void);
/* any secret whose HMAC-SHA256 of the parts is sig (32 bytes) verifies */
invsync_rc_e invsync_hmac_match(const invsync_secret_t *secrets, size_t n,
    const invsync_str_t *parts, size_t nparts, const unsigned char *sig);
size_t invsync_hex_encode(unsigned char *dst, const unsigned char *src,
    size_t len);
/* both decoders return -1 on malformed input or if dst_cap is too small */
ssize_t invsync_hex_decode(unsigned char *dst, size_t dst_cap,
    const unsigned char *src, size_t len);
ssize_t invsync_base64_decode(unsigned char *dst, size_t dst_cap,
    const unsigned char *src, size_t len, int padding_optional);
size_t invsync_base64_encode(unsigned char *dst, const unsigned char *src,
    size_t len);
#define invsync_base64_encoded_len(n)  ((((n) + 2) / 3) * 4)
/* wp_specialchars_decode(secret, ENT_QUOTES), the key of WordPress
 * webhooks; the result is never longer than the input; its length */
size_t invsync_html_decode(unsigned char *dst, const unsigned char *src,
    size_t len);


/*
 * invsync_json_valid.cpp: the body check of schemes that take nothing from
 * the body, with simdjson.  Passes what the worker's parser (jansson,
 * JSON_REJECT_DUPLICATES) reads: INVSYNC_ERR_JSON, _JSON_NUL,
 * _JSON_DUPLICATE, _JSON_RANGE, and _JSON_OBJECT if want_object and the
 * body is an array.  invsync_json_valid() is 1 for an object or an array
 * that passes, else 0.
 */
invsync_rc_e invsync_json_check(const unsigned char *body, size_t len,
    int want_object);
int invsync_json_valid(const unsigned char *body, size_t len);
void invsync_json_cleanup(void);

/* invsync_json.c: small helpers over jansson used by describe() */
invsync_rc_e invsync_meta_set(unsigned char *dst, size_t *dst_len,
    size_t cap, const unsigned char *src, size_t len);
invsync_rc_e invsync_meta_body_hash(invsync_meta_t *m,
    const invsync_input_t *in);

struct json_t;

/*
 * Parses the body; *root receives a new reference the caller must
 * json_decref().  An object is required if want_object, else an object or
 * an array.  Returns INVSYNC_ERR_JSON or INVSYNC_ERR_NOMEM on failure.
 */
invsync_rc_e invsync_json_load(const invsync_input_t *in, int want_object,
    struct json_t **root);
/*
 * Copies member "key" of an object into dst: a string as is, an integer
 * as decimal text.  Returns "missing" if the member is absent, null, of
 * another type or empty, INVSYNC_ERR_FORMAT if it does not fit.
 */
invsync_rc_e invsync_json_meta(struct json_t *root, const char *key,
    unsigned char *dst, size_t *dst_len, size_t cap, invsync_rc_e missing);
/*
 * A body whose top-level members name the event id, the topic and, when
 * account is not NULL, the account (optional): describe() of the schemes
 * that put their envelope in the body.
 */
invsync_rc_e invsync_json_describe(const invsync_input_t *in,
    invsync_meta_t *m, const char *event, const char *topic,
    const char *account);


/* invsync_keys.c: the Redis key layout (docs/keys.md) */
size_t invsync_key_stream_len(size_t prefix_len, size_t stream_len);
size_t invsync_key_stream(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len, const unsigned char *stream, size_t stream_len);
/* the idempotency key: channel, topic and event id each after its decimal
 * length, so that no two (channel, topic, event) give one key */
size_t invsync_key_dedupe_len(size_t prefix_len, size_t stream_len,
    const invsync_meta_t *m, size_t channel_len);
size_t invsync_key_dedupe(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len, const unsigned char *stream, size_t stream_len,
    const unsigned char *channel, size_t channel_len,
    const invsync_meta_t *m);
/* the deployment's epoch, <prefix>:{<prefix>}:epoch, and a stream's marker
 * of it, <prefix>:{<prefix>:<stream>}:epoch (in the stream's slot) */
#define INVSYNC_EPOCH_HEX  32   /* 16 random bytes in hex */
/* before the hex of an epoch an operator made (invsyncctl epoch init,
 * reset): the only kind a reload makes nginx adopt */
#define INVSYNC_EPOCH_OP   "op-"
#define INVSYNC_EPOCH_MAX  (sizeof(INVSYNC_EPOCH_OP) - 1 + INVSYNC_EPOCH_HEX)
size_t invsync_key_deployment_len(size_t prefix_len);
size_t invsync_key_deployment(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len);
size_t invsync_key_marker_len(size_t prefix_len, size_t stream_len);
size_t invsync_key_marker(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len, const unsigned char *stream, size_t stream_len);


/* invsync_scripts.c (generated from the scripts in src/lua) */
extern const char    invsync_script_ingest[];
extern const size_t  invsync_script_ingest_len;
extern const char    invsync_script_epoch[];
extern const size_t  invsync_script_epoch_len;
extern const char    invsync_script_apply[];
extern const size_t  invsync_script_apply_len;
extern const char    invsync_script_exception[];
extern const size_t  invsync_script_exception_len;
extern const char    invsync_script_dead[];
extern const size_t  invsync_script_dead_len;
extern const char    invsync_script_resolve[];
extern const size_t  invsync_script_resolve_len;
extern const char    invsync_script_ledger[];
extern const size_t  invsync_script_ledger_len;
extern const char    invsync_script_push[];
extern const size_t  invsync_script_push_len;
extern const char    invsync_script_skumap[];
extern const size_t  invsync_script_skumap_len;
extern const char    invsync_script_skuunmap[];
extern const size_t  invsync_script_skuunmap_len;
extern const char    invsync_script_bundle[];
extern const size_t  invsync_script_bundle_len;
extern const char    invsync_script_lag[];
extern const size_t  invsync_script_lag_len;
extern const char    invsync_script_forget[];
extern const size_t  invsync_script_forget_len;
extern const char    invsync_script_exc_retry[];
extern const size_t  invsync_script_exc_retry_len;
extern const char    invsync_script_exc_resolve[];
extern const size_t  invsync_script_exc_resolve_len;
extern const char    invsync_script_skuattr[];
extern const size_t  invsync_script_skuattr_len;
extern const char    invsync_script_route[];
extern const size_t  invsync_script_route_len;
extern const char    invsync_script_journal[];
extern const size_t  invsync_script_journal_len;
extern const char    invsync_script_refundqty[];
extern const size_t  invsync_script_refundqty_len;
extern const char    invsync_script_refund_record[];
extern const size_t  invsync_script_refund_record_len;
extern const char    invsync_script_held[];
extern const size_t  invsync_script_held_len;
extern const char    invsync_script_ship_3pl[];
extern const size_t  invsync_script_ship_3pl_len;
extern const char    invsync_script_ship_open[];
extern const size_t  invsync_script_ship_open_len;
extern const char    invsync_script_ship_confirm[];
extern const size_t  invsync_script_ship_confirm_len;
extern const char    invsync_script_ship_cancel[];
extern const size_t  invsync_script_ship_cancel_len;
extern const char    invsync_script_ship_claim[];
extern const size_t  invsync_script_ship_claim_len;
extern const char    invsync_script_refund_out[];
extern const size_t  invsync_script_refund_out_len;


/* the generic schemes; a channel's own is declared in its table's file,
 * src/channels/invsync_schemes.c */
extern const invsync_scheme_t  invsync_scheme_hmac;
extern const invsync_scheme_t  invsync_scheme_standard;


#endif /* INVSYNC_H_INCLUDED */
