
/*
 * The Redis key layout (docs/keys.md).  The stream key is
 * "<prefix>:<stream>"; the idempotency key carries the stream key as its
 * Redis Cluster hash tag, so that the ingest script's two keys always
 * share a slot, and each of its own parts after its decimal length, so
 * that a ':' inside a channel, topic or event id cannot make two events
 * share a key:
 *
 *     <prefix>:{<prefix>:<stream>}:idem:<n>:<channel>:<n>:<topic>:<n>:<event>
 *
 * The epoch keys say which Redis this is (docs/keys.md, "The epoch"): the
 * deployment's in the worker keys' slot, and a marker per stream in the
 * stream's slot, which the ingest script reads beside its other keys:
 *
 *     <prefix>:{<prefix>}:epoch
 *     <prefix>:{<prefix>:<stream>}:epoch
 */


#include <string.h>

#include "invsync.h"


#define INVSYNC_IDEM      "}:idem"
#define INVSYNC_IDEM_LEN  (sizeof(INVSYNC_IDEM) - 1)
#define INVSYNC_EPOCH     "}:epoch"
#define INVSYNC_EPOCH_LEN (sizeof(INVSYNC_EPOCH) - 1)


static unsigned char *invsync_key_copy(unsigned char *p,
    const unsigned char *src, size_t len);
static size_t invsync_key_part_len(size_t len);
static unsigned char *invsync_key_part(unsigned char *p,
    const unsigned char *src, size_t len);


static unsigned char *
invsync_key_copy(unsigned char *p, const unsigned char *src, size_t len)
{
    if (len != 0) {
        memcpy(p, src, len);
    }

    return p + len;
}


/* the bytes of ":<decimal len>:<part>" */
static size_t
invsync_key_part_len(size_t len)
{
    size_t  n, digits;

    digits = 1;

    for (n = len; n >= 10; n /= 10) {
        digits++;
    }

    return 1 + digits + 1 + len;
}


static unsigned char *
invsync_key_part(unsigned char *p, const unsigned char *src, size_t len)
{
    size_t          n;
    unsigned char  *d, digits[3 * sizeof(size_t)];

    d = digits + sizeof(digits);
    n = len;

    do {
        *--d = (unsigned char) ('0' + n % 10);
        n /= 10;
    } while (n != 0);

    *p++ = ':';
    p = invsync_key_copy(p, d, (size_t) (digits + sizeof(digits) - d));
    *p++ = ':';

    return invsync_key_copy(p, src, len);
}


size_t
invsync_key_stream_len(size_t prefix_len, size_t stream_len)
{
    return prefix_len + 1 + stream_len;
}


/* dst needs invsync_key_stream_len() bytes; returns the bytes written */
size_t
invsync_key_stream(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len, const unsigned char *stream, size_t stream_len)
{
    unsigned char  *p;

    p = invsync_key_copy(dst, prefix, prefix_len);
    *p++ = ':';
    p = invsync_key_copy(p, stream, stream_len);

    return (size_t) (p - dst);
}


size_t
invsync_key_dedupe_len(size_t prefix_len, size_t stream_len,
    const invsync_meta_t *m, size_t channel_len)
{
    return prefix_len + sizeof(":{") - 1
           + invsync_key_stream_len(prefix_len, stream_len)
           + INVSYNC_IDEM_LEN
           + invsync_key_part_len(channel_len)
           + invsync_key_part_len(m->topic_len)
           + invsync_key_part_len(m->event_len);
}


/* dst needs invsync_key_dedupe_len() bytes; returns the bytes written */
size_t
invsync_key_dedupe(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len, const unsigned char *stream, size_t stream_len,
    const unsigned char *channel, size_t channel_len,
    const invsync_meta_t *m)
{
    unsigned char  *p;

    p = invsync_key_copy(dst, prefix, prefix_len);
    *p++ = ':';
    *p++ = '{';
    p += invsync_key_stream(p, prefix, prefix_len, stream, stream_len);
    p = invsync_key_copy(p, (const unsigned char *) INVSYNC_IDEM,
                         INVSYNC_IDEM_LEN);
    p = invsync_key_part(p, channel, channel_len);
    p = invsync_key_part(p, m->topic, m->topic_len);
    p = invsync_key_part(p, m->event, m->event_len);

    return (size_t) (p - dst);
}


size_t
invsync_key_deployment_len(size_t prefix_len)
{
    return prefix_len + sizeof(":{") - 1 + prefix_len + INVSYNC_EPOCH_LEN;
}


/* dst needs invsync_key_deployment_len() bytes; returns the bytes written */
size_t
invsync_key_deployment(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len)
{
    unsigned char  *p;

    p = invsync_key_copy(dst, prefix, prefix_len);
    *p++ = ':';
    *p++ = '{';
    p = invsync_key_copy(p, prefix, prefix_len);
    p = invsync_key_copy(p, (const unsigned char *) INVSYNC_EPOCH,
                         INVSYNC_EPOCH_LEN);

    return (size_t) (p - dst);
}


size_t
invsync_key_marker_len(size_t prefix_len, size_t stream_len)
{
    return prefix_len + sizeof(":{") - 1
           + invsync_key_stream_len(prefix_len, stream_len)
           + INVSYNC_EPOCH_LEN;
}


/* dst needs invsync_key_marker_len() bytes; returns the bytes written */
size_t
invsync_key_marker(unsigned char *dst, const unsigned char *prefix,
    size_t prefix_len, const unsigned char *stream, size_t stream_len)
{
    unsigned char  *p;

    p = invsync_key_copy(dst, prefix, prefix_len);
    *p++ = ':';
    *p++ = '{';
    p += invsync_key_stream(p, prefix, prefix_len, stream, stream_len);
    p = invsync_key_copy(p, (const unsigned char *) INVSYNC_EPOCH,
                         INVSYNC_EPOCH_LEN);

    return (size_t) (p - dst);
}
