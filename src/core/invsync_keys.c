
/*
 * The Redis key layout (docs/keys.md).  The stream key is
 * "<prefix>:<stream>"; the idempotency key carries the stream key as its
 * Redis Cluster hash tag, so that the ingest script's two keys always
 * share a slot:
 *
 *     <prefix>:{<prefix>:<stream>}:seen:<channel>:<topic>:<event>
 */


#include <string.h>

#include "invsync.h"


#define INVSYNC_SEEN      "}:seen:"
#define INVSYNC_SEEN_LEN  (sizeof(INVSYNC_SEEN) - 1)


static unsigned char *invsync_key_copy(unsigned char *p,
    const unsigned char *src, size_t len);


static unsigned char *
invsync_key_copy(unsigned char *p, const unsigned char *src, size_t len)
{
    if (len != 0) {
        memcpy(p, src, len);
    }

    return p + len;
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
           + INVSYNC_SEEN_LEN
           + channel_len + 1 + m->topic_len + 1 + m->event_len;
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
    p = invsync_key_copy(p, (const unsigned char *) INVSYNC_SEEN,
                         INVSYNC_SEEN_LEN);
    p = invsync_key_copy(p, channel, channel_len);
    *p++ = ':';
    p = invsync_key_copy(p, m->topic, m->topic_len);
    *p++ = ':';
    p = invsync_key_copy(p, m->event, m->event_len);

    return (size_t) (p - dst);
}
