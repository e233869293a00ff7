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
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for map_sku);
use InvsyncSetup qw(hook_locations hook_channels woo_req stripe_event_req
                    send_req refund_record woo_fixture);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'woo.secret'    => 'wsecret',
                 'stripe.secret' => 'whsec_test_amb' },
    locations => hook_locations('woo',
        ['/hooks/woo2', woocommerce => 'woo-two', 'woo.secret'], 'stripe'));

$t->run;
$t->wait_ready;
$t->plan(11);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ hook_channels('woo'),
                  { id => 'woo-two', type => 'woocommerce' },
                  hook_channels('stripe') ],
    returns => { restock_on => 'refund' });
run_worker($t, 'w', $conf);
map_sku($t, 'Bar3', 1, 22);
map_sku($t, 'CAFE-3', 2, 101);

my $n = 0;

sub woo {
    my ($path, $body) = @_;
    return send_req($t, woo_req('wd-' . ++$n, $body, path => $path));
}

sub stripe_refund {
    my ($evt, $re, $oid, $charge) = @_;
    my $ts = time;
    return send_req($t, stripe_event_req('whsec_test_amb', $evt,
        'refund.created', {
            id => $re, object => 'refund', amount => 3775,
            currency => 'usd', charge => $charge // "ch_$oid", created => $ts,
            status => 'succeeded', metadata => { order_id => $oid } },
        ts => $ts));
}

sub refund_state { refund_record($t, 'stripe-main', $_[0]) }

sub exceptions {
    my ($kind) = @_;
    return [sort @{$t->redis('KEYS', "${K}exception:$kind:*")}];
}

my $wo = woo_fixture($t);
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
