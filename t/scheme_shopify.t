#!/usr/bin/perl

# The shopify scheme through nginx and Redis: X-Shopify-* and unprefixed
# Shopify-* headers, base64 HMAC of the body, the shop domain as account,
# the default topic routes, duplicates, rotation, and the 401 and 400
# refusals (nothing stored, a [warn] line without the secret).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(hmac_b64);

my $secret = 'shpss_k3y-Alpha';
my $old = 'shpss_old-Beta';

my $t = InvsyncTest->setup(
    secrets => {
        'shopify.secret' => $secret,
        'old.secret'     => $old,
    },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }

        location = /hooks/rotating {
            invsync_webhook shopify;
            invsync_channel shop-rot;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(31);

my $shop = 'shop-eu.myshopify.com';

sub headers {
    my ($body, %o) = @_;
    my $p = exists $o{prefix} ? $o{prefix} : 'X-';
    my %h = (
        "${p}Shopify-Hmac-Sha256" => hmac_b64($body, $o{key} // $secret),
        "${p}Shopify-Topic" => $o{topic} // 'orders/create',
        "${p}Shopify-Webhook-Id" => $o{id} // 'wh-1',
        "${p}Shopify-Shop-Domain" => $shop,
        'Content-Type' => 'application/json',
    );
    delete $h{"${p}Shopify-Hmac-Sha256"} if $o{nosig};
    delete $h{"${p}Shopify-Webhook-Id"} if $o{noid};
    return %h;
}

my %who = (scheme => 'shopify', channel => 'shop-eu', hide => [$secret]);

# accepted, with the whole envelope

my $body = '{"id":820982911946154508,"email":"jon@example.com"}';
my $r = $t->post('/hooks/shopify', $body, headers($body, id => 'wh-1'));
my $id = $t->accepted($r, 'invsync:orders', 'orders/create accepted');
$t->envelope('invsync:orders', $id, {
    channel => 'shop-eu', scheme => 'shopify', account => $shop,
    topic => 'orders/create', event => 'wh-1', body => $body,
}, 'envelope of orders/create');
is($t->redis('XLEN', 'invsync:orders'), 1, 'one entry in invsync:orders');

$r = $t->post('/hooks/shopify', $body, headers($body, id => 'wh-1'));
$t->duplicate($r, 'the same delivery again is a duplicate');
is($t->redis('XLEN', 'invsync:orders'), 1, 'duplicate not stored');

# the unprefixed header form of "Events" deliveries

my $refund = '{"id":509562969,"order_id":450789469}';
$r = $t->post('/hooks/shopify', $refund,
              headers($refund, prefix => '', topic => 'refunds/create',
                      id => 'wh-2'));
$id = $t->accepted($r, 'invsync:refunds', 'unprefixed headers accepted');
$t->envelope('invsync:refunds', $id, {
    channel => 'shop-eu', scheme => 'shopify', account => $shop,
    topic => 'refunds/create', event => 'wh-2', body => $refund,
}, 'envelope from unprefixed headers');

# default routes

my %routes = (
    'fulfillments/create' => 'fulfillments',
    'inventory_levels/update' => 'stock',
    'app/uninstalled' => 'other',
);
my $n = 10;
for my $topic (sort keys %routes) {
    my $b = qq({"id":$n});
    $r = $t->post('/hooks/shopify', $b,
                  headers($b, topic => $topic, id => "wh-$n"));
    $id = $t->accepted($r, "invsync:$routes{$topic}",
                       "$topic goes to $routes{$topic}");
    $n++;
}

# refusals: 401

my $m = $t->mark;
my %h = headers($body, id => 'wh-3');
$r = $t->post('/hooks/shopify', '{"id":820982911946154509,"email":"jon@example.com"}', %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, $h{'X-Shopify-Hmac-Sha256'}]);

$m = $t->mark;
%h = headers($body, id => 'wh-4', key => 'not-the-secret');
$r = $t->post('/hooks/shopify', $body, %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'wrong secret',
            hide => [$secret, $h{'X-Shopify-Hmac-Sha256'}]);

$m = $t->mark;
$r = $t->post('/hooks/shopify', $body, headers($body, id => 'wh-5', nosig => 1));
$t->refused($m, $r, 401, 'missing signature', %who,
            name => 'no signature header');

# refusals: 400

$m = $t->mark;
$r = $t->post('/hooks/shopify', 'id=1', headers('id=1', id => 'wh-6'));
$t->refused($m, $r, 400, 'body is not valid JSON', %who, name => 'not JSON');

$m = $t->mark;
$r = $t->post('/hooks/shopify', $body, headers($body, noid => 1));
$t->refused($m, $r, 400, 'no event id', %who, name => 'no event id');

# rotation: either secret verifies

$r = $t->post('/hooks/rotating', $body, headers($body, id => 'wh-7', key => $old));
$t->accepted($r, 'invsync:orders', 'rotation: old secret accepted');
$r = $t->post('/hooks/rotating', $body, headers($body, id => 'wh-8'));
$t->accepted($r, 'invsync:orders', 'rotation: new secret accepted');
$m = $t->mark;
$r = $t->post('/hooks/rotating', $body, headers($body, id => 'wh-9', key => 'third'));
$t->refused($m, $r, 401, 'signature mismatch', scheme => 'shopify',
            channel => 'shop-rot', hide => [$secret, $old],
            name => 'rotation: a third secret');

is($t->redis('XLEN', 'invsync:orders'), 3, 'orders stream holds three events');

$t->done;
