#!/usr/bin/perl

# The cases a refund leaves to a person (docs/returns.md, "Exceptions"),
# through nginx and the worker, each with the data needed to act:
# - partial refunds of one line across two refunds restock both; a third
#   that goes beyond what the order sold is refund_over_quantity and
#   restocks nothing beyond it, delivered again too; a line refunding 2
#   of 1 sold restocks 1;
# - a refund in another currency than its order's is
#   refund_currency_mismatch and moves nothing (a Shopify one with lines,
#   a Stripe one matched by metadata.order_id);
# - a line to restock whose SKU was unmapped is refund_sku_unmapped,
#   nothing moves; mapped again, `invsyncctl exceptions retry` restocks
#   it, once;
# - a refund before its order waits and, when the order comes, is counted
#   against it like any other (refund_unknown_order resolved).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     ctl map_sku);
use InvsyncSetup qw(hook_locations hook_channels shopify_req
                    stripe_event_req send_req on_hand_total audits
                    caught_up);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush',
                 'stripe.secret'  => 'whsec_test_exc' },
    locations => hook_locations(qw(shopify stripe)));

$t->run;
$t->wait_ready;
$t->plan(46);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ hook_channels(qw(shopify stripe)) ],
    returns => { restock_on => 'refund' });
run_worker($t, 'w', $conf);
map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);

my $wh = 0;

sub shopify {
    my ($topic, $body) = @_;
    return send_req($t, shopify_req($topic, 'wh-' . ++$wh, $body));
}

sub stripe {
    my ($id, $object) = @_;
    return send_req($t, stripe_event_req('whsec_test_exc', $id,
                                         'refund.created', $object));
}

# an order: [line id, SKU, quantity] each, 10.00 EUR a unit
sub order {
    my ($id, @lines) = @_;
    my $n = 0;
    $n += $_->[2] for @lines;
    return shopify('orders/create', encode_json({
        id => $id, name => "#$id", email => 'jon@example.com',
        created_at => '2026-11-20T10:00:00+01:00',
        updated_at => '2026-11-20T10:00:00+01:00',
        currency => 'EUR', total_price => sprintf('%.2f', 10 * $n),
        financial_status => 'paid', refunds => [],
        line_items => [map { { id => $_->[0], sku => $_->[1],
                               quantity => $_->[2], price => '10.00' } }
                       @lines] }));
}

# a refund of an order: [line id, SKU, quantity] each, restock "return"
sub refund_body {
    my ($id, $order, $currency, @lines) = @_;
    my $n = 0;
    $n += $_->[2] for @lines;
    return encode_json({
        id => $id, order_id => $order,
        created_at => '2026-11-21T10:00:00Z',
        processed_at => '2026-11-21T10:00:00Z',
        refund_line_items => [map {
            { id => $id * 10 + $_->[0] % 10, line_item_id => $_->[0],
              quantity => $_->[2], restock_type => 'return',
              subtotal => sprintf('%.2f', 10 * $_->[2]),
              line_item => { id => $_->[0], sku => $_->[1] } } } @lines],
        transactions => [ { kind => 'refund', status => 'success',
                            amount => sprintf('%.2f', 10 * $n),
                            currency => $currency } ] });
}

sub refund { return shopify('refunds/create', refund_body(@_)) }

sub on_hand { on_hand_total($t, $_[0]) }

sub exception {
    my ($id) = @_;
    my %x = @{$t->redis('HGETALL', "${K}exception:$id")};
    $x{data} = decode_json($x{data}) if defined $x{data};
    return %x ? \%x : undef;
}

sub records { audits($t, $_[0], event => $_[1]) }

# every refund delivered so far worked through (read and acknowledged)
sub settled { wait_for(20, sub { caught_up($t, 'invsync:refunds') }) }

sub decision {
    my ($refund, $line) = @_;
    my ($e) = grep { ($_->{cause} // '') eq "restock:shop-eu:$refund:$line" }
              @{records('refund.restock')};
    return $e ? decode_json($e->{decision} // '{}') : undef;
}

# ---- more units refunded than sold -----------------------------------

order(601, [9101, 'SKU-A', 2], [9102, 'SKU-B', 1]);
ok(wait_for(10, sub { $t->redis('HGET', "${K}order:shop-eu:601", 'data') }),
   'order 601 recorded: 2 x SKU-A, 1 x SKU-B');
my ($a0, $b0) = (on_hand('SKU-A'), on_hand('SKU-B'));

refund(8001, 601, 'EUR', [9101, 'SKU-A', 1]);
ok(wait_for(10, sub { decision(8001, 9101) }), 'first partial refund');
refund(8002, 601, 'EUR', [9101, 'SKU-A', 1]);
ok(wait_for(10, sub { decision(8002, 9101) }), 'second partial refund');
is(on_hand('SKU-A') - $a0, 2, 'two partial refunds of one line: both '
   . 'restocked');
is_deeply([grep { /^refund_over/ }
           @{$t->redis('ZRANGE', "${K}exceptions:all", 0, -1)}], [],
          'no exception: 2 of 2 sold refunded');

refund(8003, 601, 'EUR', [9101, 'SKU-A', 1]);
my $x = wait_for(10, sub {
    exception('refund_over_quantity:shop-eu:8003:9101') });
is($x->{state}, 'open', 'a third refund of the line: refund_over_quantity');
is_deeply({ map { $_ => $x->{data}{$_} }
            qw(order refund_id line sku sold refunded_before quantity
               restockable beyond_sold currency) },
          { order => 'shop-eu:601', refund_id => '8003', line => '9101',
            sku => 'SKU-A', sold => 2, refunded_before => 2, quantity => 1,
            restockable => 0, beyond_sold => 1, currency => 'EUR' },
          'with the order, the refund, the line, what was sold and '
          . 'refunded before');
is($x->{order}, 'shop-eu:601', 'listed under its order');
ok(wait_for(10, sub { decision(8003, 9101) }), 'its line decided');
is(decision(8003, 9101)->{reason}, 'beyond_sold',
   'not restocked: beyond what was sold');
is(on_hand('SKU-A') - $a0, 2, 'on hand: nothing beyond what was sold');

# delivered again: nothing more, the exception opened once
refund(8003, 601, 'EUR', [9101, 'SKU-A', 1]);
ok(settled(), 'the third refund delivered again');
is(on_hand('SKU-A') - $a0, 2, 'still nothing beyond what was sold');
is(scalar(grep { ($_->{exception} // '') eq
                 'refund_over_quantity:shop-eu:8003:9101' }
          @{records('exception.open')}), 1, 'the exception opened once');

# 2 of the 1 SKU-B sold: 1 restocked, 1 beyond
refund(8004, 601, 'EUR', [9102, 'SKU-B', 2]);
$x = wait_for(10, sub {
    exception('refund_over_quantity:shop-eu:8004:9102') });
is_deeply([@{$x->{data}}{qw(sold quantity restockable beyond_sold)}],
          [1, 2, 1, 1], 'a line of 2 for 1 sold: its exception');
ok(wait_for(10, sub { decision(8004, 9102) }), 'its line decided');
is(on_hand('SKU-B') - $b0, 1, 'the 1 sold restocked, not 2');
is(decision(8004, 9102)->{quantity}, 1, 'the decision names the 1');

# ---- currency mismatch -------------------------------------------------

my $a1 = on_hand('SKU-A');
order(602, [9201, 'SKU-A', 1]);
ok(wait_for(10, sub { $t->redis('HGET', "${K}order:shop-eu:602", 'data') }),
   'order 602 recorded, in EUR');
refund(8005, 602, 'USD', [9201, 'SKU-A', 1]);
$x = wait_for(10, sub {
    exception('refund_currency_mismatch:shop-eu:shop-eu:602:8005') });
is($x->{state}, 'open', 'a refund in USD of a EUR order: '
   . 'refund_currency_mismatch');
is_deeply([$x->{data}{refund}{currency}, $x->{data}{refund}{amount_minor},
           $x->{data}{order}{currency}, $x->{data}{order}{total_minor},
           scalar @{$x->{data}{refund}{lines}}],
          ['USD', 1000, 'EUR', 1000, 1],
          'with the refund (its lines, amount, currency) and the order\'s');
is($t->redis('EXISTS', "${K}refund:shop-eu:8005"), 0, 'not recorded');
is(on_hand('SKU-A') - $a1, 0, 'nothing restocked');

stripe('evt_usd', { id => 're_usd', object => 'refund', amount => 1000,
                    currency => 'usd', charge => 'ch_usd',
                    created => time, status => 'succeeded',
                    metadata => { order_id => '602' } });
$x = wait_for(10, sub {
    exception('refund_currency_mismatch:stripe-main:shop-eu:602:re_usd') });
is_deeply([$x->{state}, $x->{data}{order}{channel},
           $x->{data}{refund}{currency}],
          ['open', 'shop-eu', 'USD'],
          'a Stripe refund in USD matched to the EUR order: the same');

# ---- a SKU no longer mapped -----------------------------------------

my $c0 = on_hand('SKU-C');
order(603, [9301, 'SKU-C', 1]);
ok(wait_for(10, sub { $t->redis('HGET', "${K}order:shop-eu:603", 'data') }),
   'order 603 recorded with SKU-C mapped');
my ($rc, $out) = ctl($t, $conf, 'sku', 'unmap', 'SKU-C', '--channel',
                     'shop-eu', '--why', 'test');
is($rc, 0, 'SKU-C unmapped from shop-eu') or diag($out);

refund(8006, 603, 'EUR', [9301, 'SKU-C', 1]);
my $xid = 'refund_sku_unmapped:shop-eu:8006:9301';
$x = wait_for(10, sub { exception($xid) });
is($x->{state}, 'open', 'its refund: refund_sku_unmapped');
is_deeply([@{$x->{data}}{qw(order refund_id sku quantity currency)},
           $x->{data}{line}{channel_line_id}],
          ['shop-eu:603', '8006', 'SKU-C', 1, 'EUR', '9301'],
          'with the order, the refund, the line, its SKU and quantity');
is(on_hand('SKU-C') - $c0, 0, 'nothing moved');
ok($t->redis('EXISTS', "${K}refund:shop-eu:8006"),
   'the refund itself recorded');

($rc, $out) = ctl($t, $conf, 'sku', 'map', 'SKU-C', '--channel', 'shop-eu',
                  '--inventory-item', '333', '--location', '9');
is($rc, 0, 'SKU-C mapped again') or diag($out);
($rc, $out) = ctl($t, $conf, 'exceptions', 'retry', $xid);
is($rc, 0, 'exceptions retry') or diag($out);
ok(wait_for(10, sub { (exception($xid)->{state} // '') eq 'resolved' }),
   'the retry resolves it');
is(on_hand('SKU-C') - $c0, 1, 'and restocks the unit');

refund(8006, 603, 'EUR', [9301, 'SKU-C', 1]);
ok(settled(), 'the refund delivered again');
is(on_hand('SKU-C') - $c0, 1, 'once');

# ---- a refund before its order ---------------------------------------

my $b1 = on_hand('SKU-B');
refund(8007, 604, 'EUR', [9401, 'SKU-B', 1]);
ok(wait_for(10, sub { exception('refund_unknown_order:shop-eu:wh-' . $wh) }),
   'a refund before its order: refund_unknown_order');
order(604, [9401, 'SKU-B', 1]);
ok(wait_for(10, sub {
    (exception('refund_unknown_order:shop-eu:wh-' . ($wh - 1))->{state}
     // '') eq 'resolved' }), 'the order arrives: resolved');
ok(wait_for(10, sub { on_hand('SKU-B') - $b1 == 1 }),
   'its line restocked');
is($t->redis('HGET', "${K}refunded:shop-eu:604", 'units:9401'), 1,
   'and counted against the order');

# ---- a refund whose order came without seeing it wait ----------------
# The order's look for waiting refunds can miss one (recorded between the
# refund's own look and its wait; the fault run found it), and a worker
# killed after the exception opened delivers the refund again: the refund
# that then finds its order resolves its own exception.

my $a2 = on_hand('SKU-A');
refund(8008, 605, 'EUR', [9501, 'SKU-A', 1]);
my $xw = 'refund_unknown_order:shop-eu:wh-' . $wh;
ok(wait_for(10, sub { ((exception($xw) // {})->{state} // '') eq 'open' }),
   'a refund before its order waits');
$t->redis('SREM', "${K}refundwaits", 'own:shop-eu:605');
order(605, [9501, 'SKU-A', 1]);
ok(wait_for(10, sub { $t->redis('EXISTS', "${K}order:shop-eu:605") }),
   'its order recorded without seeing the wait');
my $rid = 'wh-' . ($wh - 1);
my ($entry) = grep { my %f = @{$_->[1]}; ($f{event} // '') eq $rid }
              @{$t->redis('XRANGE', 'invsync:refunds', '-', '+')};
die "t/refund_exc.t: no stream entry of $rid\n" unless $entry;
$t->redis('XADD', 'invsync:refunds', '*', @{$entry->[1]});
ok(wait_for(10, sub { ((exception($xw) // {})->{state} // '') eq 'resolved' }),
   'the refund delivered again finds its order: its exception resolved');
ok(wait_for(10, sub { on_hand('SKU-A') - $a2 == 1 }), 'its line restocked');
is($t->redis('EXISTS', "${K}refundwait:own:shop-eu:605"), 0,
   'and it waits no longer');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
