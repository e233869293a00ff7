/*
 * worker.json "journal": the merchant's account codes for each role the
 * journal books to (docs/journal.md, "Accounts").  Every role must be
 * mapped, since an entry with a line nobody can post would not balance
 * in the merchant's books; an unknown role is a typo, refused by name.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_config_read.h"


static const char  *invsync_journal_roles[] = {
    "sales_returns", "tax_payable", "shipping_income", "fees_income",
    "refunds_payable", "refunds_paid", "inventory", "cost_of_goods",
    "write_offs", NULL
};

static const char  *invsync_journal_keys[] = { "accounts", NULL };


int
invsync_cfg_journal(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    char         path[128];
    size_t       i;
    json_t      *j, *acc, *v;

    conf->journal_accounts = NULL;

    if (json_object_get(root, "journal") == NULL) {
        return 0;
    }

    j = invsync_cfg_object(c, root, "$", "journal");
    if (j == NULL || invsync_cfg_keys(c, j, "$.journal",
                                      invsync_journal_keys) != 0)
    {
        return -1;
    }

    acc = json_object_get(j, "accounts");
    if (!json_is_object(acc)) {
        return invsync_cfg_fail(c, "$.journal.accounts", "must be an object "
                                "of account codes, one per role");
    }

    if (invsync_cfg_keys(c, acc, "$.journal.accounts",
                         invsync_journal_roles) != 0)
    {
        return -1;
    }

    for (i = 0; invsync_journal_roles[i] != NULL; i++) {
        snprintf(path, sizeof(path), "$.journal.accounts.%s",
                 invsync_journal_roles[i]);
        v = json_object_get(acc, invsync_journal_roles[i]);

        if (v == NULL) {
            return invsync_cfg_fail(c, path, "is required: the account "
                                    "code its lines are posted to");
        }

        if (!json_is_string(v) || json_string_length(v) == 0
            || json_string_length(v) > 64)
        {
            return invsync_cfg_fail(c, path, "must be an account code of 1 "
                                    "to 64 characters");
        }
    }

    conf->journal_accounts = acc;

    return 0;
}
