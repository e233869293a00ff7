#!/usr/bin/perl

# A payment reference two orders claim (docs/refunds.md, K payref:): two
# WooCommerce channels' orders with the same id both name "order:1001",
# and a Stripe refund naming only that reference (metadata.order_id) is
# refund_ambiguous_payment, applied to neither; one order delivered twice
# (a redelivery, an edit) is one claim, and its refund is applied once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Digest::SHA qw(hmac_sha256_hex);
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'woo.secret'    => 'wsecret',
                 'stripe.secret' => 'whsec_test_amb' },
    locations => <<'EOF');
        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-main;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }

        location = /hooks/woo2 {
            invsync_webhook woocommerce;
            invsync_channel woo-two;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }

        location = /hooks/stripe {
            invsync_webhook stripe;
            invsync_channel stripe-main;
            invsync_secret_file %%TESTDIR%%/stripe.secret;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(11);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  { id => 'woo-two', type => 'woocommerce' },
                  { id => 'stripe-main', type => 'stripe' } ],
    returns => { restock_on => 'refund' });
run_worker($t, 'w', $conf);
map_sku($t, 'Bar3', 1, 22);
map_sku($t, 'CAFE-3', 2, 101);

my $n = 0;

sub woo {
    my ($path, $body) = @_;
    return $t->post($path, $body,
        'X-WC-Webhook-Signature' => hmac_b64($body, 'wsecret'),
        'X-WC-Webhook-Topic' => 'order.updated',
        'X-WC-Webhook-Resource' => 'order',
        'X-WC-Webhook-Event' => 'updated',
        'X-WC-Webhook-Source' => 'https://shop.example.com/',
        'X-WC-Webhook-Delivery-ID' => 'wd-' . ++$n,
        'Content-Type' => 'application/json');
}

sub stripe_refund {
    my ($evt, $re, $oid, $charge) = @_;
    my $ts = time;
    my $body = encode_json({ id => $evt, object => 'event',
        type => 'refund.created', api_version => '2024-06-20',
        created => $ts, data => { object => {
            id => $re, object => 'refund', amount => 3775,
            currency => 'usd', charge => $charge // "ch_$oid", created => $ts,
            status => 'succeeded', metadata => { order_id => $oid } } } });
    my $v1 = hmac_sha256_hex("$ts.$body", 'whsec_test_amb');
    return $t->post('/hooks/stripe', $body,
                    'Stripe-Signature' => "t=$ts,v1=$v1",
                    'Content-Type' => 'application/json');
}

sub refund_state {
    my ($id) = @_;
    my $d = $t->redis('HGET', "${K}refund:stripe-main:$id", 'data');
    return $d ? decode_json($d) : undef;
}

sub exceptions {
    my ($kind) = @_;
    return [sort @{$t->redis('KEYS', "${K}exception:$kind:*")}];
}

my $wo = decode_json($t->read_file("$FindBin::Bin/fixtures/woocommerce/"
                                   . 'order_updated_processing/body.json'));
my $order = sub { encode_json({ %$wo, id => $_[0], number => "$_[0]",
                                transaction_id => $_[1] // '' }) };

# order 1001 in both WooCommerce channels (woo-two's paid by Stripe charge
# ch_two); order 2002 delivered twice
woo('/hooks/woo', $order->(1001));
woo('/hooks/woo2', $order->(1001, 'ch_two'));
woo('/hooks/woo', $order->(2002));
woo('/hooks/woo', $order->(2002));
ok(wait_for(10, sub {
       $t->redis('HGET', "${K}order:woo-main:1001", 'data')
       && $t->redis('HGET', "${K}order:woo-two:1001", 'data')
       && $t->redis('HGET', "${K}order:woo-main:2002", 'data') }),
   'orders recorded');
is_deeply([sort grep { /^claim:/ }
           @{$t->redis('HKEYS', "${K}payref:order:1001")}],
          ['claim:woo-main:1001', 'claim:woo-two:1001'],
          'order:1001 claimed by both channels\' orders');
is_deeply([grep { /^claim:/ } @{$t->redis('HKEYS', "${K}payref:order:2002")}],
          ['claim:woo-main:2002'], 'order:2002 by one order, twice');

# a Stripe refund naming only order:1001: neither order
is(stripe_refund('evt_a1', 're_a1', '1001')->{status}, 200,
   'Stripe refund of order:1001 accepted');
my $x = wait_for(10, sub { my $k = exceptions('refund_ambiguous_payment');
                           @$k ? $k : undef });
ok($x && @$x == 1, 'one refund_ambiguous_payment exception');
my %h = $x ? @{$t->redis('HGETALL', $x->[0])} : ();
like($h{summary} // join(' ', %h),
     qr/order:1001 \(woo-(main|two):1001, woo-(main|two):1001\)/,
     'its summary names the reference and both orders');
ok(!refund_state('re_a1'), 'the refund applied to neither order');

# a Stripe refund naming order:2002: its one order, once
stripe_refund('evt_b1', 're_b1', '2002');
stripe_refund('evt_b1', 're_b1', '2002');
my $r = wait_for(10, sub { refund_state('re_b1') });
is_deeply($r && [@$r{qw(order_channel order_id matched_by)}],
          ['woo-main', '2002', 'order:2002'],
          'the redelivered order\'s refund applied, by order:2002');
is_deeply([map { s/^.*exception://r } @{exceptions('refund_*')}],
          ['refund_ambiguous_payment:stripe-main:evt_a1'],
          'no other refund exception (order:2002 is one claim)');

# naming order:1001 and a charge one order claims: that order
stripe_refund('evt_c1', 're_c1', '1001', 'ch_two');
$r = wait_for(10, sub { refund_state('re_c1') });
is_deeply($r && [@$r{qw(order_channel order_id matched_by)}],
          ['woo-two', '1001', 'txn:ch_two'],
          'a refund also naming woo-two\'s charge: woo-two\'s order, by it');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
