
/*
 * What the worker's HTTP clients (the pusher, the backfill poller, the
 * reconciliation pass) share around libcurl: an answer's body, capped so
 * that a channel cannot make the worker grow without end, its Retry-After,
 * the API base URL without its trailing slashes, and the credentials file.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_runtime.h"


/* before a request: the last answer freed, max the new one's cap */

void
invsync_http_answer_reset(invsync_http_answer_t *a, size_t max)
{
    free(a->body);
    a->body = NULL;
    a->len = 0;
    a->max = max;
    a->retry_after[0] = '\0';
}


/* CURLOPT_WRITEFUNCTION, data an invsync_http_answer_t */

size_t
invsync_http_body(char *ptr, size_t size, size_t n, void *data)
{
    char                   *p;
    size_t                  len;
    invsync_http_answer_t  *a = data;

    len = size * n;

    if (a->len + len > a->max) {
        return 0;   /* curl ends the transfer: CURLE_WRITE_ERROR */
    }

    p = realloc(a->body, a->len + len + 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p + a->len, ptr, len);
    a->body = p;
    a->len += len;
    a->body[a->len] = '\0';

    return len;
}


/* CURLOPT_HEADERFUNCTION keeping Retry-After, data an invsync_http_answer_t */

size_t
invsync_http_retry_after(char *ptr, size_t size, size_t n, void *data)
{
    size_t                  len, k;
    invsync_http_answer_t  *a = data;

    len = size * n;

    if (len > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
        for (k = 12; k < len && (ptr[k] == ' ' || ptr[k] == '\t'); k++) {
            /* void */
        }

        invsync_http_set_retry_after(a, ptr + k, len - k);
    }

    return len;
}


/* a Retry-After value as sent, up to its line end */

void
invsync_http_set_retry_after(invsync_http_answer_t *a, const char *v,
    size_t len)
{
    snprintf(a->retry_after, sizeof(a->retry_after), "%.*s", (int) len, v);
    a->retry_after[strcspn(a->retry_after, "\r\n")] = '\0';
}


/* api_base without trailing slashes */

size_t
invsync_http_base_len(const char *base)
{
    size_t  n;

    n = strlen(base);

    while (n > 0 && base[n - 1] == '/') {
        n--;
    }

    return n;
}


/* a channel's credentials file: one line, its newline removed; owned, or
 * NULL.  The read buffer is wiped. */

char *
invsync_channel_credentials(const char *file)
{
    FILE    *f;
    char     buf[1024], *s;
    size_t   n;

    if (file == NULL) {
        return NULL;
    }

    f = fopen(file, "r");
    if (f == NULL) {
        return NULL;
    }

    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);

    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    buf[n] = '\0';
    s = n ? strdup(buf) : NULL;
    explicit_bzero(buf, sizeof(buf));

    return s;
}
