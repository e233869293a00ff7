#!/usr/bin/perl

# The shipbob scheme through nginx and Redis, with the 3PL simulator
# (t/lib/InvsyncSim/ThreePL.pm) sending order.shipped as ShipBob does:
# Standard Webhooks signing with the whsec_ key, the event id from
# webhook-id, the topic from x-webhook-topic, so the notice lands on the
# fulfillments stream under the 3PL account's channel; a redelivery with
# the same webhook-id is one event, a new id another; a wrong key, a stale
# timestamp and a missing id are refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use InvsyncTest;
use InvsyncSim;

my $J = JSON::PP->new->canonical;
my $key = 'the 3pl webhook key, 32 bytes!!!';
my $std = 'whsec_' . encode_base64($key, '');

my $t = InvsyncTest->setup(
    secrets => { 'sb.secret' => $std },
    locations => <<'EOF');
        location = /hooks/shipbob {
            invsync_webhook shipbob;
            invsync_channel sb-us;
            invsync_secret_file %%TESTDIR%%/sb.secret;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(15);

my $hook = 'http://127.0.0.1:' . $t->port('http') . '/hooks/shipbob';
my $base = InvsyncSim::start($t, '3pl', token => 'sb_pat_sim',
    channel_id => 4242, webhook_secret => $std, webhook_url => $hook,
    items => [{ reference_id => 'MUG', name => 'Mug' }]);
my $http = HTTP::Tiny->new(timeout => 5);

sub create {
    my ($ref) = @_;
    my $r = $http->request('POST', "$base/2026-07/order", {
        headers => { Authorization => 'Bearer sb_pat_sim',
                     shipbob_channel_id => 4242,
                     'Content-Type' => 'application/json' },
        content => $J->encode({ reference_id => $ref,
            shipping_method => 'Standard',
            recipient => { name => 'A B', address => {
                address1 => '1 Main St', city => 'Chicago',
                country => 'US' } },
            products => [{ reference_id => 'MUG', quantity => 1 }] }) });
    return $r->{status};
}

sub stream { $t->redis('XRANGE', "invsync:$_[0]", '-', '+') // [] }
sub last_n { my $w = InvsyncSim::webhooks($t, '3pl'); @$w ? $w->[-1]{n} : 0 }

# order.shipped, signed, to the fulfillments stream

is(create('shop-1:1001@3pl-us'), 201, 'the 3PL has the order');
my $w0 = last_n();
InvsyncSim::call($t, '3pl', 'ship', reference_id => 'shop-1:1001@3pl-us',
                 tracking_number => '9400111', carrier => 'USPS');
my $w = InvsyncSim::wait_webhooks($t, '3pl', 1, since => $w0);
is($w->[0]{status}, 200, 'nginx accepts the signed notice');
my $f = stream('fulfillments');
is(scalar @$f, 1, 'one event on the fulfillments stream');
my %ev = @{$f->[0][1]};
is_deeply([@ev{qw(channel scheme topic event)}],
          ['sb-us', 'shipbob', 'order.shipped',
           $w->[0]{headers}{'webhook-id'}],
          'channel, scheme, topic from x-webhook-topic, id from webhook-id');
my $body = $J->decode($ev{body});
is_deeply([$body->{reference_id}, $body->{tracking}{tracking_number}],
          ['shop-1:1001@3pl-us', '9400111'], 'the body as sent');
is(scalar @{stream('other')}, 0, 'nothing on the other stream');

# twice with one webhook-id: one event; with two: two

create('shop-1:1002@3pl-us');
$w0 = last_n();
InvsyncSim::call($t, '3pl', 'ship', reference_id => 'shop-1:1002@3pl-us',
                 times => 2, gap_ms => 200);
$w = InvsyncSim::wait_webhooks($t, '3pl', 2, since => $w0);
ok(@$w == 2
   && $w->[0]{headers}{'webhook-id'} eq $w->[1]{headers}{'webhook-id'}
   && $w->[1]{status} == 200, 'delivered twice, one webhook-id, both 200');
is(scalar @{stream('fulfillments')}, 2, 'the second one is a duplicate');

create('shop-1:1003@3pl-us');
$w0 = last_n();
InvsyncSim::call($t, '3pl', 'ship', reference_id => 'shop-1:1003@3pl-us',
                 times => 2, same_id => JSON::PP::false);
$w = InvsyncSim::wait_webhooks($t, '3pl', 2, since => $w0);
is(scalar @{stream('fulfillments')}, 4,
   'two webhook-ids: two events (the worker confirms once)');

# refusals

my $n = scalar @{stream('fulfillments')};
my $b = '{"reference_id":"x","order_id":1,"status":"Completed"}';
my $ts = time;

sub post {
    my (%h) = @_;
    return $http->request('POST', $hook, { headers => {
        'Content-Type' => 'application/json',
        'x-webhook-topic' => 'order.shipped', %h }, content => $b });
}

sub sig { 'v1,' . encode_base64(hmac_sha256("$_[0].$_[1].$b", $_[2]), '') }

my $r = post('webhook-id' => 'msg_1', 'webhook-timestamp' => $ts,
             'webhook-signature' => sig('msg_1', $ts, $key));
is($r->{status}, 200, 'a notice signed by hand: accepted');
$r = post('webhook-id' => 'msg_2', 'webhook-timestamp' => $ts,
          'webhook-signature' => sig('msg_2', $ts, 'x' x 32));
is($r->{status}, 401, 'another key: 401');
$r = post('webhook-id' => 'msg_3', 'webhook-timestamp' => $ts - 3600,
          'webhook-signature' => sig('msg_3', $ts - 3600, $key));
is($r->{status}, 401, 'an hour old: 401');
$r = post('webhook-timestamp' => $ts,
          'webhook-signature' => sig('', $ts, $key));
ok($r->{status} == 400 || $r->{status} == 401, "no webhook-id: refused ($r->{status})");
is(scalar @{stream('fulfillments')}, $n + 1, 'only the good one stored');
is(scalar @{stream('other')}, 0, 'nothing elsewhere');

$t->done;
