
/*
 * The JSON check of the bodies of schemes that take nothing from the
 * body (invsync_json_check(), called by their describe()).  It passes exactly what the worker's parser
 * reads (jansson with JSON_REJECT_DUPLICATES, src/channels/invsync_canon.c)
 * so that no body answered 200 can only be dead-lettered: well-formed
 * JSON (structure, numbers, escapes, UTF-8) with no \u0000, no object
 * repeating a key and no integer beyond int64.  simdjson reads integers
 * up to uint64 where jansson stops at int64; everything else jansson
 * refuses (bigger integers, reals beyond double, lone surrogates)
 * simdjson refuses too.
 *
 * It runs once per webhook inside nginx, so its speed is the module's:
 * yajl took 4.6 us for a 1.5 KB order, simdjson parses it in about 1.2 us;
 * the checks after the parse, one memchr() pass over the body and one
 * pass over simdjson's tape, add about half of that (docs/performance.md,
 * "The JSON body check").  They read the tape, simdjson's documented
 * internal form (its docs/tape.md), rather than walking dom::element: the
 * walk through the public API tripled the cost.  Like json_loadb() without
 * JSON_DECODE_ANY, only an object or an array passes.
 *
 * One parser per process, reused: its buffers are allocated once and
 * grow to the largest body seen, up to INVSYNC_JSON_KEEP; a larger body
 * gets a parser of its own, freed at once.  The key table is static, and
 * only an object of more than 512 keys needs a buffer (kept, grown).
 * nginx workers and invsync-worker are single-threaded.  No exception
 * leaves this file: C callers cannot take one.
 */


#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include <simdjson.h>

extern "C" {
#include "invsync.h"
}


#define INVSYNC_JSON_KEEP   (256 * 1024)
#define INVSYNC_JSON_SLOTS  1024    /* the key table: objects to 512 keys */


/* one key of an object, in simdjson's string buffer */
typedef struct {
    uint64_t        hash;
    const uint8_t  *data;
    size_t          len;
} invsync_json_key_t;


/* a place in the table, taken when gen is the current object's; 16
 * bytes, so that the table stays in the first-level cache */
typedef struct {
    uint32_t        gen;
    uint32_t        hash;
    uint32_t        len;
    uint32_t        off;        /* of the key's bytes in the string buffer */
} invsync_json_slot_t;


static simdjson::dom::parser  *invsync_json_parser;
static invsync_json_slot_t     invsync_json_slots[INVSYNC_JSON_SLOTS];
static uint32_t                invsync_json_gen;
static invsync_json_key_t     *invsync_json_keys;      /* larger objects */
static size_t                  invsync_json_keys_n;


static invsync_rc_e invsync_json_parse(simdjson::dom::parser &parser,
    const unsigned char *body, size_t len, int want_object);
static int invsync_json_has_nul(const unsigned char *body, size_t len);
static uint64_t invsync_json_hash(const uint8_t *p, size_t n);
static void invsync_json_key(const simdjson::dom::document &doc, size_t i,
    invsync_json_key_t *k);
static int invsync_json_key_eq(const invsync_json_key_t *a,
    const invsync_json_key_t *b);
static size_t invsync_json_next(const uint64_t *tape, size_t j);
static invsync_rc_e invsync_json_object(const simdjson::dom::document &doc,
    size_t i);
static invsync_rc_e invsync_json_object_sorted(
    const simdjson::dom::document &doc, size_t i);
static invsync_rc_e invsync_json_walk(const simdjson::dom::document &doc);


/*
 * In valid JSON a backslash only starts an escape inside a string, and
 * the escape is that backslash and the next byte (then four hex digits
 * for \u): stepping over each pair, a "\u0000" found is an escape, never
 * the text of an escaped backslash.  Strings rarely hold escapes, so this
 * is one memchr() over the body.
 */
static int
invsync_json_has_nul(const unsigned char *body, size_t len)
{
    const unsigned char  *p, *last;

    last = body + len;

    for (p = body; p < last; p += 2) {
        p = static_cast<const unsigned char *>(std::memchr(p, '\\',
                                                           last - p));
        if (p == nullptr) {
            return 0;
        }

        if (last - p >= 6 && p[1] == 'u' && std::memcmp(p + 2, "0000", 4) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * A key's hash: its length, first and last eight bytes (all of a key up
 * to 16 bytes, the usual ones), the middle folded in.  simdjson's string
 * buffer holds each string's NUL and is padded past the last one, so
 * eight bytes can always be loaded; those past the key are masked off.
 * Equal hashes are compared byte for byte, so the hash's quality only
 * matters for speed.
 */
static uint64_t
invsync_json_hash(const uint8_t *p, size_t n)
{
    size_t    i, m;
    uint64_t  a, b, w, keep;

    /* without a branch on n < 8: keys short and long alternate */
    m = n < 8 ? 8 : n;
    keep = n < 8 ? (1ULL << ((8 * n) & 63)) - 1 : ~0ULL;

    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + m - 8, 8);
    a &= keep;
    b &= n < 8 ? 0 : ~0ULL;

    for (i = 8; i + 8 < n; i += 8) {
        std::memcpy(&w, p + i, 8);
        a = (a ^ w) * 0x9e3779b97f4a7c15ULL;
    }

    a = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xff51afd7ed558ccdULL) ^ n;

    return a ^ (a >> 29);
}


/* the key at tape[i]: its bytes, length and hash */
static void
invsync_json_key(const simdjson::dom::document &doc, size_t i,
    invsync_json_key_t *k)
{
    uint32_t        len;
    const uint8_t  *s;

    s = doc.string_buf.get()
        + (doc.tape[i] & simdjson::internal::JSON_VALUE_MASK);
    std::memcpy(&len, s, sizeof(uint32_t));

    k->data = s + sizeof(uint32_t);
    k->len = len;
    k->hash = invsync_json_hash(k->data, len);
}


static int
invsync_json_key_eq(const invsync_json_key_t *a, const invsync_json_key_t *b)
{
    return a->hash == b->hash && a->len == b->len
           && std::memcmp(a->data, b->data, a->len) == 0;
}


/*
 * The tape index of the key after the member whose key is at tape[j]:
 * past a container by the index its word holds, else past one word, or
 * two for a number.  Without a branch on the common cases: the value
 * types of an object's members follow no pattern a predictor could learn.
 */
static size_t
invsync_json_next(const uint64_t *tape, size_t j)
{
    char  t;

    t = static_cast<char>(tape[j + 1] >> 56);

    if (t == '{' || t == '[') {
        return static_cast<uint32_t>(tape[j + 1]);
    }

    return j + 2 + ((t == 'l') | (t == 'u') | (t == 'd'));
}


/*
 * The keys of the object at tape[i], all distinct?  Its members are
 * stepped over with the containers' end indexes; each key goes into an
 * open-addressing table of the process, stamped with a generation per
 * object so that it is never cleared.  An object too large for the table
 * has its keys sorted by hash instead.
 */
static invsync_rc_e
invsync_json_object(const simdjson::dom::document &doc, size_t i)
{
    size_t                n, j, last, h, mask;
    const uint8_t        *sb;
    invsync_json_key_t    k;
    invsync_json_slot_t  *slot;

    sb = doc.string_buf.get();

    n = (doc.tape[i] >> 32) & simdjson::internal::JSON_COUNT_MASK;
    last = static_cast<uint32_t>(doc.tape[i]) - 1;      /* the '}' */

    if (n < 2) {
        return INVSYNC_OK;
    }

    if (2 * n > INVSYNC_JSON_SLOTS) {
        return invsync_json_object_sorted(doc, i);
    }

    if (++invsync_json_gen == 0) {
        std::memset(invsync_json_slots, 0, sizeof(invsync_json_slots));
        invsync_json_gen = 1;
    }

    for (mask = 16; mask < 4 * n && mask < INVSYNC_JSON_SLOTS; mask *= 2) {
        /* void */
    }

    mask--;

    for (j = i + 1; j < last; j = invsync_json_next(doc.tape.get(), j)) {
        invsync_json_key(doc, j, &k);

        for (h = k.hash & mask; /* void */; h = (h + 1) & mask) {
            slot = &invsync_json_slots[h];

            if (slot->gen != invsync_json_gen) {
                slot->gen = invsync_json_gen;
                slot->hash = static_cast<uint32_t>(k.hash);
                slot->len = static_cast<uint32_t>(k.len);
                slot->off = static_cast<uint32_t>(k.data - sb);
                break;
            }

            if (slot->hash == static_cast<uint32_t>(k.hash)
                && slot->len == k.len
                && std::memcmp(sb + slot->off, k.data, k.len) == 0)
            {
                return INVSYNC_ERR_JSON_DUPLICATE;
            }
        }
    }

    return INVSYNC_OK;
}


/* a larger object: its keys in a buffer kept for the process, sorted */
static invsync_rc_e
invsync_json_object_sorted(const simdjson::dom::document &doc, size_t i)
{
    size_t               n, j, a, b, last;
    invsync_json_key_t  *k;

    last = static_cast<uint32_t>(doc.tape[i]) - 1;
    n = 0;

    /* counted: the tape's count saturates */
    for (j = i + 1; j < last; j = invsync_json_next(doc.tape.get(), j)) {
        n++;
    }

    if (n > invsync_json_keys_n) {
        delete[] invsync_json_keys;
        invsync_json_keys_n = 0;

        invsync_json_keys = new (std::nothrow) invsync_json_key_t[n];
        if (invsync_json_keys == nullptr) {
            return INVSYNC_ERR_NOMEM;
        }

        invsync_json_keys_n = n;
    }

    k = invsync_json_keys;
    n = 0;

    for (j = i + 1; j < last; j = invsync_json_next(doc.tape.get(), j)) {
        invsync_json_key(doc, j, &k[n++]);
    }

    std::sort(k, k + n,
              [](const invsync_json_key_t &x, const invsync_json_key_t &y)
              { return x.hash < y.hash; });

    /* sorted: equal keys are within one run of equal hashes */
    for (a = 0; a + 1 < n; a++) {
        for (b = a + 1; b < n && k[b].hash == k[a].hash; b++) {
            if (invsync_json_key_eq(&k[a], &k[b])) {
                return INVSYNC_ERR_JSON_DUPLICATE;
            }
        }
    }

    return INVSYNC_OK;
}


/*
 * One pass over simdjson's tape, the parsed document in the format of
 * simdjson's docs/tape.md: one 64-bit word per value, its type in the top
 * byte, a second word for a number; a string's payload is its offset in
 * the string buffer, where a 32-bit length precedes its bytes; an
 * object's holds its member count and the index past its end.  It stops
 * at the first problem.
 */
static invsync_rc_e
invsync_json_walk(const simdjson::dom::document &doc)
{
    size_t           i, end;
    invsync_rc_e     rc;
    const uint64_t  *tape;

    tape = doc.tape.get();
    end = tape[0] & simdjson::internal::JSON_VALUE_MASK;

    for (i = 1; i < end; i++) {

        switch (static_cast<char>(tape[i] >> 56)) {

        case 'u':
            /* simdjson keeps an integer as uint64 only beyond int64 */
            return INVSYNC_ERR_JSON_RANGE;

        case 'l':
        case 'd':
            i++;
            break;

        case '{':
            rc = invsync_json_object(doc, i);
            if (rc != INVSYNC_OK) {
                return rc;
            }

            break;

        default:
            break;
        }
    }

    return INVSYNC_OK;
}


static invsync_rc_e
invsync_json_parse(simdjson::dom::parser &parser, const unsigned char *body,
    size_t len, int want_object)
{
    simdjson::dom::element  root;

    /* true: simdjson reads up to SIMDJSON_PADDING bytes past the end, so
     * it copies the body into a padded buffer of its own first */
    if (parser.parse(reinterpret_cast<const char *>(body), len, true)
            .get(root)
        != simdjson::SUCCESS)
    {
        return INVSYNC_ERR_JSON;
    }

    if (want_object && !root.is_object()) {
        return INVSYNC_ERR_JSON_OBJECT;
    }

    if (invsync_json_has_nul(body, len)) {
        return INVSYNC_ERR_JSON_NUL;
    }

    return invsync_json_walk(parser.doc);
}


extern "C" invsync_rc_e
invsync_json_check(const unsigned char *body, size_t len, int want_object)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n'
            && body[i] != '\r')
        {
            break;
        }
    }

    if (i == len || (body[i] != '{' && body[i] != '[')) {
        return INVSYNC_ERR_JSON;
    }

    try {
        if (len > INVSYNC_JSON_KEEP) {
            simdjson::dom::parser  once;

            return invsync_json_parse(once, body, len, want_object);
        }

        if (invsync_json_parser == nullptr) {
            invsync_json_parser = new simdjson::dom::parser();
        }

        return invsync_json_parse(*invsync_json_parser, body, len,
                                  want_object);

    } catch (...) {
        /* std::bad_alloc: not known to be JSON */
        return INVSYNC_ERR_NOMEM;
    }
}


extern "C" int
invsync_json_valid(const unsigned char *body, size_t len)
{
    return invsync_json_check(body, len, 0) == INVSYNC_OK;
}


/* the kept parser and key buffer, at process exit: nginx unmaps the
 * module after */

extern "C" void
invsync_json_cleanup(void)
{
    delete invsync_json_parser;
    invsync_json_parser = nullptr;

    delete[] invsync_json_keys;
    invsync_json_keys = nullptr;
    invsync_json_keys_n = 0;
}
