
/*
 * Where the first number too big for jansson is: a second parse with
 * yajl's callbacks, only when jansson refused a body, so that the
 * refusal can name the JSON path and the number.
 */


#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "invsync_canon_parts.h"


static void invsync_big_value(invsync_big_t *b);
static int invsync_big_null(void *ctx);
static int invsync_big_bool(void *ctx, int v);
static int invsync_big_string(void *ctx, const unsigned char *v, size_t len);
static int invsync_big_start_map(void *ctx);
static int invsync_big_start_array(void *ctx);
static int invsync_big_end(void *ctx);
static int invsync_big_key(void *ctx, const unsigned char *key, size_t len);
static int invsync_big_number(void *ctx, const char *v, size_t len);
static void invsync_big_path(invsync_big_t *b);


static yajl_callbacks  invsync_big_callbacks = {
    invsync_big_null,
    invsync_big_bool,
    NULL,
    NULL,
    invsync_big_number,
    invsync_big_string,
    invsync_big_start_map,
    invsync_big_key,
    invsync_big_end,
    invsync_big_start_array,
    invsync_big_end
};


/* the five callbacks that track where the parser is */
static void
invsync_big_value(invsync_big_t *b)
{
    if (b->depth > 0 && b->depth <= INVSYNC_BIG_DEPTH
        && b->frames[b->depth - 1].array)
    {
        b->frames[b->depth - 1].index++;
    }
}


static int
invsync_big_null(void *ctx)
{
    invsync_big_value(ctx);
    return 1;
}


static int
invsync_big_bool(void *ctx, int v)
{
    (void) v;
    invsync_big_value(ctx);
    return 1;
}


static int
invsync_big_string(void *ctx, const unsigned char *v, size_t len)
{
    (void) v;
    (void) len;
    invsync_big_value(ctx);
    return 1;
}


static int
invsync_big_start_map(void *ctx)
{
    invsync_big_t  *b = ctx;

    invsync_big_value(b);

    if (b->depth < INVSYNC_BIG_DEPTH) {
        b->frames[b->depth].array = 0;
        b->frames[b->depth].key[0] = '\0';
    }

    b->depth++;

    return 1;
}


static int
invsync_big_start_array(void *ctx)
{
    invsync_big_t  *b = ctx;

    invsync_big_value(b);

    if (b->depth < INVSYNC_BIG_DEPTH) {
        b->frames[b->depth].array = 1;
        b->frames[b->depth].index = -1;
    }

    b->depth++;

    return 1;
}


static int
invsync_big_end(void *ctx)
{
    invsync_big_t  *b = ctx;

    b->depth--;

    return 1;
}


static int
invsync_big_key(void *ctx, const unsigned char *key, size_t len)
{
    char           *k;
    size_t          i;
    invsync_big_t  *b = ctx;

    if (b->depth < 1 || b->depth > INVSYNC_BIG_DEPTH) {
        return 1;
    }

    k = b->frames[b->depth - 1].key;

    for (i = 0; i < len && i < INVSYNC_BIG_KEY_LEN - 1; i++) {
        k[i] = (key[i] < 0x20 || key[i] > 0x7e) ? '?' : (char) key[i];
    }

    k[i] = '\0';

    return 1;
}


static int
invsync_big_number(void *ctx, const char *v, size_t len)
{
    int             big;
    char           *buf;
    double          d;
    int64_t         n;
    invsync_big_t  *b = ctx;

    invsync_big_value(b);

    buf = malloc(len + 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, v, len);
    buf[len] = '\0';

    if (strpbrk(buf, ".eE") == NULL) {
        big = invsync_int_text(buf[0] == '-' ? buf + 1 : buf,
                               len - (buf[0] == '-'), &n) != 0;

    } else {
        errno = 0;
        d = strtod(buf, NULL);
        big = (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));
    }

    if (big) {
        b->real = (strpbrk(buf, ".eE") != NULL);
        invsync_canon_quote(b->text, sizeof(b->text), buf);
        invsync_big_path(b);
    }

    free(buf);

    return !big;
}


static void
invsync_big_path(invsync_big_t *b)
{
    int     i;
    size_t  n;

    b->found = 1;
    n = 0;

    for (i = 0; i < b->depth && i < INVSYNC_BIG_DEPTH; i++) {
        if (n >= sizeof(b->path)) {
            break;
        }

        if (b->frames[i].array) {
            n += snprintf(b->path + n, sizeof(b->path) - n, "[%ld]",
                          b->frames[i].index);

        } else {
            n += snprintf(b->path + n, sizeof(b->path) - n, "%s%s",
                          n ? "." : "", b->frames[i].key);
        }
    }
}


/*
 * jansson refuses an integer beyond int64 for the whole body; yajl, which
 * hands numbers over as text, finds its path for the error.
 */
int
invsync_big_find(const char *body, size_t len, invsync_big_t *b)
{
    yajl_handle  h;

    memset(b, 0, sizeof(invsync_big_t));

    h = yajl_alloc(&invsync_big_callbacks, NULL, b);
    if (h == NULL) {
        return -1;
    }

    (void) yajl_parse(h, (const unsigned char *) body, len);
    yajl_free(h);

    return b->found ? 0 : -1;
}
