
/*
 * libFuzzer target: the key builders of src/core/invsync_keys.c.  The
 * input is eight parts split at '\n' (missing ones are empty):
 *
 *     prefix, stream, channel 1, topic 1, event 1, channel 2, topic 2,
 *     event 2
 *
 * Each key is built into a buffer of exactly its _len() size, so that a
 * byte written past it is ASan's to see.  Two properties are checked:
 * the two events' idempotency keys are equal only if the events are (no
 * two events share a key, issue 13); and the first key reads back into
 * its channel, topic and event, as docs/keys.md describes the layout.
 * The epoch key and the stream's marker are built at their sizes too.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invsync.h"


#define T_PARTS  8


typedef struct {
    const uint8_t  *data;
    size_t          len;
} t_part_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void t_split(const uint8_t *p, size_t size, t_part_t *parts);
static void t_meta(invsync_meta_t *m, const t_part_t *topic,
    const t_part_t *event);
static uint8_t *t_key(const t_part_t *parts, const t_part_t *channel,
    const invsync_meta_t *m, size_t *len);
static void t_read_back(const uint8_t *key, size_t len,
    const t_part_t *parts, const t_part_t *channel, const invsync_meta_t *m);
static const uint8_t *t_expect(const uint8_t *p, const uint8_t *last,
    const void *want, size_t len);
static const uint8_t *t_read_part(const uint8_t *p, const uint8_t *last,
    const void *want, size_t len);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           len, len1, len2;
    uint8_t         *stream, *k1, *k2;
    t_part_t         parts[T_PARTS];
    invsync_meta_t   m1, m2;

    t_split(data, size, parts);

    len = invsync_key_stream_len(parts[0].len, parts[1].len);
    stream = malloc(len + 1);
    if (stream == NULL) {
        return 0;
    }

    if (invsync_key_stream(stream, parts[0].data, parts[0].len,
                           parts[1].data, parts[1].len)
        != len)
    {
        abort();
    }

    free(stream);

    /* the epoch and the stream's marker of it, each at its exact size */
    len = invsync_key_deployment_len(parts[0].len);
    stream = malloc(len);
    if (stream == NULL) {
        return 0;
    }

    if (invsync_key_deployment(stream, parts[0].data, parts[0].len) != len) {
        abort();
    }

    free(stream);

    len = invsync_key_marker_len(parts[0].len, parts[1].len);
    stream = malloc(len);
    if (stream == NULL) {
        return 0;
    }

    if (invsync_key_marker(stream, parts[0].data, parts[0].len,
                           parts[1].data, parts[1].len)
        != len)
    {
        abort();
    }

    free(stream);

    t_meta(&m1, &parts[3], &parts[4]);
    t_meta(&m2, &parts[6], &parts[7]);

    k1 = t_key(parts, &parts[2], &m1, &len1);
    k2 = t_key(parts, &parts[5], &m2, &len2);

    if (k1 == NULL || k2 == NULL) {
        free(k1);
        free(k2);
        return 0;
    }

    if (len1 == len2 && memcmp(k1, k2, len1) == 0
        && (parts[2].len != parts[5].len
            || memcmp(parts[2].data, parts[5].data, parts[2].len) != 0
            || m1.topic_len != m2.topic_len
            || memcmp(m1.topic, m2.topic, m1.topic_len) != 0
            || m1.event_len != m2.event_len
            || memcmp(m1.event, m2.event, m1.event_len) != 0))
    {
        abort();    /* two events, one idempotency key */
    }

    t_read_back(k1, len1, parts, &parts[2], &m1);

    free(k1);
    free(k2);

    return 0;
}


static void
t_split(const uint8_t *p, size_t size, t_part_t *parts)
{
    size_t          i;
    const uint8_t  *last, *nl;

    last = p + size;

    for (i = 0; i < T_PARTS; i++) {
        parts[i].data = p;
        parts[i].len = 0;

        if (p == last) {
            continue;
        }

        nl = (i < T_PARTS - 1) ? memchr(p, '\n', (size_t) (last - p)) : NULL;
        if (nl == NULL) {
            nl = last;
        }

        parts[i].len = (size_t) (nl - p);
        p = (nl == last) ? last : nl + 1;
    }
}


/* the meta as a scheme fills it, the parts cut to its buffers' sizes */
static void
t_meta(invsync_meta_t *m, const t_part_t *topic, const t_part_t *event)
{
    memset(m, 0, sizeof(invsync_meta_t));

    m->topic_len = topic->len < INVSYNC_TOPIC_LEN - 1
                   ? topic->len : INVSYNC_TOPIC_LEN - 1;
    m->event_len = event->len < INVSYNC_EVENT_LEN - 1
                   ? event->len : INVSYNC_EVENT_LEN - 1;

    if (m->topic_len != 0) {
        memcpy(m->topic, topic->data, m->topic_len);
    }

    if (m->event_len != 0) {
        memcpy(m->event, event->data, m->event_len);
    }
}


/* a new key of exactly its size, or NULL; *len receives its length */
static uint8_t *
t_key(const t_part_t *parts, const t_part_t *channel,
    const invsync_meta_t *m, size_t *len)
{
    uint8_t  *key;

    *len = invsync_key_dedupe_len(parts[0].len, parts[1].len, m,
                                  channel->len);
    key = malloc(*len != 0 ? *len : 1);
    if (key == NULL) {
        return NULL;
    }

    if (invsync_key_dedupe(key, parts[0].data, parts[0].len, parts[1].data,
                           parts[1].len, channel->data, channel->len, m)
        != *len)
    {
        abort();
    }

    return key;
}


/* <prefix>:{<prefix>:<stream>}:idem:<n>:<channel>:<n>:<topic>:<n>:<event> */
static void
t_read_back(const uint8_t *key, size_t len, const t_part_t *parts,
    const t_part_t *channel, const invsync_meta_t *m)
{
    const uint8_t  *p, *last;

    p = key;
    last = key + len;

    p = t_expect(p, last, parts[0].data, parts[0].len);
    p = t_expect(p, last, ":{", 2);
    p = t_expect(p, last, parts[0].data, parts[0].len);
    p = t_expect(p, last, ":", 1);
    p = t_expect(p, last, parts[1].data, parts[1].len);
    p = t_expect(p, last, "}:idem", 6);
    p = t_read_part(p, last, channel->data, channel->len);
    p = t_read_part(p, last, m->topic, m->topic_len);
    p = t_read_part(p, last, m->event, m->event_len);

    if (p != last) {
        abort();
    }
}


static const uint8_t *
t_expect(const uint8_t *p, const uint8_t *last, const void *want, size_t len)
{
    if ((size_t) (last - p) < len || (len != 0 && memcmp(p, want, len) != 0))
    {
        abort();
    }

    return p + len;
}


/* ":<decimal length>:<part>", read by its length alone */
static const uint8_t *
t_read_part(const uint8_t *p, const uint8_t *last, const void *want,
    size_t len)
{
    size_t  n, digits;

    p = t_expect(p, last, ":", 1);

    n = 0;

    for (digits = 0; p < last && *p >= '0' && *p <= '9'; digits++) {
        if (digits == 1 && n == 0) {
            abort();    /* a leading zero */
        }

        n = n * 10 + (size_t) (*p++ - '0');
    }

    if (digits == 0 || n != len) {
        abort();
    }

    p = t_expect(p, last, ":", 1);

    return t_expect(p, last, want, len);
}
