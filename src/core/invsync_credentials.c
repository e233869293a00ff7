
/*
 * The Redis credentials file, parsed the same way for the nginx module,
 * the worker and invsyncctl (invsync_credentials.h).  The rules:
 *
 *   - one line; one trailing "\n" or "\r\n" is removed, once: any other
 *     CR or LF means more than one line and is refused, as is any other
 *     control byte (a tab, a NUL): AUTH would send them, and a password
 *     that differs from what the operator sees is a trap;
 *   - "password" (no space): AUTH password, Redis's default user;
 *   - "user password": split at the first space; Redis refuses spaces in
 *     user names, so the password is the rest of the line and may hold
 *     spaces itself;
 *   - refused: an empty file, an empty user name (the line starts with a
 *     space), an empty password (the line ends with the space), a user
 *     name over INVSYNC_REDIS_USER_LEN bytes, a password over
 *     INVSYNC_REDIS_PASSWORD_LEN bytes.
 */


#include <string.h>

#include "invsync_credentials.h"


/* the limits in the messages, from the macros themselves */
#define INVSYNC_CRED_STR(n)   INVSYNC_CRED_STR_(n)
#define INVSYNC_CRED_STR_(n)  #n


static const char *invsync_credentials_line(const char *data, size_t *len);


const char *
invsync_credentials_parse(const char *data, size_t len,
    invsync_credentials_t *out)
{
    const char  *sp, *reason;

    memset(out, 0, sizeof(invsync_credentials_t));

    reason = invsync_credentials_line(data, &len);
    if (reason != NULL) {
        return reason;
    }

    sp = memchr(data, ' ', len);

    if (sp == NULL) {
        if (len > INVSYNC_REDIS_PASSWORD_LEN) {
            return "the password is longer than "
                   INVSYNC_CRED_STR(INVSYNC_REDIS_PASSWORD_LEN) " bytes";
        }

        out->password = data;
        out->password_len = len;
        return NULL;
    }

    if (sp == data) {
        return "the line starts with a space: the user name is empty "
               "(write \"password\" or \"user password\")";
    }

    if (sp == data + len - 1) {
        return "the line ends with a space: the password is empty";
    }

    if ((size_t) (sp - data) > INVSYNC_REDIS_USER_LEN) {
        return "the user name is longer than "
               INVSYNC_CRED_STR(INVSYNC_REDIS_USER_LEN) " bytes";
    }

    if ((size_t) (data + len - (sp + 1)) > INVSYNC_REDIS_PASSWORD_LEN) {
        return "the password is longer than "
               INVSYNC_CRED_STR(INVSYNC_REDIS_PASSWORD_LEN) " bytes";
    }

    out->user = data;
    out->user_len = sp - data;
    out->password = sp + 1;
    out->password_len = data + len - (sp + 1);

    return NULL;
}


/* the one line, its trailing newline removed from *len; or a reason */

static const char *
invsync_credentials_line(const char *data, size_t *len)
{
    size_t          n, i;
    unsigned char   c;

    n = *len;

    if (n >= 2 && data[n - 2] == '\r' && data[n - 1] == '\n') {
        n -= 2;

    } else if (n >= 1 && data[n - 1] == '\n') {
        n--;
    }

    if (n == 0) {
        return "the file is empty";
    }

    for (i = 0; i < n; i++) {
        c = (unsigned char) data[i];

        if (c == '\n' || c == '\r') {
            return "the file holds more than one line (only one trailing "
                   "newline is allowed)";
        }

        if (c < 0x20 || c == 0x7f) {
            return "the line holds a control character (a tab, a NUL...)";
        }
    }

    *len = n;

    return NULL;
}
