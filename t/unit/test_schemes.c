
/*
 * Runs every signature vector in $INVSYNC_VECTORS (default t/vectors):
 * <scheme>/<case>/ holds headers, body, secret and expect, optionally url,
 * app_key, now, tolerance, encoding, content_type, and the expected
 * describe() results event, topic and account.  Prints TAP.
 */


#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_schemes.h"
#include "tap.h"


#define T_MAX_SECRETS  8
#define T_PATH_LEN     1024


typedef struct {
    char    *data;
    size_t   len;
} t_buf_t;


typedef struct {
    const invsync_scheme_t  *scheme;
    char                    *name;      /* "<scheme>/<case>" */
    char                     dir[T_PATH_LEN];
} t_case_t;


static int t_read(const char *dir, const char *file, t_buf_t *b, int value);
static int t_has(const char *dir, const char *file);
static int t_dirs(const char *path, struct dirent ***list);
static int t_select(const struct dirent *d);
static size_t t_case_tests(const t_case_t *c);
static const char **t_header_names(const invsync_scheme_t *scheme);
static int t_headers(const t_case_t *c, const t_buf_t *b, invsync_input_t *in);
static const char *t_run(const t_case_t *c, invsync_input_t *in,
    invsync_meta_t *m, invsync_reply_t *r);
static void t_case(const t_case_t *c);


/* the configured headers the "hmac" vectors use */
static const char  *t_hmac_headers[] = {
    "x-signature",
    "x-event-id",
    "x-topic",
    NULL
};

static const invsync_hmac_conf_t  t_hmac_hex = { INVSYNC_ENC_HEX };
static const invsync_hmac_conf_t  t_hmac_base64 = { INVSYNC_ENC_BASE64 };


/*
 * Reads dir/file whole; value strips one trailing newline (the files
 * holding one value).  Returns 0, 1 if the file does not exist, -1 on
 * error.
 */
static int
t_read(const char *dir, const char *file, t_buf_t *b, int value)
{
    char    path[T_PATH_LEN];
    long    size;
    FILE   *f;

    b->data = NULL;
    b->len = 0;

    if (snprintf(path, sizeof(path), "%s/%s", dir, file)
        >= (int) sizeof(path))
    {
        return -1;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        return errno == ENOENT ? 1 : -1;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        goto failed;
    }

    b->data = malloc((size_t) size + 1);
    if (b->data == NULL) {
        goto failed;
    }

    if (fread(b->data, 1, (size_t) size, f) != (size_t) size) {
        goto failed;
    }

    fclose(f);

    b->len = (size_t) size;

    if (value && b->len > 0 && b->data[b->len - 1] == '\n') {
        b->len--;
    }

    b->data[b->len] = '\0';

    return 0;

failed:

    free(b->data);
    b->data = NULL;
    fclose(f);

    return -1;
}


static int
t_has(const char *dir, const char *file)
{
    char  path[T_PATH_LEN];

    if (snprintf(path, sizeof(path), "%s/%s", dir, file)
        >= (int) sizeof(path))
    {
        return 0;
    }

    return access(path, F_OK) == 0;
}


static int
t_select(const struct dirent *d)
{
    return d->d_name[0] != '.';
}


static int
t_dirs(const char *path, struct dirent ***list)
{
    return scandir(path, list, t_select, alphasort);
}


static size_t
t_case_tests(const t_case_t *c)
{
    return 1 + t_has(c->dir, "event") + t_has(c->dir, "topic")
           + t_has(c->dir, "account") + t_has(c->dir, "reply");
}


static const char **
t_header_names(const invsync_scheme_t *scheme)
{
    return scheme->headers != NULL ? scheme->headers : t_hmac_headers;
}


/* "name: value" lines; returns -1 on a name the scheme does not read */
static int
t_headers(const t_case_t *c, const t_buf_t *b, invsync_input_t *in)
{
    char         *p, *last, *nl, *colon;
    size_t        i;
    const char  **names;

    names = t_header_names(c->scheme);

    p = b->data;
    last = b->data + b->len;

    while (p < last) {
        nl = memchr(p, '\n', (size_t) (last - p));
        if (nl == NULL) {
            nl = last;
        }

        colon = memchr(p, ':', (size_t) (nl - p));
        if (colon == NULL) {
            printf("# %s: bad header line\n", c->name);
            return -1;
        }

        for (i = 0; names[i] != NULL; i++) {
            if (strlen(names[i]) == (size_t) (colon - p)
                && memcmp(names[i], p, (size_t) (colon - p)) == 0)
            {
                break;
            }
        }

        if (names[i] == NULL || i >= INVSYNC_MAX_HEADERS) {
            printf("# %s: header \"%.*s\" unknown to the scheme\n",
                   c->name, (int) (colon - p), p);
            return -1;
        }

        colon++;

        if (colon < nl && *colon == ' ') {
            colon++;
        }

        in->headers[i].data = (unsigned char *) colon;
        in->headers[i].len = (size_t) (nl - colon);

        p = nl + 1;
    }

    return 0;
}


/* the name of what the module would do: "ok", "handshake" or an error */
static const char *
t_run(const t_case_t *c, invsync_input_t *in, invsync_meta_t *m,
    invsync_reply_t *r)
{
    char              *p, *nl;
    size_t             n;
    t_buf_t            sec;
    invsync_rc_e       rc;
    invsync_secret_t   secrets[T_MAX_SECRETS];

    if (t_read(c->dir, "secret", &sec, 0) != 0) {
        return "(no secret file)";
    }

    n = 0;
    p = sec.data;

    while (p < sec.data + sec.len && n < T_MAX_SECRETS) {
        nl = memchr(p, '\n', (size_t) (sec.data + sec.len - p));
        if (nl == NULL) {
            nl = sec.data + sec.len;
        }

        if (nl > p) {
            secrets[n].data = (unsigned char *) p;
            secrets[n].len = (size_t) (nl - p);
            n++;
        }

        p = nl + 1;
    }

    if (c->scheme->handshake != NULL) {
        rc = c->scheme->handshake(in, r);
        if (rc != INVSYNC_OK) {
            goto done;
        }
    }

    rc = c->scheme->verify(in, secrets, n);
    if (rc != INVSYNC_OK) {
        goto done;
    }

    rc = c->scheme->describe(in, m);

done:

    free(sec.data);

    return invsync_rc_name(rc);
}


static void
t_case(const t_case_t *c)
{
    size_t            i;
    const char       *got;
    t_buf_t           hdr, body, url, key, now, tol, enc, ct, expect, v;
    invsync_meta_t    m;
    invsync_input_t   in;
    invsync_reply_t   r;

    static const char  *fields[] = { "event", "topic", "account" };

    memset(&in, 0, sizeof(invsync_input_t));
    memset(&m, 0, sizeof(invsync_meta_t));
    memset(&r, 0, sizeof(invsync_reply_t));

    t_read(c->dir, "headers", &hdr, 0);
    t_read(c->dir, "body", &body, 0);
    t_read(c->dir, "url", &url, 1);
    t_read(c->dir, "app_key", &key, 1);
    t_read(c->dir, "now", &now, 1);
    t_read(c->dir, "tolerance", &tol, 1);
    t_read(c->dir, "encoding", &enc, 1);
    t_read(c->dir, "content_type", &ct, 1);
    t_read(c->dir, "expect", &expect, 1);

    in.body.data = (unsigned char *) body.data;
    in.body.len = body.len;
    in.url.data = (unsigned char *) url.data;
    in.url.len = url.len;
    in.app_key.data = (unsigned char *) key.data;
    in.app_key.len = key.len;
    in.content_type.data = (unsigned char *) ct.data;
    in.content_type.len = ct.len;
    in.now = now.data != NULL ? strtoll(now.data, NULL, 10) : 0;
    in.tolerance = tol.data != NULL ? strtoll(tol.data, NULL, 10) : 300;
    in.hmac = (enc.data != NULL && strcmp(enc.data, "base64") == 0)
              ? &t_hmac_base64 : &t_hmac_hex;

    if (hdr.data == NULL || body.data == NULL || expect.data == NULL) {
        got = "(headers, body or expect missing)";

    } else if (t_headers(c, &hdr, &in) != 0) {
        got = "(bad headers file)";

    } else {
        got = t_run(c, &in, &m, &r);
    }

    t_ok(expect.data != NULL && strcmp(got, expect.data) == 0,
         "%s: %s (got %s)", c->name,
         expect.data != NULL ? expect.data : "?", got);

    for (i = 0; i < 3; i++) {
        if (t_read(c->dir, fields[i], &v, 1) != 0) {
            continue;
        }

        if (i == 0) {
            t_ok(strcmp(got, "ok") == 0 && m.event_len == v.len
                 && memcmp(m.event, v.data, v.len) == 0,
                 "%s: event \"%s\" (got \"%.*s\")", c->name, v.data,
                 (int) m.event_len, m.event);

        } else if (i == 1) {
            t_ok(strcmp(got, "ok") == 0 && m.topic_len == v.len
                 && memcmp(m.topic, v.data, v.len) == 0,
                 "%s: topic \"%s\" (got \"%.*s\")", c->name, v.data,
                 (int) m.topic_len, m.topic);

        } else {
            t_ok(strcmp(got, "ok") == 0 && m.account_len == v.len
                 && memcmp(m.account, v.data, v.len) == 0,
                 "%s: account \"%s\" (got \"%.*s\")", c->name, v.data,
                 (int) m.account_len, m.account);
        }

        free(v.data);
    }

    if (t_read(c->dir, "reply", &v, 1) == 0) {
        t_ok(strcmp(got, "handshake") == 0 && r.len == v.len
             && memcmp(r.body, v.data, v.len) == 0,
             "%s: reply %s (got %.*s)", c->name, v.data, (int) r.len,
             r.body);
        free(v.data);
    }

    free(hdr.data);
    free(body.data);
    free(url.data);
    free(key.data);
    free(now.data);
    free(tol.data);
    free(enc.data);
    free(ct.data);
    free(expect.data);
}


int
main(void)
{
    int                       ns, nc, i, k;
    char                      path[T_PATH_LEN];
    size_t                    ncases, tests, j;
    t_case_t                 *cases;
    const char               *root;
    struct dirent           **schemes, **list;
    const invsync_scheme_t   *scheme;

    root = getenv("INVSYNC_VECTORS");
    if (root == NULL) {
        root = "t/vectors";
    }

    ns = t_dirs(root, &schemes);
    if (ns < 0) {
        printf("1..0 # SKIP no vectors in %s\n", root);
        return 1;
    }

    cases = NULL;
    ncases = 0;

    for (i = 0; i < ns; i++) {
        scheme = invsync_scheme_find(schemes[i]->d_name,
                                     strlen(schemes[i]->d_name));

        nc = -1;

        if (scheme != NULL
            && snprintf(path, sizeof(path), "%s/%s", root,
                        schemes[i]->d_name)
               < (int) sizeof(path))
        {
            nc = t_dirs(path, &list);
        }

        for (k = 0; k < nc; k++) {
            cases = realloc(cases, (ncases + 1) * sizeof(t_case_t));
            if (cases == NULL) {
                return 2;
            }

            cases[ncases].scheme = scheme;
            if (snprintf(cases[ncases].dir, T_PATH_LEN, "%s/%s", path,
                         list[k]->d_name)
                < T_PATH_LEN)
            {
                ncases++;
            }

            free(list[k]);
        }

        if (nc >= 0) {
            free(list);
        }
    }

    tests = 0;

    /* the array has stopped moving: names may point into it now */
    for (j = 0; j < ncases; j++) {
        cases[j].name = cases[j].dir + strlen(root) + 1;
        tests += t_case_tests(&cases[j]);
    }

    for (j = 0; invsync_schemes[j] != NULL; j++) {
        tests++;
    }

    printf("1..%zu\n", tests);

    for (j = 0; invsync_schemes[j] != NULL; j++) {
        for (i = 0; i < ns; i++) {
            if (strcmp(schemes[i]->d_name, invsync_schemes[j]->name) == 0) {
                break;
            }
        }

        t_ok(i < ns, "scheme %s has vectors", invsync_schemes[j]->name);
    }

    for (i = 0; i < ns; i++) {
        free(schemes[i]);
    }

    free(schemes);

    for (j = 0; j < ncases; j++) {
        t_case(&cases[j]);
    }

    free(cases);

    return t_failed;
}
