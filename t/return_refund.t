#!/usr/bin/perl

# A return received at a 3PL, end to end (issue 11's test, docs/returns.md
# "RMA", docs/refunds.md): a Shopify order made on the Shopify simulator
# (with tax), its signed orders/create through nginx, routed to the 3pl
# location and shipped by the ShipBob simulator; its RMA opened; the 3PL's
# signed return.completed through nginx with one resellable and one
# quarantined (damaged) unit, under refund_on receipt: the resellable unit
# back on hand at the 3PL location that shipped it, the damaged one in
# damaged:<loc> (invsyncctl stock get shows it; no channel counts it),
# Shopify and WooCommerce showing the new quantity, the refund made on
# Shopify once (refundCreate: the resellable unit and its share of tax,
# not restocked by Shopify), the RMA's due the same amount, and its
# refunds/create back through nginx recorded as ours; the notice delivered 5 more times and its stream
# entry replayed: no second refund, restock or journal entry.  A
# WooCommerce order with tax returned the same way: the due and
# WooCommerce's refund agree, tax included.  The whole journal sums to
# zero per currency.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for ctl
                     map_sku audit_entries);
use InvsyncSetup qw(hook_locations sb_secrets start_3pl sb_channel
                    tpl_location route_all accounts);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test',
                 'woo.secret' => 'wsec', 'woo.keys' => 'ck_test:cs_test',
                 sb_secrets() },
    locations => hook_locations('shopify', 'woo', 'shipbob'));

$t->run;
$t->plan(36);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_secret => 'hush', webhook_url => $t->url('/hooks/shopify'),
    webhook_topics => ['orders/create', 'refunds/create'],
    items => [{ inventory_item_id => 111, location_id => 9, available => 0,
                sku => 'MUG', price => '12.50' }]);
my $woo = InvsyncSim::start($t, 'woocommerce', webhook_secret => 'wsec',
    webhook_url => $t->url('/hooks/woo'), webhook_topics => ['order.created'],
    items => [{ id => 501, sku => 'MUG', manage_stock => JSON::PP::true,
                stock_quantity => 0, price => '12.50' }]);
my $sb = start_3pl($t, items => [{ reference_id => 'MUG', name => 'MUG' }]);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { heartbeat_ms => 200, reconcile_s => 0 },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          stock => { locations => ['3pl-us'] } },
        { id => 'woo-main', type => 'woocommerce', api_base => $woo,
          credentials_file => $t->dir . '/woo.keys',
          stock => { locations => ['3pl-us'] } },
        sb_channel($t, $sb) ],
    locations => [ tpl_location(60, 3600) ],
    routing => route_all('3pl-us'),
    returns => { restock_on => 'receipt', refund_on => 'receipt' },
    journal => { accounts => { accounts() } });

map_sku($t, 'MUG', 111, 501);
$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
$t->redis('SADD', "${K}dirty:$_", 'MUG') for qw(shop-eu woo-main);
my ($rc, $out) = ctl($t, $conf, 'sku', 'set', 'MUG', '--cost-minor', '400',
                     '--currency', 'EUR');
is($rc, 0, 'MUG costs 4.00 EUR') or diag($out);
run_worker($t, 'w1', $conf);

sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub shows {
    return (InvsyncSim::quantity($t, 'shopify', 111, 9) // -1,
            InvsyncSim::quantity($t, 'woocommerce', 501) // -1);
}
sub both { my ($n) = @_; my @s = shows(); $s[0] == $n && $s[1] == $n }
sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub out { $t->redis('HGET', "${K}refundout:$_[0]", $_[1]) // '' }
sub refunds {
    my ($oid) = @_;
    return [grep { $_->{order_id} == $oid }
            @{InvsyncSim::state($t, 'shopify')->{refunds}}];
}
sub acts {
    my ($action, $re) = @_;
    return [grep { ($_->{action} // '') eq $action
                   && ($_->{cause} // '') =~ $re } @{audit_entries($t)}];
}
sub journal {
    return [map { my %f = %{$_->[1]}; $f{lines} = decode_json($f{lines});
                  \%f } @{$t->stream("${K}journal")}];
}
# every entry of the refunds stream read by the group and acked
sub consumed {
    my $st = $t->stream('invsync:refunds');
    my $g = eval { $t->redis('XINFO', 'GROUPS', 'invsync:refunds') };
    my %g = ref $g eq 'ARRAY' && @$g ? @{$g->[0]} : ();
    my $p = eval { $t->redis('XPENDING', 'invsync:refunds', 'invsync') };
    return @$st && ($g{'last-delivered-id'} // '') eq $st->[-1][0]
           && ref $p eq 'ARRAY' && $p->[0] == 0;
}
sub worker_log { $t->read_file('logs/w1.out') // '' }

ok(wait_for(30, sub { both(10) }), 'both channels show 10')
    or diag(explain [shows()]);

###############################################################################
# a Shopify order of 2 mugs at 12.50, 20 % tax, routed to the 3PL and shipped

my $o = InvsyncSim::order($t, 'shopify', location_id => 9, tax_rate => 0.2,
    currency => 'EUR',
    line_items => [ { sku => 'MUG', quantity => 2, price => '12.50' } ],
    shipping_address => { name => 'John Doe', address1 => '100 N Racine Ave',
                          city => 'Chicago', province => 'IL',
                          zip => '60607', country_code => 'US' });
is($o->{total_price}, '30.00', 'the order: 25.00 and 5.00 tax');
my $oid = $o->{id};
my $sid = "shop-eu:$oid\@3pl-us";
ok(wait_for(30, sub { field($sid, 'state') eq 'requested' }),
   'its orders/create through nginx: routed to the 3PL, the shipment sent')
    or diag(worker_log());
InvsyncSim::call($t, '3pl', 'ship', reference_id => $sid,
                 tracking_number => '9400111', carrier => 'USPS');
ok(wait_for(30, sub { field($sid, 'state') =~ /^(shipped|tracked)$/ }),
   'shipped: its order.shipped through nginx') or diag(worker_log());
ok(wait_for(20, sub { (stock('MUG')->{'on_hand:3pl-us'} // 0) == 8 }),
   'on hand 8 at the 3PL') or diag(explain stock('MUG'));
ok(wait_for(30, sub { both(8) }), 'both channels show 8')
    or diag(explain [shows()]);

($rc, $out) = ctl($t, $conf, 'return', 'open', $oid, '--channel', 'shop-eu',
                  '--line', 'MUG:2', '--reason', 'too_small',
                  '--id', 'RMA-E2E');
is($rc, 0, 'the RMA opened') or diag($out);

###############################################################################
# the 3PL processes the parcel: one restocked, one quarantined

my $ret = InvsyncSim::call($t, '3pl', 'return', reference_id => 'RMA-E2E',
    original_shipment_id => 1, store_order_id => "$oid",
    items => [ { sku => 'MUG', quantity => 2,
                 actions => [ { action => 'Restock', quantity => 1 },
                              { action => 'Quarantine', quantity => 1,
                                reason => 'box crushed' } ] } ]);
is($ret->{deliveries}, 1, 'return.completed sent');
ok(wait_for(30, sub { my $s = stock('MUG');
                      ($s->{'on_hand:3pl-us'} // 0) == 9
                      && ($s->{'damaged:3pl-us'} // 0) == 1 }),
   'the resellable unit on hand at the 3PL that shipped it, the damaged '
   . 'one in damaged:3pl-us') or diag(explain [stock('MUG'), worker_log()]);
($rc, $out) = ctl($t, $conf, '--json', 'stock', 'get', 'MUG');
my $sg = eval { decode_json($out) } // {};
is_deeply([ $rc, $sg->{damaged}, $sg->{available} ], [ 0, 1, 9 ],
          'invsyncctl stock get: 1 damaged, 9 available') or diag($out);
ok(wait_for(30, sub { both(9) }),
   'both channels show 9: the damaged unit is not for sale')
    or diag(explain [shows()]);

# the refund due asked of Shopify, made once, recorded when its
# refunds/create comes back through nginx
my ($cause) = @{$t->redis('ZRANGE', "${K}refundouts", 0, -1)};
like($cause // '', qr/^rma:RMA-E2E:sb-us:/, 'one channel refund asked, '
     . 'caused by the receipt');
ok(wait_for(60, sub { out($cause, 'state') eq 'recorded' }),
   'made on Shopify and its refunds/create recorded as ours')
    or diag(explain [{ @{$t->redis('HGETALL', "${K}refundout:$cause")} },
                     worker_log()]);
my $rf = refunds($oid);
is_deeply([ scalar @$rf, $rf->[0]{amount},
            [ map { [ @$_{qw(sku quantity tax restock_type)} ] }
              @{$rf->[0]{lines}} ] ],
          [ 1, 15, [ [ 'MUG', 1, 2.5, 'no_restock' ] ] ],
          'one refund on Shopify: the resellable unit, 12.50 and its 2.50 '
          . 'of tax, not restocked by Shopify') or diag(explain $rf);
like($rf->[0]{note} // '', qr/\[invsync:\Q$cause\E\]$/,
     'its note carries our reference');
($rc, $out) = ctl($t, $conf, '--json', 'return', 'show', 'RMA-E2E');
my ($due) = @{(eval { decode_json($out) } // {})->{refund_due} || []};
is_deeply([ $due->{amount_minor},
            [ map { [ @$_{qw(sku qty tax_minor amount_minor)} ] }
              @{$due->{lines} || []} ] ],
          [ 1500, [ [ 'MUG', 1, 250, 1500 ] ] ],
          'the RMA\'s refund due (return show) is Shopify\'s refund: 12.50 '
          . 'and its 2.50 of tax') or diag($out);
my $rid = $rf->[0]{id};
($rc, $out) = ctl($t, $conf, '--json', 'refund', 'show', $cause);
is((eval { decode_json($out) } // {})->{refund_ref}, $rid,
   'refund show names that refund') or diag($out);
ok(wait_for(30, sub { grep { $_->{cause} eq "refund:shop-eu:$rid" }
                           @{journal()} }), 'its journal entry');
my ($je) = grep { $_->{cause} eq "refund:shop-eu:$rid" } @{journal()};
is_deeply([ sort map { "$_->{account}=" . abs $_->{amount_minor} }
            grep { $_->{account} =~ /^(sales_returns|tax_payable)$/ }
            @{$je->{lines} || []} ],
          [ 'sales_returns=1250', 'tax_payable=250' ],
          'the revenue and the tax reversed: 12.50 and 2.50')
    or diag(explain $je);

###############################################################################
# the same notice 5 more times (5 webhook ids), then its entry replayed

my @before = (scalar @{journal()}, scalar @{acts('return.restock', qr/./)},
              scalar @{$t->stream('invsync:refunds')});
$ret = InvsyncSim::call($t, '3pl', 'return', reference_id => 'RMA-E2E',
    original_shipment_id => 1, store_order_id => "$oid",
    items => [ { sku => 'MUG', quantity => 2,
                 actions => [ { action => 'Restock', quantity => 1 },
                              { action => 'Quarantine', quantity => 1,
                                reason => 'box crushed' } ] } ],
    times => 5, same_id => JSON::PP::false);
InvsyncSim::settle($t, '3pl', 30);
is(scalar(grep { $_->{topic} eq 'return.completed' && $_->{status} == 200 }
          @{InvsyncSim::webhooks($t, '3pl')}), 6,
   'nginx took all 6 deliveries (200)');
my $first = $t->stream('invsync:refunds')->[$before[2] - 1][0];
($rc, $out) = ctl($t, $conf, 'replay', '--stream', 'refunds', '--entry',
                  $first);
is($rc, 0, 'its first stream entry replayed') or diag($out);
ok(wait_for(30, sub { @{$t->stream('invsync:refunds')} == $before[2] + 6
                      && consumed() }),
   'the worker read and acked all 6') or diag(worker_log());
is_deeply([ @{stock('MUG')}{qw(on_hand:3pl-us damaged:3pl-us)} ], [ 9, 1 ],
          'no second restock');
is_deeply([ scalar @{refunds($oid)},
            scalar @{$t->redis('ZRANGE', "${K}refundouts", 0, -1)},
            scalar @{journal()}, scalar @{acts('return.restock', qr/./)} ],
          [ 1, 1, @before[0, 1] ],
          'no second refund, request, journal entry or restock decision');
is(scalar @{acts('return.receive', qr/./)}, 1, 'one return.receive');
ok(both(9), 'the channels still show 9') or diag(explain [shows()]);

###############################################################################
# WooCommerce: an order of 2 mugs at 12.50 with 20 % tax, shipped by the
# 3PL, one returned: the due and WooCommerce's refund both 15.00

my $wo = InvsyncSim::order($t, 'woocommerce', tax_rate => 0.2,
    line_items => [ { product_id => 501, quantity => 2 } ],
    shipping => { first_name => 'Jon', last_name => 'Doe',
                  address_1 => '100 N Racine Ave', city => 'Chicago',
                  state => 'IL', postcode => '60607', country => 'US' });
is($wo->{total}, '30.00', 'the WooCommerce order: 25.00 and 5.00 tax');
my $wsid = "woo-main:$wo->{id}\@3pl-us";
ok(wait_for(30, sub { field($wsid, 'state') eq 'requested' }),
   'its order.created through nginx: sent to the 3PL') or diag(worker_log());
InvsyncSim::call($t, '3pl', 'ship', reference_id => $wsid,
                 tracking_number => '9400222', carrier => 'USPS');
ok(wait_for(30, sub { field($wsid, 'state') =~ /^(shipped|tracked)$/ }),
   'shipped') or diag(worker_log());
($rc, $out) = ctl($t, $conf, 'return', 'open', $wo->{id}, '--channel',
                  'woo-main', '--line', 'MUG:1', '--reason', 'too_small',
                  '--id', 'RMA-WOO');
is($rc, 0, 'its RMA opened') or diag($out);
InvsyncSim::call($t, '3pl', 'return', reference_id => 'RMA-WOO',
    original_shipment_id => 2, store_order_id => "$wo->{id}",
    items => [ { sku => 'MUG', quantity => 1,
                 actions => [ { action => 'Restock', quantity => 1 } ] } ]);
my ($wcause) = grep { /^rma:RMA-WOO:/ }
               @{$t->redis('ZRANGE', "${K}refundouts", 0, -1)};
ok(wait_for(60, sub {
        ($wcause) = grep { /^rma:RMA-WOO:/ }
                    @{$t->redis('ZRANGE', "${K}refundouts", 0, -1)};
        $wcause && out($wcause, 'refund_ref') ne '' }),
   'the refund made on WooCommerce')
    or diag(explain [$wcause && { @{$t->redis('HGETALL',
                                              "${K}refundout:$wcause")} },
                     worker_log()]);
my ($wr) = grep { $_->{order_id} == $wo->{id} }
           @{InvsyncSim::state($t, 'woocommerce')->{refunds}};
($rc, $out) = ctl($t, $conf, '--json', 'return', 'show', 'RMA-WOO');
my ($wdue) = @{(eval { decode_json($out) } // {})->{refund_due} || []};
is_deeply([ $wr->{amount}, map { [ @$_{qw(sku quantity total tax)} ] }
            @{$wr->{lines} || []} ],
          [ '15.00', [ 'MUG', 1, 12.5, 2.5 ] ],
          'WooCommerce refunded the unit and its share of tax: 15.00')
    or diag(explain $wr);
is_deeply([ $wdue->{amount_minor}, $wdue->{currency},
            [ map { [ @$_{qw(sku qty tax_minor amount_minor)} ] }
              @{$wdue->{lines} || []} ] ],
          [ 1500, 'EUR', [ [ 'MUG', 1, 250, 1500 ] ] ],
          'the RMA\'s due (return show) is the same 15.00') or diag($out);

###############################################################################
# the whole journal balances, per currency

my %sum;
for my $e (@{journal()}) {
    $sum{$_->{currency} // $e->{currency} // '?'} += $_->{amount_minor}
        for @{$e->{lines}};
}
ok(keys %sum && !grep({ $_ != 0 } values %sum),
   'the journal of the whole test sums to zero per currency')
    or diag(explain [\%sum, journal()]);

is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
