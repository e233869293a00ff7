#!/usr/bin/perl

# The square scheme through nginx and Redis: base64 HMAC of notification
# URL + body, the URL configured (invsync_notification_url) or rebuilt from
# the request and X-Forwarded-Proto/-Host, the published vector A of the
# project notes (section 15.2), event_id and merchant_id from the body,
# the default routes, rotation, and the 401 and 400 refusals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(hmac_b64);

my $secret = 'sqK3y_Abc-123xyz';
my $old = 'sqOld_Key-987';
my $vkey = 'Ibxx_5AKakO-3qeNVR61Dw';

my $t = InvsyncTest->setup(
    secrets => {
        'square.secret' => $secret,
        'old.secret'    => $old,
        'vector.secret' => $vkey,
    },
    locations => <<'EOF');
        location = /hooks/square-conf {
            invsync_webhook square;
            invsync_channel sq-main;
            invsync_secret_file %%TESTDIR%%/square.secret;
            invsync_notification_url https://hooks.example.com/square;
        }

        location = /hooks/square {
            invsync_webhook square;
            invsync_channel sq-auto;
            invsync_secret_file %%TESTDIR%%/square.secret;
        }

        location = /hooks/square-vector {
            invsync_webhook square;
            invsync_channel sq-vector;
            invsync_secret_file %%TESTDIR%%/vector.secret;
            invsync_notification_url https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9;
        }

        location = /hooks/square-rot {
            invsync_webhook square;
            invsync_channel sq-rot;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/square.secret;
            invsync_notification_url https://hooks.example.com/square;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(41);

my $url = 'https://hooks.example.com/square';

sub event {
    my ($id, $type) = @_;
    return qq({"merchant_id":"MLEFBHHSJGVHD","type":"$type","event_id":"$id",)
        . qq("created_at":"2024-08-02T19:26:52Z","data":{"type":"order","id":"o-$id"}});
}

sub signed {
    my ($body, %o) = @_;
    my %h = ('X-Square-HmacSha256-Signature'
                 => hmac_b64(($o{url} // $url) . $body, $o{key} // $secret),
             'Content-Type' => 'application/json', %{$o{extra} || {}});
    return %h;
}

my %who = (scheme => 'square', channel => 'sq-main', hide => [$secret]);

# (a) the configured notification URL

my $body = event('ev-1', 'order.created');
my $r = $t->post('/hooks/square-conf', $body, signed($body));
my $id = $t->accepted($r, 'invsync:orders', 'configured URL: accepted');
$t->envelope('invsync:orders', $id, {
    channel => 'sq-main', scheme => 'square', account => 'MLEFBHHSJGVHD',
    topic => 'order.created', event => 'ev-1', body => $body,
}, 'envelope: event_id, type and merchant_id from the body');

$r = $t->post('/hooks/square-conf', $body, signed($body));
$t->duplicate($r, 'the same event again is a duplicate');
is($t->redis('XLEN', 'invsync:orders'), 1, 'duplicate not stored');

my $m = $t->mark;
my $b2 = event('ev-2', 'order.created');
$r = $t->post('/hooks/square-conf', $b2,
              signed($b2, url => $t->url('/hooks/square-conf')));
$t->refused($m, $r, 401, 'signature mismatch', %who,
            name => 'configured URL: another URL signed');

# (b) no invsync_notification_url: rebuilt from the request

my $port = $t->port('http');
$r = $t->post('/hooks/square?x=1', $b2,
              signed($b2, url => "http://127.0.0.1:$port/hooks/square?x=1"));
$id = $t->accepted($r, 'invsync:orders', 'rebuilt URL: accepted');

my $b3 = event('ev-3', 'order.updated');
$r = $t->post('/hooks/square?x=1', $b3,
              signed($b3, url => 'https://shop.example.com/hooks/square?x=1',
                     extra => { 'X-Forwarded-Proto' => 'https',
                                'X-Forwarded-Host' => 'shop.example.com' }));
$t->accepted($r, 'invsync:orders', 'behind a proxy: forwarded URL accepted');

$m = $t->mark;
my $b4 = event('ev-4', 'order.updated');
$r = $t->post('/hooks/square?x=1', $b4,
              signed($b4, url => "http://127.0.0.1:$port/hooks/square?x=1",
                     extra => { 'X-Forwarded-Proto' => 'https',
                                'X-Forwarded-Host' => 'shop.example.com' }));
$t->refused($m, $r, 401, 'signature mismatch', %who, channel => 'sq-auto',
            name => 'behind a proxy: the inner URL signed');

$m = $t->mark;
$r = $t->post('/hooks/square', $b4,
              signed($b4, url => "http://127.0.0.1:$port/hooks/square?x=1"));
$t->refused($m, $r, 401, 'signature mismatch', %who, channel => 'sq-auto',
            name => 'rebuilt URL: query string differs');

# the published vector A

my $va = '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
    . '"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f",'
    . '"created_at":"2022-07-13T20:30:59.037339943Z",'
    . '"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}';
my %vh = ('X-Square-HmacSha256-Signature'
              => 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=',
          'Content-Type' => 'application/json');
$r = $t->post('/hooks/square-vector', $va, %vh);
$id = $t->accepted($r, 'invsync:other', 'published vector A accepted');
$t->envelope('invsync:other', $id, {
    channel => 'sq-vector', scheme => 'square', account => 'MLEFBHHSJGVHD',
    topic => 'webhooks.test_notification',
    event => 'ac3ac95b-f97d-458c-a6e6-18981597e05f', body => $va,
}, 'envelope of vector A');

$m = $t->mark;
$r = $t->post('/hooks/square-vector', $va =~ s/","type"/", "type"/r, %vh);
$t->refused($m, $r, 401, 'signature mismatch', %who, channel => 'sq-vector',
            hide => [$vkey], name => 'vector A reformatted');

# default routes

my %routes = (
    'refund.created' => 'refunds',
    'inventory.count.updated' => 'stock',
    'order.fulfillment.updated' => 'fulfillments',
    'payment.updated' => 'other',
);
my $n = 10;
for my $type (sort keys %routes) {
    my $b = event("ev-$n", $type);
    $r = $t->post('/hooks/square-conf', $b, signed($b));
    $t->accepted($r, "invsync:$routes{$type}", "$type goes to $routes{$type}");
    $n++;
}

# refusals

my $b5 = event('ev-5', 'order.created');

$m = $t->mark;
my %h = signed($b5);
$r = $t->post('/hooks/square-conf', $b5 =~ s/o-ev-5/o-ev-6/r, %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, $h{'X-Square-HmacSha256-Signature'}]);

$m = $t->mark;
$r = $t->post('/hooks/square-conf', $b5, signed($b5, key => 'not-the-key'));
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'wrong secret');

$m = $t->mark;
$r = $t->post('/hooks/square-conf', $b5, 'Content-Type' => 'application/json');
$t->refused($m, $r, 401, 'missing signature', %who, name => 'no signature header');

$m = $t->mark;
$r = $t->post('/hooks/square-conf', 'event_id=1', signed('event_id=1'));
$t->refused($m, $r, 400, 'body is not valid JSON', %who, name => 'not JSON');

$m = $t->mark;
my $noid = '{"merchant_id":"MLEFBHHSJGVHD","type":"order.created","data":{}}';
$r = $t->post('/hooks/square-conf', $noid, signed($noid));
$t->refused($m, $r, 400, 'no event id', %who, name => 'no event_id');

# rotation

$r = $t->post('/hooks/square-rot', $b5, signed($b5, key => $old));
$t->accepted($r, 'invsync:orders', 'rotation: old secret accepted');
my $b7 = event('ev-7', 'order.created');
$r = $t->post('/hooks/square-rot', $b7, signed($b7));
$t->accepted($r, 'invsync:orders', 'rotation: new secret accepted');

$t->done;
