
/*
 * Between the files of the canonical model's helpers (invsync_canon*.c):
 * limits, the big number finder's state and the functions they call of
 * each other.  Normalizers include invsync_canon.h, not this.
 */


#ifndef INVSYNC_CANON_PARTS_H_INCLUDED
#define INVSYNC_CANON_PARTS_H_INCLUDED


#include "invsync_canon.h"


#define INVSYNC_QUOTE_MAX    40
#define INVSYNC_QUOTE_LEN    (INVSYNC_QUOTE_MAX + 8)
#define INVSYNC_BIG_DEPTH    32
#define INVSYNC_BIG_KEY_LEN  48


/* where the first number too big for jansson is, found with yajl */
typedef struct {
    int      depth;
    int      found;
    int      real;
    char     text[INVSYNC_QUOTE_LEN];
    struct {
        int   array;            /* else an object */
        long  index;
        char  key[INVSYNC_BIG_KEY_LEN];
    } frames[INVSYNC_BIG_DEPTH];
    char     path[INVSYNC_CANON_PATH_LEN];
} invsync_big_t;


/* invsync_canon.c */
const json_t *invsync_member(const invsync_canon_src_t *s, const char *key);
void invsync_path(char *dst, size_t size, const char *path, const char *key);

/* invsync_canon_money.c */
int invsync_money_text(const char *text, size_t n, int exp,
    const char *currency, int64_t *minor, char *err, size_t len);
int invsync_money_scale(int64_t v, int exp, int64_t *minor);

/* invsync_canon_read.c: unsigned decimal digits only */
int invsync_int_text(const char *text, size_t n, int64_t *v);

/* invsync_canon_big.c: 0 with b filled when body has such a number */
int invsync_big_find(const char *body, size_t len, invsync_big_t *b);


#endif /* INVSYNC_CANON_PARTS_H_INCLUDED */
