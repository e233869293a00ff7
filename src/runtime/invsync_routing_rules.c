
/*
 * worker.json's "routing": the ordered rules and the postal coordinates.
 * A rule whose "when" is empty matches every order, so it must be the
 * last one (a rule after it could never be reached); when the last rule
 * has a filter, a default rule is appended (strategy priority, splits
 * allowed without a limit, no backorder), marked implied, so that the
 * last rule always matches and every order gets a decision.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_routing_read.h"


static int invsync_routing_rule(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_routing_conf_t *rc, invsync_route_rule_t *rule);
static int invsync_routing_when(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_route_rule_t *rule);
static int invsync_routing_value(invsync_rr_t *r, json_t *when,
    const char *path, const char *key, int *has, int64_t *out);
static int invsync_routing_locs(invsync_rr_t *r, json_t *obj,
    const char *path, const char *key, invsync_routing_conf_t *rc,
    invsync_strv_t *out);
static int invsync_routing_strategy(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_route_rule_t *rule);
static int invsync_routing_split(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_routing_conf_t *rc, invsync_route_rule_t *rule);
static int invsync_routing_rate(invsync_rr_t *r, json_t *obj,
    const char *path, invsync_route_rule_t *rule);
static int invsync_routing_empty_when(const invsync_route_rule_t *rule);
static int invsync_routing_default(invsync_routing_conf_t *rc);
static int invsync_routing_postal(invsync_rr_t *r, json_t *arr,
    invsync_routing_conf_t *rc);


static const char  *invsync_routing_keys[] = {
    "rules", "postal_coordinates", NULL
};

static const char  *invsync_routing_rule_keys[] = {
    "name", "when", "require", "prefer", "exclude", "strategy", "split",
    "backorder", "rate", NULL
};

static const char  *invsync_routing_when_keys[] = {
    "channel", "channels", "country", "countries", "region", "regions",
    "postal_prefix", "postal_prefixes", "sku", "skus", "sku_tag", "sku_tags",
    "min_value", "max_value", "shipping_method", "shipping_methods", NULL
};

static const char  *invsync_routing_split_keys[] = { "allowed", "max", NULL };

static const char  *invsync_routing_postal_keys[] = {
    "country", "prefix", "lat", "lon", NULL
};

static const char  *invsync_routing_strategies[] = {
    "priority", "fewest_shipments", "nearest", "most_stock", NULL
};


int
invsync_routing_rules_parse(invsync_rr_t *r, json_t *routing,
    invsync_routing_conf_t *rc)
{
    char     path[INVSYNC_RR_PATH];
    size_t   i, n;
    json_t  *rules, *e;

    if (invsync_rr_keys(r, routing, "$.routing", invsync_routing_keys) != 0) {
        return -1;
    }

    rules = json_object_get(routing, "rules");

    if (rules != NULL && !json_is_array(rules)) {
        return invsync_rr_fail(r, "$.routing", "rules", "must be an array");
    }

    n = json_array_size(rules);
    rc->rules = calloc(n + 1, sizeof(invsync_route_rule_t));

    if (rc->rules == NULL) {
        return invsync_rr_fail(r, "$.routing", "rules", "out of memory");
    }

    json_array_foreach(rules, i, e) {
        invsync_rr_at(path, "$.routing.rules[%zu]", i);
        rc->nrules++;

        if (invsync_routing_rule(r, e, path, rc, &rc->rules[i]) != 0) {
            return -1;
        }

        if (i + 1 < n && invsync_routing_empty_when(&rc->rules[i])) {
            return invsync_rr_fail(r, path, "when", "matches every order, "
                                   "so the rules after it would never be "
                                   "reached: put it last");
        }
    }

    if ((n == 0 || !invsync_routing_empty_when(&rc->rules[n - 1]))
        && invsync_routing_default(rc) != 0)
    {
        return invsync_rr_fail(r, "$.routing", "rules", "out of memory");
    }

    e = json_object_get(routing, "postal_coordinates");

    if (e != NULL && !json_is_array(e)) {
        return invsync_rr_fail(r, "$.routing", "postal_coordinates",
                               "must be an array");
    }

    return e != NULL ? invsync_routing_postal(r, e, rc) : 0;
}


void
invsync_routing_rule_free(invsync_route_rule_t *rule)
{
    free(rule->name);
    free(rule->rate);
    invsync_rr_strv_free(&rule->channels);
    invsync_rr_strv_free(&rule->countries);
    invsync_rr_strv_free(&rule->regions);
    invsync_rr_strv_free(&rule->postal_prefixes);
    invsync_rr_strv_free(&rule->skus);
    invsync_rr_strv_free(&rule->sku_tags);
    invsync_rr_strv_free(&rule->shipping_methods);
    invsync_rr_strv_free(&rule->require);
    invsync_rr_strv_free(&rule->prefer);
    invsync_rr_strv_free(&rule->exclude);
}


static int
invsync_routing_rule(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_routing_conf_t *rc, invsync_route_rule_t *rule)
{
    size_t  i;

    if (!json_is_object(obj)) {
        return invsync_rr_fail(r, path, NULL, "must be an object");
    }

    if (invsync_rr_keys(r, obj, path, invsync_routing_rule_keys) != 0
        || invsync_rr_str(r, obj, path, "name", &rule->name) != 0)
    {
        return -1;
    }

    if (rule->name == NULL) {
        return invsync_rr_fail(r, path, "name", "is required (the trace "
                               "names the rule that decided)");
    }

    for (i = 0; &rc->rules[i] != rule; i++) {
        if (strcmp(rc->rules[i].name, rule->name) == 0) {
            return invsync_rr_fail(r, path, "name", "\"%s\" is used by "
                                   "rules[%zu]", rule->name, i);
        }
    }

    if (invsync_routing_when(r, obj, path, rule) != 0
        || invsync_routing_locs(r, obj, path, "require", rc, &rule->require)
           != 0
        || invsync_routing_locs(r, obj, path, "prefer", rc, &rule->prefer)
           != 0
        || invsync_routing_locs(r, obj, path, "exclude", rc, &rule->exclude)
           != 0
        || invsync_routing_strategy(r, obj, path, rule) != 0
        || invsync_routing_split(r, obj, path, rc, rule) != 0
        || invsync_rr_bool(r, obj, path, "backorder", 0, &rule->backorder)
           != 0
        || invsync_routing_rate(r, obj, path, rule) != 0)
    {
        return -1;
    }

    for (i = 0; i < rule->exclude.n; i++) {
        if (invsync_strv_has(&rule->require, rule->exclude.v[i])) {
            return invsync_rr_fail(r, path, "exclude", "\"%s\" is also in "
                                   "\"require\"", rule->exclude.v[i]);
        }
    }

    return 0;
}


static int
invsync_routing_when(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_route_rule_t *rule)
{
    char     at[INVSYNC_RR_PATH];
    size_t   i;
    json_t  *w;

    w = json_object_get(obj, "when");

    if (w == NULL) {
        return 0;
    }

    invsync_rr_at(at, "%s.when", path);

    if (!json_is_object(w)) {
        return invsync_rr_fail(r, at, NULL, "must be an object");
    }

    if (invsync_rr_keys(r, w, at, invsync_routing_when_keys) != 0
        || invsync_rr_strv_either(r, w, at, "channel", "channels",
                                  &rule->channels) != 0
        || invsync_rr_channels(r, &rule->channels, at, "channels") != 0
        || invsync_rr_strv_either(r, w, at, "country", "countries",
                                  &rule->countries) != 0
        || invsync_rr_strv_either(r, w, at, "region", "regions",
                                  &rule->regions) != 0
        || invsync_rr_strv_either(r, w, at, "postal_prefix",
                                  "postal_prefixes", &rule->postal_prefixes)
           != 0
        || invsync_rr_strv_either(r, w, at, "sku", "skus", &rule->skus) != 0
        || invsync_rr_strv_either(r, w, at, "sku_tag", "sku_tags",
                                  &rule->sku_tags) != 0
        || invsync_rr_strv_either(r, w, at, "shipping_method",
                                  "shipping_methods", &rule->shipping_methods)
           != 0
        || invsync_routing_value(r, w, at, "min_value", &rule->has_min_value,
                                 &rule->min_value_minor) != 0
        || invsync_routing_value(r, w, at, "max_value", &rule->has_max_value,
                                 &rule->max_value_minor) != 0)
    {
        return -1;
    }

    for (i = 0; i < rule->countries.n; i++) {
        char  cc[3];

        if (invsync_rr_country(r, rule->countries.v[i], at, "countries", cc)
            != 0)
        {
            return -1;
        }
    }

    for (i = 0; i < rule->postal_prefixes.n; i++) {
        invsync_rr_upper(rule->postal_prefixes.v[i]);
    }

    if (rule->has_min_value && rule->has_max_value
        && rule->min_value_minor > rule->max_value_minor)
    {
        return invsync_rr_fail(r, at, "min_value", "is above max_value");
    }

    return 0;
}


/* the order's total in its currency's minor units (cents) */

static int
invsync_routing_value(invsync_rr_t *r, json_t *when, const char *path,
    const char *key, int *has, int64_t *out)
{
    json_t  *v;

    v = json_object_get(when, key);

    if (v == NULL) {
        return 0;
    }

    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return invsync_rr_fail(r, path, key, "must be an integer >= 0, in "
                               "the currency's minor units (cents)");
    }

    *has = 1;
    *out = json_integer_value(v);

    return 0;
}


static int
invsync_routing_locs(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, invsync_routing_conf_t *rc, invsync_strv_t *out)
{
    size_t  i;

    if (invsync_rr_strv(r, obj, path, key, out) != 0) {
        return -1;
    }

    for (i = 0; i < out->n; i++) {
        if (invsync_routing_location(rc, out->v[i]) == NULL) {
            return invsync_rr_fail(r, path, key, "unknown location \"%s\" "
                                   "(not in $.locations)", out->v[i]);
        }
    }

    return 0;
}


static int
invsync_routing_strategy(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_route_rule_t *rule)
{
    int          i;
    json_t      *v;
    const char  *s;

    v = json_object_get(obj, "strategy");

    if (v == NULL) {
        rule->strategy = INVSYNC_ROUTE_PRIORITY;
        return 0;
    }

    s = json_is_string(v) ? json_string_value(v) : "";

    for (i = 0; invsync_routing_strategies[i] != NULL; i++) {
        if (strcmp(s, invsync_routing_strategies[i]) == 0) {
            rule->strategy = (invsync_route_strategy_e) i;
            return 0;
        }
    }

    return invsync_rr_fail(r, path, "strategy", "unknown strategy \"%s\"; "
                           "one of priority, fewest_shipments, nearest, "
                           "most_stock", s);
}


static int
invsync_routing_split(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_routing_conf_t *rc, invsync_route_rule_t *rule)
{
    char     at[INVSYNC_RR_PATH];
    long     max;
    json_t  *s;

    s = json_object_get(obj, "split");
    invsync_rr_at(at, "%s.split", path);

    if (s != NULL && !json_is_object(s)) {
        return invsync_rr_fail(r, at, NULL, "must be an object");
    }

    if (s != NULL
        && invsync_rr_keys(r, s, at, invsync_routing_split_keys) != 0)
    {
        return -1;
    }

    if (invsync_rr_bool(r, s, at, "allowed", 1, &rule->split_allowed) != 0
        || invsync_rr_int(r, s, at, "max", 1, 1000, 0, &max) != 0)
    {
        return -1;
    }

    if (!rule->split_allowed && max > 1) {
        return invsync_rr_fail(r, at, "max", "is above 1 but splits are not "
                               "allowed");
    }

    if (max == 0) {
        max = rule->split_allowed ? (long) rc->nlocations : 1;
    }

    rule->max_shipments = (int) max;

    return 0;
}


/* cheapest, fastest, or a carrier, optionally ":service" */

static int
invsync_routing_rate(invsync_rr_t *r, json_t *obj, const char *path,
    invsync_route_rule_t *rule)
{
    const char  *colon;

    if (invsync_rr_str(r, obj, path, "rate", &rule->rate) != 0) {
        return -1;
    }

    if (rule->rate == NULL || strcmp(rule->rate, "cheapest") == 0
        || strcmp(rule->rate, "fastest") == 0)
    {
        return 0;
    }

    colon = strchr(rule->rate, ':');

    if (rule->rate[0] == ':' || (colon != NULL
                                 && (colon[1] == '\0'
                                     || strchr(colon + 1, ':') != NULL)))
    {
        return invsync_rr_fail(r, path, "rate", "\"%s\": one of cheapest, "
                               "fastest, \"CARRIER\" or \"CARRIER:SERVICE\"",
                               rule->rate);
    }

    return 0;
}


static int
invsync_routing_empty_when(const invsync_route_rule_t *rule)
{
    return rule->channels.n == 0 && rule->countries.n == 0
           && rule->regions.n == 0 && rule->postal_prefixes.n == 0
           && rule->skus.n == 0 && rule->sku_tags.n == 0
           && rule->shipping_methods.n == 0 && !rule->has_min_value
           && !rule->has_max_value;
}


static int
invsync_routing_default(invsync_routing_conf_t *rc)
{
    invsync_route_rule_t  *rule;

    rule = &rc->rules[rc->nrules];
    memset(rule, 0, sizeof(invsync_route_rule_t));

    rule->name = strdup("default");
    if (rule->name == NULL) {
        return -1;
    }

    rc->nrules++;
    rule->strategy = INVSYNC_ROUTE_PRIORITY;
    rule->split_allowed = 1;
    rule->max_shipments = (int) rc->nlocations;
    rule->implied = 1;

    return 0;
}


static int
invsync_routing_postal(invsync_rr_t *r, json_t *arr,
    invsync_routing_conf_t *rc)
{
    char                     path[INVSYNC_RR_PATH], *country;
    size_t                   i;
    json_t                  *e;
    invsync_postal_point_t  *p;

    rc->postal = calloc(json_array_size(arr) + 1,
                        sizeof(invsync_postal_point_t));
    if (rc->postal == NULL) {
        return invsync_rr_fail(r, "$.routing", "postal_coordinates",
                               "out of memory");
    }

    json_array_foreach(arr, i, e) {
        invsync_rr_at(path, "$.routing.postal_coordinates[%zu]", i);
        p = &rc->postal[i];
        rc->npostal++;

        if (!json_is_object(e)) {
            return invsync_rr_fail(r, path, NULL, "must be an object");
        }

        if (invsync_rr_keys(r, e, path, invsync_routing_postal_keys) != 0
            || invsync_rr_str(r, e, path, "country", &country) != 0)
        {
            return -1;
        }

        if (country == NULL) {
            return invsync_rr_fail(r, path, "country", "is required");
        }

        if (invsync_rr_country(r, country, path, "country", p->country)
            != 0)
        {
            free(country);
            return -1;
        }

        free(country);

        if (invsync_rr_str(r, e, path, "prefix", &p->prefix) != 0
            || invsync_rr_num(r, e, path, "lat", -90, 90, &p->lat) != 0
            || invsync_rr_num(r, e, path, "lon", -180, 180, &p->lon) != 0)
        {
            return -1;
        }

        if (p->prefix == NULL) {
            return invsync_rr_fail(r, path, "prefix", "is required");
        }

        invsync_rr_upper(p->prefix);
    }

    return 0;
}
