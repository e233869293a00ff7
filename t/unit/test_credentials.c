
/*
 * The Redis credentials parser (invsync_credentials_parse), the one the
 * nginx module and the worker share: each rule of
 * docs/directives.md#invsync_redis_auth_file as a case, the limits at
 * their edges.  Prints TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_credentials.h"
#include "tap.h"


typedef struct {
    const char  *what;
    const char  *data;          /* NULL: built by t_long() */
    size_t       len;
    const char  *user;          /* expected; NULL when refused */
    const char  *password;
    const char  *reason;        /* a part of the expected reason */
} t_case_t;


static void t_named(int ok, const char *what, const char *detail);
static void t_case(const t_case_t *c);
static void t_long(const char *what, size_t user, size_t password,
    const char *tail, const char *reason);
static int t_slice(const char *p, size_t len, const char *want);


#define T_C(s)  s, sizeof(s) - 1


static const t_case_t  t_cases[] = {
    { "password", T_C("s3cret"), "", "s3cret", NULL },
    { "password, LF", T_C("s3cret\n"), "", "s3cret", NULL },
    { "password, CRLF", T_C("s3cret\r\n"), "", "s3cret", NULL },
    { "user password", T_C("ingest pw123\n"), "ingest", "pw123", NULL },
    { "user password with spaces", T_C("ingest pw 1 2\n"), "ingest",
      "pw 1 2", NULL },
    { "empty file", T_C(""), NULL, NULL, "empty" },
    { "newline only", T_C("\n"), NULL, NULL, "empty" },
    { "CRLF only", T_C("\r\n"), NULL, NULL, "empty" },
    { "two newlines", T_C("s3cret\n\n"), NULL, NULL, "more than one line" },
    { "two lines", T_C("s3cret\nother\n"), NULL, NULL,
      "more than one line" },
    { "lone CR", T_C("s3cret\r"), NULL, NULL, "more than one line" },
    { "CR CR LF", T_C("s3cret\r\r\n"), NULL, NULL, "more than one line" },
    { "empty user", T_C(" password\n"), NULL, NULL, "user name is empty" },
    { "empty password", T_C("ingest \n"), NULL, NULL, "password is empty" },
    { "space only", T_C(" \n"), NULL, NULL, "user name is empty" },
    { "tab", T_C("ingest\tpw\n"), NULL, NULL, "control character" },
    { "NUL", T_C("pw\0x\n"), NULL, NULL, "control character" },
    { "DEL", T_C("pw\x7f\n"), NULL, NULL, "control character" },
    { "UTF-8 password", T_C("p\xc3\xa4ss\n"), "", "p\xc3\xa4ss", NULL },
};


#define T_PLAN  (3 * (sizeof(t_cases) / sizeof(t_cases[0])) + 3 * 8)


static void
t_named(int ok, const char *what, const char *detail)
{
    t_ok(ok, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}


static int
t_slice(const char *p, size_t len, const char *want)
{
    return len == strlen(want) && (len == 0 || memcmp(p, want, len) == 0);
}


static void
t_case(const t_case_t *c)
{
    const char             *reason;
    invsync_credentials_t   cr;

    reason = invsync_credentials_parse(c->data, c->len, &cr);

    if (c->reason != NULL) {
        t_named(reason != NULL && strstr(reason, c->reason) != NULL, c->what,
             reason ? reason : "accepted");
        t_named(cr.password == NULL && cr.password_len == 0, c->what,
             "refused: no password out");
        t_named(cr.user == NULL && cr.user_len == 0, c->what,
             "refused: no user out");
        return;
    }

    t_named(reason == NULL, c->what, reason ? reason : "accepted");
    t_named(t_slice(cr.user, cr.user_len, c->user), c->what, "user");
    t_named(t_slice(cr.password, cr.password_len, c->password), c->what,
         "password");
}


/* user bytes of 'u', a space if any, password bytes of 'p', then tail */

static void
t_long(const char *what, size_t user, size_t password, const char *tail,
    const char *reason)
{
    char                   *b;
    size_t                  n, t;
    const char             *r;
    invsync_credentials_t   cr;

    t = strlen(tail);
    b = malloc(user + 1 + password + t);
    if (b == NULL) {
        exit(2);
    }

    memset(b, 'u', user);
    n = user;

    if (user) {
        b[n++] = ' ';
    }

    memset(b + n, 'p', password);
    n += password;
    memcpy(b + n, tail, t);
    n += t;

    r = invsync_credentials_parse(b, n, &cr);

    if (reason == NULL) {
        t_named(r == NULL, what, r ? r : "accepted");
        t_named(cr.user_len == user, what, "user length");
        t_named(cr.password_len == password, what, "password length");

    } else {
        t_named(r != NULL && strstr(r, reason) != NULL, what,
             r ? r : "accepted");
        t_named(cr.password == NULL, what, "refused: no password out");
        t_named(cr.user == NULL, what, "refused: no user out");
    }

    free(b);
}


int
main(void)
{
    size_t  i;

    printf("1..%zu\n", (size_t) T_PLAN);

    for (i = 0; i < sizeof(t_cases) / sizeof(t_cases[0]); i++) {
        t_case(&t_cases[i]);
    }

    /* the module used to refuse a 512-byte password with its newline */
    t_long("512-byte password, LF", 0, 512, "\n", NULL);
    t_long("512-byte password, CRLF", 0, 512, "\r\n", NULL);
    t_long("512-byte password", 0, 512, "", NULL);
    t_long("513-byte password", 0, 513, "\n", "longer than 512");
    t_long("128-byte user, 512-byte password", 128, 512, "\r\n", NULL);
    t_long("129-byte user", 129, 8, "\n", "user name is longer than 128");
    t_long("user, 513-byte password", 6, 513, "\n", "longer than 512");

    /* what a reader reads at most is refused, whatever it holds */
    t_long("a file at the read limit", 0,
           INVSYNC_CREDENTIALS_FILE_MAX - 1, "\n", "longer");

    if (t_n != T_PLAN) {
        printf("# planned %zu, ran %zu\n", (size_t) T_PLAN, t_n);
        return 1;
    }

    return t_failed;
}
