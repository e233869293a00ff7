#!/usr/bin/perl

# Payment providers' refunds matched to a store's orders (issue 11;
# docs/events.md "refund"), through nginx and the worker: a Stripe
# charge.refunded of a WooCommerce order's whole total, found by the
# order's transaction_id (the charge), takes the order's lines; a partial
# Stripe refund found by metadata.order_id is refund_amount_only with the
# WooCommerce order's total; a Square refund.created finds the
# WooCommerce order its Square gateway paid (transaction_id = the Square
# payment).  (Stripe to Shopify: t/refund.t.)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for map_sku);
use InvsyncSetup qw(hook_locations hook_channels woo_req stripe_event_req
                    square_req send_req refund_record woo_fixture);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'woo.secret'    => 'wsecret',
                 'stripe.secret' => 'whsec_test_match',
                 'square.secret' => 'sq_Sig-Key_123' },
    locations => hook_locations(qw(woo stripe square)));

$t->run;
$t->wait_ready;
$t->plan(10);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ hook_channels(qw(woo stripe square)) ],
    returns => { restock_on => 'refund' });
run_worker($t, 'w', $conf);
map_sku($t, 'Bar3', 1, 22);
map_sku($t, 'CAFE-3', 2, 101);

my $n = 0;

sub woo { send_req($t, woo_req('wd-' . ++$n, $_[0])) }
sub stripe { send_req($t, stripe_event_req('whsec_test_match', @_)) }
sub square { send_req($t, square_req($_[0])) }
sub refund_state { refund_record($t, @_) }

# three WooCommerce orders (37.75 USD each): 727 paid by a Stripe charge,
# 728 by nothing the refund names but its id, 729 by a Square payment
my $wo = woo_fixture($t);
my %pay = (727 => 'ch_3PjK2', 728 => '', 729 => 'sqpay_729');
for my $id (sort keys %pay) {
    woo(encode_json({ %$wo, id => $id, number => "$id",
                      transaction_id => $pay{$id} }));
}
ok(wait_for(10, sub { 3 == grep { $t->redis('HGET',
                                            "${K}order:woo-main:$_", 'data') }
                                 keys %pay }),
   'three WooCommerce orders recorded');
is($t->redis('HGET', "${K}payref:txn:sqpay_729", 'order'), '729',
   'indexed by their transaction ids');

# Stripe: the whole total, by the charge the order names
is(stripe('evt_w1', 'charge.refunded', {
    id => 'ch_3PjK2', object => 'charge', amount => 3775,
    amount_refunded => 3775, currency => 'usd', created => time,
    refunded => JSON::PP::true, metadata => {},
    refunds => { object => 'list', data => [
        { id => 're_w1', object => 'refund', amount => 3775,
          charge => 'ch_3PjK2', currency => 'usd', created => time,
          status => 'succeeded', metadata => {} } ] } })->{status}, 200,
   'Stripe charge.refunded accepted');
my $r = wait_for(10, sub { refund_state('stripe-main', 're_w1') });
is_deeply([@$r{qw(order_channel order_id matched_by lines_from)}],
          ['woo-main', '727', 'txn:ch_3PjK2', 'order'],
          'matched to WooCommerce order 727 by its charge; the whole total');
is_deeply([map { "$_->{channel_line_id}x$_->{quantity}" } @{$r->{lines}}],
          ['315x2', '316x1', '319x3'], 'with every line of the order');

# Stripe: a part, by metadata.order_id
stripe('evt_w2', 'refund.created', {
    id => 're_w2', object => 'refund', amount => 500, currency => 'usd',
    charge => 'ch_other', created => time, status => 'succeeded',
    metadata => { order_id => '728' } });
my $x = wait_for(10, sub {
    my %h = @{$t->redis('HGETALL', "${K}exception:refund_amount_only:"
                        . 'stripe-main:woo-main:728:re_w2')};
    %h ? \%h : undef });
is($x->{state}, 'open', 'a partial Stripe refund of order 728 (by '
   . 'metadata.order_id): refund_amount_only');
my $xd = decode_json($x->{data});
is_deeply([$xd->{refund}{amount_minor}, $xd->{order}{channel},
           $xd->{order}{total_minor}, $xd->{order}{currency}],
          [500, 'woo-main', 3775, 'USD'],
          'with the WooCommerce order\'s total');

# Square: the whole total, by the payment the order names
my $sq = decode_json($t->read_file("$FindBin::Bin/fixtures/square/"
                                   . 'refund_updated/body.json'));
my $obj = $sq->{data}{object}{refund};
$obj->{payment_id} = 'sqpay_729';
$obj->{amount_money}{amount} = 3775;
$sq->{type} = 'refund.created';
$sq->{event_id} = '3e1b6a7c-2f4d-4b8e-9a61-000000000729';
is(square(encode_json($sq))->{status}, 200, 'Square refund.created accepted');
$r = wait_for(10, sub { refund_state('sq-main', $obj->{id}) });
is_deeply([@$r{qw(order_channel order_id matched_by lines_from)}],
          ['woo-main', '729', 'txn:sqpay_729', 'order'],
          'matched to WooCommerce order 729 by its Square payment, not the '
          . 'Square order id');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
