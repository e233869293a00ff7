
/*
 * The identifiers a SKU is mapped by, as the channel table gives them
 * (invsync_channel_id_t rows of each type): the options of "sku map", the
 * columns of "sku import", the checks and the JSON skumap keeps, the text
 * of "sku list" and the messages.  No channel is named here.
 *
 * A type's rows are shown required first, then the others, each in table
 * order; the fields (options, columns) are the distinct keys of all types
 * in that order.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_sku.h"


#define INVSYNCCTL_SKU_OPT_LEN   68
#define INVSYNCCTL_SKU_LIST_LEN  512


static void invsyncctl_sku_fields_init(void);
static int invsyncctl_sku_has_ids(const invsync_channel_t *ch);
static const invsync_channel_id_t *invsyncctl_sku_row(
    const invsync_channel_t *ch, const char *key);
static size_t invsyncctl_sku_rows(const invsync_channel_t *ch,
    const invsync_channel_id_t **rows);
static const char *invsyncctl_sku_words(const char *option);
static void invsyncctl_sku_join(const invsync_channel_t *ch, int required,
    const char *pre, const char *sep, char *buf, size_t cap);
static int invsyncctl_sku_foreign(const invsyncctl_sku_map_t *m,
    const invsync_channel_t *ch, char *err, size_t len);
static int invsyncctl_sku_missing(const invsyncctl_sku_map_t *m,
    const invsync_channel_t *ch, char *err, size_t len);
static const char *invsyncctl_sku_value(const invsyncctl_sku_map_t *m,
    const char *key);


static const invsync_channel_id_t  *invsyncctl_sku_fieldv[
                                        INVSYNCCTL_SKU_FIELDS];
static size_t                       invsyncctl_sku_nfieldv = (size_t) -1;


/* the i-th field: the first row of its key, or NULL past the last */

const invsync_channel_id_t *
invsyncctl_sku_field(size_t i)
{
    invsyncctl_sku_fields_init();

    return i < invsyncctl_sku_nfieldv ? invsyncctl_sku_fieldv[i] : NULL;
}


size_t
invsyncctl_sku_nfields(void)
{
    invsyncctl_sku_fields_init();

    return invsyncctl_sku_nfieldv;
}


static void
invsyncctl_sku_fields_init(void)
{
    size_t                       c, i, j, n;
    const invsync_channel_id_t  *rows[INVSYNCCTL_SKU_FIELDS];

    if (invsyncctl_sku_nfieldv != (size_t) -1) {
        return;
    }

    invsyncctl_sku_nfieldv = 0;

    for (c = 0; invsync_channels[c] != NULL; c++) {
        n = invsyncctl_sku_rows(invsync_channels[c], rows);

        for (i = 0; i < n; i++) {
            for (j = 0; j < invsyncctl_sku_nfieldv; j++) {
                if (strcmp(invsyncctl_sku_fieldv[j]->key, rows[i]->key) == 0)
                {
                    break;
                }
            }

            if (j == invsyncctl_sku_nfieldv
                && invsyncctl_sku_nfieldv < INVSYNCCTL_SKU_FIELDS)
            {
                invsyncctl_sku_fieldv[invsyncctl_sku_nfieldv++] = rows[i];
            }
        }
    }
}


/*
 * The CSV columns, joined by sep: sku, channel, the fields, channel_sku,
 * name and the attributes; a static buffer, for messages.
 */

const char *
invsyncctl_sku_columns(const char *sep)
{
    size_t       i, n;
    static char  buf[INVSYNCCTL_SKU_LIST_LEN];

    n = snprintf(buf, sizeof(buf), "sku%schannel", sep);

    for (i = 0; invsyncctl_sku_field(i) != NULL && n < sizeof(buf); i++) {
        n += snprintf(buf + n, sizeof(buf) - n, "%s%s", sep,
                      invsyncctl_sku_field(i)->key);
    }

    if (n < sizeof(buf)) {
        n += snprintf(buf + n, sizeof(buf) - n, "%schannel_sku%sname", sep,
                      sep);
    }

    for (i = 0; invsyncctl_sku_attr_names[i] != NULL && n < sizeof(buf);
         i++)
    {
        n += snprintf(buf + n, sizeof(buf) - n, "%s%s", sep,
                      invsyncctl_sku_attr_names[i]);
    }

    return buf;
}


/*
 * The type whose rows read a mapping of the channel: the configured type,
 * else (a channel no longer configured) the first type whose required
 * keys the ids all have.  NULL if none.
 */

const invsync_channel_t *
invsyncctl_sku_type(invsyncctl_t *ctl, const char *channel, json_t *ids)
{
    size_t                         c;
    const invsync_channel_id_t    *id;
    const invsync_channel_conf_t  *conf;

    conf = invsync_conf_channel(ctl->conf, channel);

    if (conf != NULL) {
        return invsync_channel_find(conf->type);
    }

    for (c = 0; invsync_channels[c] != NULL && json_is_object(ids); c++) {
        if (!invsyncctl_sku_has_ids(invsync_channels[c])) {
            continue;
        }

        for (id = invsync_channels[c]->ids; id->key != NULL; id++) {
            if (id->required
                && !json_is_string(json_object_get(ids, id->key)))
            {
                break;
            }
        }

        if (id->key == NULL) {
            return invsync_channels[c];
        }
    }

    return NULL;
}


/*
 * The channel's identifiers of the SKU as skumap keeps them: each row's
 * value (checked by its shape, a gid prefix dropped), null for a nullable
 * row not given, and "channel_sku" when one was given.  Values of another
 * type's rows are refused, as are types without rows.  0, or -1 with the
 * reason in err.
 */

int
invsyncctl_sku_ids(const invsyncctl_sku_map_t *m, const invsync_channel_t *ch,
    const char *type, json_t **ids, char *err, size_t len)
{
    char                         buf[INVSYNCCTL_SKU_LIST_LEN], v[72];
    size_t                       i, n, c;
    json_t                      *o;
    const char                  *val;
    const invsync_channel_id_t  *rows[INVSYNCCTL_SKU_FIELDS];

    *ids = NULL;

    if (!invsyncctl_sku_has_ids(ch)) {
        buf[0] = '\0';

        for (c = 0, n = 0; invsync_channels[c] != NULL; c++) {
            if (invsyncctl_sku_has_ids(invsync_channels[c])) {
                n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0,
                              "%s%s", n ? " and " : "",
                              invsync_channels[c]->type);
            }
        }

        snprintf(err, len, "channel %s is of type %s: SKUs map to %s "
                 "channels only", m->channel, type, buf);
        return -1;
    }

    if (invsyncctl_sku_foreign(m, ch, err, len) != 0
        || invsyncctl_sku_missing(m, ch, err, len) != 0)
    {
        return -1;
    }

    o = json_object();
    n = invsyncctl_sku_rows(ch, rows);

    for (i = 0; o != NULL && i < n; i++) {
        val = invsyncctl_sku_value(m, rows[i]->key);

        if (val == NULL) {
            if (rows[i]->nullable) {
                json_object_set_new(o, rows[i]->key, json_null());
            }

            continue;
        }

        if (invsync_channel_id_value(rows[i], val, v, sizeof(v)) != 0) {
            snprintf(err, len, "a %s %s id is %s%s%s%s, not \"%.*s\"",
                     ch->type, invsyncctl_sku_words(rows[i]->option),
                     rows[i]->shape == INVSYNC_ID_NUMBER
                     ? "a number" : "1 to 64 letters, digits, - or _",
                     rows[i]->gid != NULL ? " (or its " : "",
                     rows[i]->gid != NULL ? rows[i]->gid : "",
                     rows[i]->gid != NULL ? " form)" : "", 100, val);
            json_decref(o);
            return -1;
        }

        json_object_set_new(o, rows[i]->key, json_string(v));
    }

    if (o != NULL && m->channel_sku != NULL && m->channel_sku[0] != '\0') {
        json_object_set_new(o, "channel_sku", json_string(m->channel_sku));
    }

    if (o == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    *ids = o;

    return 0;
}


/* a value given for a key no row of ch has: say whose it is */

static int
invsyncctl_sku_foreign(const invsyncctl_sku_map_t *m,
    const invsync_channel_t *ch, char *err, size_t len)
{
    char                         names[INVSYNCCTL_SKU_LIST_LEN];
    char                         give[INVSYNCCTL_SKU_LIST_LEN];
    char                         more[INVSYNCCTL_SKU_LIST_LEN];
    size_t                       i, c;
    const invsync_channel_t     *other;
    const invsync_channel_id_t  *f;

    for (i = 0; (f = invsyncctl_sku_field(i)) != NULL; i++) {
        if (m->val[i] == NULL || m->val[i][0] == '\0'
            || invsyncctl_sku_row(ch, f->key) != NULL)
        {
            continue;
        }

        other = NULL;

        for (c = 0; invsync_channels[c] != NULL && other == NULL; c++) {
            if (invsyncctl_sku_row(invsync_channels[c], f->key) != NULL) {
                other = invsync_channels[c];
            }
        }

        invsyncctl_sku_join(other, 1, "", " or ", names, sizeof(names));
        invsyncctl_sku_join(other, 0, " or ", " or ",
                            names + strlen(names),
                            sizeof(names) - strlen(names));
        invsyncctl_sku_join(ch, 1, "--", " and --", give, sizeof(give));
        invsyncctl_sku_join(ch, 0, " (and --", ", --", more, sizeof(more));

        snprintf(err, len, "channel %s is a %s channel: %s %s id is a %s "
                 "identifier; give %s%s%s", m->channel, ch->type,
                 strchr("aeiou", names[0]) != NULL ? "an" : "a", names,
                 other->type, give, more, more[0] != '\0' ? ")" : "");
        return -1;
    }

    return 0;
}


/* a required row without a value: say what the type needs */

static int
invsyncctl_sku_missing(const invsyncctl_sku_map_t *m,
    const invsync_channel_t *ch, char *err, size_t len)
{
    char                         give[INVSYNCCTL_SKU_LIST_LEN];
    char                         more[INVSYNCCTL_SKU_LIST_LEN];
    const invsync_channel_id_t  *id;

    for (id = ch->ids; id->key != NULL; id++) {
        if (id->required && invsyncctl_sku_value(m, id->key) == NULL) {
            break;
        }
    }

    if (id->key == NULL) {
        return 0;
    }

    invsyncctl_sku_join(ch, 1, "the ", " and the ", give, sizeof(give));
    invsyncctl_sku_join(ch, 0, " (and the ", " and the ", more,
                        sizeof(more));

    snprintf(err, len, "channel %s is a %s channel: give %s%s%s", m->channel,
             ch->type, give, more, more[0] != '\0' ? ")" : "");

    return -1;
}


/* a mapping for people: "inventory item 1, location 2, channel SKU X" */

void
invsyncctl_sku_describe(const invsync_channel_t *ch, json_t *ids, char *buf,
    size_t cap)
{
    char                        *s;
    size_t                       i, n, nrows;
    json_t                      *v;
    const invsync_channel_id_t  *rows[INVSYNCCTL_SKU_FIELDS];

    n = 0;
    buf[0] = '\0';
    nrows = invsyncctl_sku_has_ids(ch) ? invsyncctl_sku_rows(ch, rows) : 0;

    for (i = 0; i < nrows && n < cap; i++) {
        v = json_object_get(ids, rows[i]->key);

        if (json_is_string(v) || rows[i]->required) {
            n += snprintf(buf + n, cap - n, "%s%s %s", n ? ", " : "",
                          invsyncctl_sku_words(rows[i]->option),
                          json_is_string(v) ? json_string_value(v) : "?");
        }
    }

    if (n == 0) {
        s = json_dumps(ids, JSON_COMPACT | JSON_ENCODE_ANY);
        n = snprintf(buf, cap, "%s", s != NULL ? s : "?");
        free(s);
    }

    v = json_object_get(ids, "channel_sku");

    if (json_is_string(v) && n < cap) {
        snprintf(buf + n, cap - n, ", channel SKU %s", json_string_value(v));
    }
}


/* the identifier options of each type that has some, for --help */

void
invsyncctl_sku_ids_help(FILE *out)
{
    char                         opts[INVSYNCCTL_SKU_LIST_LEN];
    char                         more[INVSYNCCTL_SKU_LIST_LEN];
    size_t                       c, i, n;
    const invsync_channel_t     *ch;
    const invsync_channel_id_t  *rows[INVSYNCCTL_SKU_FIELDS];

    fputs("\nThe identifiers of each channel type: its options, then each "
          "one's CSV\ncolumn (its name in skumap) and form:\n", out);

    for (c = 0; invsync_channels[c] != NULL; c++) {
        ch = invsync_channels[c];

        if (!invsyncctl_sku_has_ids(ch)) {
            continue;
        }

        invsyncctl_sku_join(ch, 1, "--", " ID --", opts, sizeof(opts));
        invsyncctl_sku_join(ch, 0, " ID [--", " ID] [--", more,
                            sizeof(more));
        fprintf(out, "  %-12s %s%s ID%s\n", ch->type, opts, more,
                more[0] != '\0' ? "]" : "");

        n = invsyncctl_sku_rows(ch, rows);

        for (i = 0; i < n; i++) {
            fprintf(out, "  %-12s %s: %s%s%s%s\n", "", rows[i]->key,
                    rows[i]->shape == INVSYNC_ID_NUMBER
                    ? "a number" : "1 to 64 of A-Z a-z 0-9 - _",
                    rows[i]->gid != NULL ? " or " : "",
                    rows[i]->gid != NULL ? rows[i]->gid : "",
                    rows[i]->gid != NULL ? "N" : "");
        }
    }
}


/* the first row of ch with the key, or NULL */

static const invsync_channel_id_t *
invsyncctl_sku_row(const invsync_channel_t *ch, const char *key)
{
    const invsync_channel_id_t  *id;

    for (id = ch->ids; id != NULL && id->key != NULL; id++) {
        if (strcmp(id->key, key) == 0) {
            return id;
        }
    }

    return NULL;
}


static int
invsyncctl_sku_has_ids(const invsync_channel_t *ch)
{
    return ch != NULL && ch->ids != NULL && ch->ids[0].key != NULL;
}


/* ch's rows, required first, into rows; how many */

static size_t
invsyncctl_sku_rows(const invsync_channel_t *ch,
    const invsync_channel_id_t **rows)
{
    int                          pass;
    size_t                       n;
    const invsync_channel_id_t  *id;

    n = 0;

    for (pass = 1; pass >= 0; pass--) {
        for (id = ch->ids; id != NULL && id->key != NULL; id++) {
            if (id->required == (unsigned) pass
                && n < INVSYNCCTL_SKU_FIELDS)
            {
                rows[n++] = id;
            }
        }
    }

    return n;
}


/*
 * The options of ch's required (or other) rows, each after pre for the
 * first and sep for the others, into buf; "" when there are none.  An
 * option's dashes are blanks unless pre ends in a dash.
 */

static void
invsyncctl_sku_join(const invsync_channel_t *ch, int required,
    const char *pre, const char *sep, char *buf, size_t cap)
{
    size_t                       i, n, nrows;
    const char                  *name;
    const invsync_channel_id_t  *rows[INVSYNCCTL_SKU_FIELDS];

    n = 0;
    buf[0] = '\0';
    nrows = invsyncctl_sku_has_ids(ch) ? invsyncctl_sku_rows(ch, rows) : 0;

    for (i = 0; i < nrows && n < cap; i++) {
        if (rows[i]->required != (unsigned) required) {
            continue;
        }

        name = pre[0] != '\0' && pre[strlen(pre) - 1] == '-'
               ? rows[i]->option : invsyncctl_sku_words(rows[i]->option);

        n += snprintf(buf + n, cap - n, "%s%s", n ? sep : pre, name);
    }
}


/* "inventory-item" as "inventory item"; a static buffer */

static const char *
invsyncctl_sku_words(const char *option)
{
    char         *p;
    static char   buf[INVSYNCCTL_SKU_OPT_LEN];

    snprintf(buf, sizeof(buf), "%s", option);

    for (p = buf; *p != '\0'; p++) {
        if (*p == '-') {
            *p = ' ';
        }
    }

    return buf;
}


/* the value given for a key, NULL when absent or empty */

static const char *
invsyncctl_sku_value(const invsyncctl_sku_map_t *m, const char *key)
{
    size_t                       i;
    const invsync_channel_id_t  *f;

    for (i = 0; (f = invsyncctl_sku_field(i)) != NULL; i++) {
        if (strcmp(f->key, key) == 0) {
            return m->val[i] != NULL && m->val[i][0] != '\0' ? m->val[i]
                                                             : NULL;
        }
    }

    return NULL;
}


/*
 * Appends to opts one "--<option>" per distinct option of the fields, its
 * value into m->val of the first field with it; returns how many.  After
 * parsing, invsyncctl_sku_options_share() gives the value to every field
 * with that option.
 */

size_t
invsyncctl_sku_options(invsyncctl_opt_t *opts, invsyncctl_sku_map_t *m)
{
    size_t                       i, j, n;
    const invsync_channel_id_t  *f;
    static char                  names[INVSYNCCTL_SKU_FIELDS]
                                      [INVSYNCCTL_SKU_OPT_LEN];

    n = 0;

    for (i = 0; (f = invsyncctl_sku_field(i)) != NULL; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(invsyncctl_sku_field(j)->option, f->option) == 0) {
                break;
            }
        }

        if (j < i) {
            continue;
        }

        snprintf(names[i], sizeof(names[i]), "--%s", f->option);
        opts[n].name = names[i];
        opts[n].value = &m->val[i];
        opts[n].flag = NULL;
        n++;
    }

    return n;
}


void
invsyncctl_sku_options_share(invsyncctl_sku_map_t *m)
{
    size_t                       i, j;
    const invsync_channel_id_t  *f;

    for (i = 0; (f = invsyncctl_sku_field(i)) != NULL; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(invsyncctl_sku_field(j)->option, f->option) == 0) {
                m->val[i] = m->val[j];
                break;
            }
        }
    }
}
