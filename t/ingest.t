#!/usr/bin/perl

# Ingestion through nginx and Redis: a signed event is stored byte for byte
# with the whole envelope of CONTRACT section 4, its answer names the stream
# entry, and the log variables carry the outcome.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use InvsyncTest qw(hmac_b64);

my $secret = 'hush';

my $t = InvsyncTest->setup(
    secrets => { 'shopify.secret' => $secret },
    http => <<'HTTP', locations => <<'EOF');
    log_format invsync '$invsync_result|$invsync_topic|$invsync_event_id|$invsync_stream_id';
HTTP
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
            access_log %%TESTDIR%%/logs/access.log invsync;
        }

        location = /other {
            return 204;
        }
EOF

$t->run;
$t->plan(17);

my $body = '{"id":820982911946154508,"email":"jon@example.com","note":"caf\u00e9 '
    . "\xc3\xa9" . '"}';
my %h = (
    'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
    'X-Shopify-Topic' => 'orders/create',
    'X-Shopify-Webhook-Id' => 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com',
    'Content-Type' => 'application/json',
);

my $before = int(time * 1000);
my $r = $t->post('/hooks/shopify', $body, %h);
is($r->{status}, 200, 'signed event accepted');
is($r->{headers}{'content-type'}, 'application/json', 'answer is JSON');

my $j = decode_json($r->{content});
is($j->{status}, 'accepted', 'status accepted');
is($j->{stream}, 'invsync:orders', 'orders/create goes to the orders stream');
like($j->{id}, qr/^\d+-\d+$/, 'answer names the stream entry');

my $entries = $t->stream('invsync:orders');
is(scalar @$entries, 1, 'one stream entry');
my ($id, $f) = @{$entries->[0]};
is($id, $j->{id}, 'entry id as answered');
is_deeply([sort keys %$f],
          [sort qw(v channel scheme account topic event received body)],
          'envelope fields of version 1');
is_deeply([@$f{qw(v channel scheme account topic)}],
          ['1', 'shop-eu', 'shopify', 'shop-eu.myshopify.com', 'orders/create'],
          'envelope values');
is($f->{event}, 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
   'event id is the webhook id');
ok($f->{received} >= $before - 1000 && $f->{received} <= time * 1000 + 1000,
   'received is Unix milliseconds');
is($f->{body}, $body, 'body stored byte for byte');

# the event id header is preferred: shared across subscriptions
$r = $t->post('/hooks/shopify', $body, %h, 'X-Shopify-Event-Id' => 'ev-77',
              'X-Shopify-Webhook-Id' => 'other-delivery');
is(decode_json($r->{content})->{status}, 'accepted', 'event id header used');
is($t->stream('invsync:orders')->[1][1]{event}, 'ev-77', 'event id stored');

is($t->get('/other')->{status}, 204, 'other locations unaffected');

$t->stop_nginx;
my @log = split /\n/, $t->read_file('logs/access.log');
is($log[0], "accepted|orders/create|b54557e4-bdd9-4b37-8a5f-bf7d70bcd043|$j->{id}",
   'log variables');
like($log[1] // '', qr/^accepted\|orders\/create\|ev-77\|\d+-\d+$/,
     'second log line');

$t->done;
