
/*
 * libFuzzer target: the Redis credentials parser of
 * src/core/invsync_credentials.c, which nginx, the worker and invsyncctl
 * share.  The input is the file's content.  On acceptance it checks the
 * rules of docs/directives.md#invsync_redis_auth_file: both slices lie in
 * the input, the password is not empty and within its limit, the user
 * name holds no space and is within its limit, no control byte is in
 * either, and the input is exactly [user " "] password plus at most one
 * "\n" or "\r\n".  On refusal, nothing is given out and the reason is a
 * printable string.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_credentials.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void t_check_accepted(const char *p, size_t size,
    const invsync_credentials_t *cr);
static void t_printable(const char *s, size_t len, int space);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                   *p;
    const char             *reason;
    invsync_credentials_t   cr;

    /* a copy of exactly the input's size: a read past it is ASan's */
    p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);

    reason = invsync_credentials_parse(p, size, &cr);

    if (reason == NULL) {
        t_check_accepted(p, size, &cr);

    } else {
        if (cr.user != NULL || cr.password != NULL || cr.user_len
            || cr.password_len)
        {
            abort();
        }

        t_printable(reason, strlen(reason), 1);
    }

    free(p);

    return 0;
}


static void
t_check_accepted(const char *p, size_t size, const invsync_credentials_t *cr)
{
    size_t  n, tail;

    if (cr->password == NULL || cr->password_len == 0
        || cr->password_len > INVSYNC_REDIS_PASSWORD_LEN
        || cr->user_len > INVSYNC_REDIS_USER_LEN)
    {
        abort();
    }

    t_printable(cr->password, cr->password_len, 1);

    if (cr->user_len) {
        if (cr->user != p || cr->password != p + cr->user_len + 1
            || p[cr->user_len] != ' ')
        {
            abort();
        }

        t_printable(cr->user, cr->user_len, 0);
        n = cr->user_len + 1 + cr->password_len;

    } else {
        if (cr->user != NULL || cr->password != p
            || memchr(p, ' ', cr->password_len) != NULL)
        {
            abort();
        }

        n = cr->password_len;
    }

    tail = size - n;

    if (n > size
        || !(tail == 0
             || (tail == 1 && p[n] == '\n')
             || (tail == 2 && p[n] == '\r' && p[n + 1] == '\n')))
    {
        abort();
    }
}


/* no control byte; no space either unless allowed */

static void
t_printable(const char *s, size_t len, int space)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f
            || (!space && s[i] == ' '))
        {
            abort();
        }
    }
}
