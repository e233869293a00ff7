
/*
 * The Redis credentials file (invsync_redis_auth_file, worker.json's
 * redis.auth_file): one parser for the nginx module, the worker and
 * invsyncctl, so that a file is accepted or refused the same way by all.
 * Bytes in, slices of them out; no I/O, no logging.  Rules in
 * docs/directives.md, invsync_redis_auth_file.
 */


#ifndef INVSYNC_CREDENTIALS_H_INCLUDED
#define INVSYNC_CREDENTIALS_H_INCLUDED


#include <stddef.h>


#define INVSYNC_REDIS_USER_LEN      128     /* longest ACL user name */
#define INVSYNC_REDIS_PASSWORD_LEN  512     /* longest password */

/* what a reader reads at most: user, space, password, CRLF, and one byte
 * more, so that a longer file is seen as too long rather than cut */
#define INVSYNC_CREDENTIALS_FILE_MAX                                        \
    (INVSYNC_REDIS_USER_LEN + 1 + INVSYNC_REDIS_PASSWORD_LEN + 2 + 1)


/* Slices of the parsed bytes; user_len == 0 means "no user": AUTH with
 * the password alone (Redis's default user). */
typedef struct {
    const char  *user;
    size_t       user_len;
    const char  *password;
    size_t       password_len;
} invsync_credentials_t;


/* NULL when the file's content is valid, else the reason it is refused, a
 * static string that never holds any of the content. */
const char *invsync_credentials_parse(const char *data, size_t len,
    invsync_credentials_t *out);


#endif /* INVSYNC_CREDENTIALS_H_INCLUDED */
