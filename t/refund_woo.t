#!/usr/bin/perl

# WooCommerce refunds read from the API (docs/returns.md): an
# order.updated naming a refund by id and total only makes the worker
# read GET /wp-json/wc/v3/orders/<id>/refunds from the WooCommerce
# simulator, on its curl multi, and record the refund with its lines (a
# partial refund is no longer an amount-only exception); the same webhook
# again reads nothing more; a read the shop answers with a 500 is read
# again; later refunds of the same line are counted against what was
# sold (refund_over_quantity), all through nginx and the real worker.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries map_sku);
use InvsyncSim;
use InvsyncSetup qw(hook_locations woo_req send_req refund_record caught_up);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'woo.secret' => 'wsecret' },
    locations => hook_locations('woo'));

$t->run;
$t->wait_ready;
$t->plan(22);

my $K = 'invsync:{invsync}:';
$t->write_file('woo.keys', "ck_test:cs_test\n");
my $woo = InvsyncSim::start($t, 'woocommerce');
InvsyncSim::items($t, 'woocommerce',
    { id => 22, sku => 'Bar3', price => '12.00', stock_quantity => 10 },
    { id => 101, sku => 'CAFE-3', price => '10.00', stock_quantity => 10 });

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { heartbeat_ms => 200, reconcile_s => 0 },
    channels => [ { id => 'woo-main', type => 'woocommerce',
                    api_base => $woo,
                    credentials_file => $t->dir . '/woo.keys' } ],
    returns => { restock_on => 'refund' });
map_sku($t, 'Bar3', 1, 22);
map_sku($t, 'CAFE-3', 2, 101);
run_worker($t, 'w', $conf);

my $n = 0;

sub woo { send_req($t, woo_req('wd-' . ++$n, encode_json($_[0]))) }

sub reads {
    my ($oid) = @_;
    return scalar grep { $_->{method} eq 'GET'
                         && $_->{path} =~ m{^/wp-json/wc/v3/orders/$oid/refunds} }
                  @{InvsyncSim::requests($t, 'woocommerce')};
}

sub refund_state { refund_record($t, 'woo-main', $_[0]) }

sub settled {
    return wait_for(20, sub { caught_up($t, 'invsync:orders',
                                        'invsync:refunds') });
}

# an order: 2 x Bar3, 3 x CAFE-3 (54.00 USD)
my $o = InvsyncSim::order($t, 'woocommerce', currency => 'USD',
                          line_items => [ { product_id => 22, quantity => 2 },
                                          { product_id => 101, quantity => 3 } ]);
my $oid = $o->{id};
my ($bar, $cafe) = map { $_->{id} } @{$o->{line_items}};
is(woo($o)->{status}, 200, 'the order accepted');
ok(wait_for(10, sub { $t->redis('HGET', "${K}order:woo-main:$oid", 'data') }),
   'and recorded');

# a partial refund: 1 x Bar3, made in the shop; its webhook names it only
my $r1 = InvsyncSim::call($t, 'woocommerce', 'refund', order_id => $oid,
                          reason => 'broken', line_items => [
                              { id => $bar, quantity => 1 } ]);
my $rid1 = $r1->{refund}{id};
is(woo($r1->{order})->{status}, 200, 'order.updated with the refund accepted');

my $st = wait_for(20, sub { refund_state($rid1) });
ok($st, 'the refund read from the API and recorded');
is_deeply([@$st{qw(order_id lines_from currency amount_minor reason)}],
          ["$oid", 'refund', 'USD', 1200, 'broken'],
          'against its order, with its own lines, its amount and currency');
is_deeply([map { "$_->{channel_line_id}:$_->{sku}x$_->{quantity}" }
           @{$st->{lines}}], ["$bar:Bar3x1"],
          'the line: the order line it refunds, its SKU and quantity');
is(reads($oid), 1, 'one read');
is_deeply([grep { /^refund_amount_only/ }
           @{$t->redis('ZRANGE', "${K}exceptions:all", 0, -1)}], [],
          'a partial refund with lines: no amount-only exception');
my ($dec) = grep { ($_->{action} // '') eq 'refund.restock' }
            @{audit_entries($t)};
is(decode_json($dec->{decision} // '{}')->{reason}, 'channel_not_restocked',
   'not restocked: WooCommerce restocks itself, and says so in '
   . 'product.updated');

# the same webhook again: recorded already, nothing read
woo($r1->{order}) for 1 .. 3;
ok(settled(), 'delivered 3 times more');
is(reads($oid), 1, 'still one read');

# two more refunds of Bar3 (2 sold), the shop's API failing once
my $r2 = InvsyncSim::call($t, 'woocommerce', 'refund', order_id => $oid,
                          line_items => [ { id => $bar, quantity => 1 } ]);
my $r3 = InvsyncSim::call($t, 'woocommerce', 'refund', order_id => $oid,
                          line_items => [ { id => $bar, quantity => 1 } ]);
InvsyncSim::fail($t, 'woocommerce', mode => '5xx', status => 500,
                 count => 1);
woo($r3->{order});
ok(wait_for(30, sub { refund_state($r3->{refund}{id}) }),
   'read again after the 500: the third refund recorded');
is(reads($oid), 3, 'the failed read and the one after it');
ok(refund_state($r2->{refund}{id}), 'the second too');
my $x = wait_for(10, sub {
    my %h = @{$t->redis('HGETALL', "${K}exception:refund_over_quantity:"
                        . "woo-main:$r3->{refund}{id}:$bar")};
    %h ? \%h : undef });
is_deeply([@{decode_json($x->{data} // '{}')}{qw(sold refunded_before
                                                 beyond_sold)}],
          [2, 2, 1], 'the third, beyond the 2 sold: refund_over_quantity');
is($t->redis('HLEN', "${K}refundread:fails"), 0,
   'no failure left once read');

# two workers on one due set: the orders' refunds made while no worker
# runs, then both started at once, each scanning K refundread:due every
# 20 ms; a claim is taken only while still due (ship_claim.lua), so each
# order is read once.  The race a "ZADD XX GT" claim left (both workers
# read the due set before either claims) is under a millisecond wide:
# this guards the property, it does not force the race
my @more = map { InvsyncSim::order($t, 'woocommerce', currency => 'USD',
                     line_items => [ { product_id => 22, quantity => 1 } ]) }
           1 .. 12;
woo($_) for @more;
ok(wait_for(20, sub { !grep { !$t->redis('HGET', "${K}order:woo-main:$_->{id}",
                                         'data') } @more }),
   'twelve more orders recorded');
is(stop_worker($t, 'w'), 0, 'the worker stopped');
my @rs = map { InvsyncSim::call($t, 'woocommerce', 'refund',
                   order_id => $_->{id},
                   line_items => [ { id => $_->{line_items}[0]{id},
                                     quantity => 1 } ]) } @more;
woo($_->{order}) for @rs;
run_worker($t, 'wa', $conf);
run_worker($t, 'wb', $conf);
ok(wait_for(30, sub { !grep { !refund_state($_->{refund}{id}) } @rs })
   && settled(), 'two workers: every refund read and recorded');
select(undef, undef, undef, 0.5);
is_deeply([map { reads($_->{id}) } @more], [(1) x @more],
          "each order's refunds read once, by one of the two");
is(stop_worker($t, 'wb'), 0, 'the second worker stops cleanly');

is(stop_worker($t, 'wa'), 0, 'worker stops cleanly');

$t->done;
