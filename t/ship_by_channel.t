#!/usr/bin/perl

# Shipments the channel shipped itself (docs/fulfilment.md, "Shipped by the
# channel"), through nginx, the worker and the simulators.  Shopify: orders
# placed in the simulator come in as signed orders/create webhooks; a
# merchant's fulfillmentCreate in the simulator comes in as a signed
# fulfillments/create.  A manual location's open shipment is shipped by the
# channel (stock down once, nothing told back, no second fulfillment); a
# label being bought when the merchant fulfils is voided when it arrives;
# invsync's own tracking, come back as fulfillments/create, ships nothing
# else (a split order's other shipment stays open).  WooCommerce: an order
# completed in its admin (order.updated) while a 3PL has it: the 3PL order
# is cancelled, the stock leaves once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for ctl map_sku
                     audit_entries);
use InvsyncSetup qw(hook_locations sb_secrets start_3pl sb_channel
                    tpl_location warehouse_location);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test',
                 'carrier.key' => 'EZTK_sim', 'woo.secret' => 'woosecret',
                 'woo.keys' => 'ck_test:cs_test', sb_secrets() },
    locations => hook_locations('shopify', 'woo', 'shipbob'));

$t->run;
$t->plan(22);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_url => $t->url('/hooks/shopify'), webhook_secret => 'hush',
    webhook_topics => ['orders/create', 'fulfillments/create']);
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');
my $woo = InvsyncSim::start($t, 'woocommerce',
    webhook_url => $t->url('/hooks/woo'), webhook_secret => 'woosecret',
    webhook_topics => ['order.created', 'order.updated']);
my $sb = start_3pl($t);

InvsyncSim::items($t, 'shopify', map {
    { inventory_item_id => $_->[0], location_id => 9, available => 20,
      sku => $_->[1] } } [111, 'SKU-A'], [333, 'SKU-C']);
InvsyncSim::items($t, 'woocommerce',
    { id => 501, sku => 'MUG', manage_stock => JSON::PP::true,
      stock_quantity => 0 });

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    locations => [
        warehouse_location($t, $carrier, channels => ['shop-eu']),
        { id => 'desk', kind => 'manual', channels => ['shop-eu'] },
        tpl_location(60, 3600, channels => ['woo-main']) ],
    routing => { rules => [
        { name => 'default', strategy => 'priority', rate => 'cheapest',
          split => { allowed => JSON::PP::true, max => 2 } } ] },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          options => { locations => { 'wh-a' => 9, desk => 9 } } },
        { id => 'woo-main', type => 'woocommerce', api_base => $woo,
          credentials_file => $t->dir . '/woo.keys' },
        sb_channel($t, $sb) ]);

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 10);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:desk', 10);
$t->redis('SET', "${K}skuref:woo-main:sku:MUG", 'MUG');
$t->redis('SET', "${K}skuref:woo-main:product:501", 'MUG');
$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
run_worker($t, 'w1', $conf);

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }
sub state_of { return ship($_[0])->{state} // '' }
sub on_hand { return $t->redis('HGET', "${K}stock:$_[0]", "on_hand:$_[1]") }
sub carrier_state { return InvsyncSim::state($t, 'carrier') }
sub fulfillments {
    my ($oid) = @_;
    return [grep { $_->{order_id} == $oid }
            @{InvsyncSim::state($t, 'shopify')->{fulfillments}}];
}

my $to = { name => 'Jon', address1 => '1 Rue', city => 'Paris',
           zip => '75001', country_code => 'FR' };

sub shop_order {
    my (@lines) = @_;
    return InvsyncSim::order($t, 'shopify', location_id => 9,
        shipping_address => $to,
        line_items => [ map { { sku => $_->[0], quantity => $_->[1] } }
                        @lines ]);
}

# the merchant fulfils in Shopify's admin: the open fulfillment orders of
# the order, with a tracking number of their own
sub merchant_fulfils {
    my ($oid, $number, @skus) = @_;
    my $st = InvsyncSim::state($t, 'shopify');
    my @fos = grep { $_->{order_id} == $oid } @{$st->{fulfillment_orders}};
    my %want = map { $_ => 1 } @skus;
    my @by;
    for my $fo (@fos) {
        my @li = grep { !@skus || $want{$_->{sku}} } @{$fo->{lines} || []};
        next unless @li;
        push @by, { fulfillmentOrderId => "gid://shopify/FulfillmentOrder/$fo->{id}",
                    fulfillmentOrderLineItems => [ map {
                        { id => "gid://shopify/FulfillmentOrderLineItem/$_->{id}",
                          quantity => $_->{remaining} } } @li ] };
    }
    my $r = HTTP::Tiny->new->post(
        InvsyncSim::url($t, 'shopify', '/admin/api/2026-04/graphql.json'),
        { headers => { 'Content-Type' => 'application/json',
                       'X-Shopify-Access-Token' => 'shpat_test' },
          content => encode_json({ query => 'mutation M($f: FulfillmentInput!) '
              . '{ fulfillmentCreate(fulfillment: $f) { fulfillment { id } '
              . 'userErrors { message } } }',
              variables => { f => { lineItemsByFulfillmentOrder => \@by,
                  trackingInfo => { company => 'DHL Express',
                                    number => $number } } } }) });
    return $r->{content};
}

###############################################################################
# a manual location's open shipment: shipped by the channel

my $o1 = shop_order(['SKU-C', 2]);
my $s1 = "shop-eu:$o1->{id}\@desk";
ok(wait_for(30, sub { state_of($s1) eq 'open' }), 'routed: the manual '
   . 'shipment is open') or diag($t->read_file('logs/w1.out'));
my $g = merchant_fulfils($o1->{id}, 'MERCH1');
ok(wait_for(30, sub { state_of($s1) eq 'tracked' }),
   'the merchant fulfilled it in Shopify: shipped by the channel')
    or diag(explain [ship($s1), $g]);
my $sh = ship($s1);
is_deeply([@$sh{qw(shipped_by tracking carrier)}, on_hand('SKU-C', 'desk')],
          ['channel', 'MERCH1', 'DHL Express', 8],
          'with the channel\'s tracking; on hand down at its location');
sleep 1;
is(scalar @{fulfillments($o1->{id})}, 1,
   'one fulfillment on Shopify: nothing told back');
my ($rc, $out) = ctl($t, $conf, 'ship', "shop-eu:$o1->{id}", '--location',
                     'desk', '--carrier', 'UPS', '--tracking', 'X1');
ok($out =~ /before/ && on_hand('SKU-C', 'desk') == 8,
   'invsyncctl ship after it: shipped before, nothing moves') or diag($out);

###############################################################################
# a label being bought when the merchant fulfils: voided when it comes

InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 6000,
                 match => 'buy');
my $o2 = shop_order(['SKU-A', 1]);
my $s2 = "shop-eu:$o2->{id}\@wh-a";
ok(wait_for(30, sub { grep { $_->{reference} eq $s2 }
                      @{carrier_state()->{bought}} }),
   'the carrier applied the buy, its answer delayed');
merchant_fulfils($o2->{id}, 'MERCH2');
ok(wait_for(30, sub { state_of($s2) eq 'tracked' }),
   'shipped by the channel while the label was out');
ok(wait_for(30, sub { (ship($s2)->{label_void} // '') eq 'voided' }),
   'the label, once bought, is voided') or diag(explain ship($s2));
is_deeply([(map { $_->{reference} } grep { $_->{reference} eq $s2 }
            @{carrier_state()->{refunded}}),
           state_of($s2), ship($s2)->{tracking}, on_hand('SKU-A', 'wh-a')],
          [$s2, 'tracked', 'MERCH2', 9],
          'refunded at the carrier; the shipment stays the channel\'s; '
          . 'stock down once');

###############################################################################
# invsync's own tracking comes back: a split order's other shipment stays

my $o3 = shop_order(['SKU-A', 1], ['SKU-C', 1]);
my $s3a = "shop-eu:$o3->{id}\@wh-a";
my $s3d = "shop-eu:$o3->{id}\@desk";
ok(wait_for(30, sub { state_of($s3a) eq 'tracked' }),
   'split order: the label shipment tracked by invsync')
    or diag(explain [ship($s3a), ship($s3d)]);
ok(wait_for(20, sub { grep { ($_->[1]{topic} // '') eq 'fulfillments/create'
                             && ($_->[1]{body} // '') =~ /$o3->{id}/ }
                      @{$t->stream('invsync:fulfillments')} }),
   'its echo came in (fulfillments/create)');
sleep 1;
is_deeply([state_of($s3d), ship($s3a)->{shipped_by} // '',
           on_hand('SKU-A', 'wh-a'), on_hand('SKU-C', 'desk')],
          ['open', '', 8, 8],
          'the echo ships nothing: the manual shipment stays open, stock '
          . 'down once');
merchant_fulfils($o3->{id}, 'MERCH3', 'SKU-C');
ok(wait_for(30, sub { state_of($s3d) eq 'tracked' }),
   'the merchant fulfils the other line: that shipment is the channel\'s');
is(on_hand('SKU-C', 'desk'), 7, 'its stock down once');

###############################################################################
# WooCommerce: completed in its admin while the 3PL has the order

my $w = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { sku => 'MUG', quantity => 2 } ],
    shipping => { first_name => 'John', last_name => 'Doe',
                  address_1 => '100 N Racine Ave', city => 'Chicago',
                  state => 'IL', postcode => '60607', country => 'US' });
my $s4 = "woo-main:$w->{id}\@3pl-us";
ok(wait_for(30, sub { state_of($s4) eq 'requested' }),
   'a WooCommerce order sent to the 3PL')
    or diag(explain [ship($s4), $t->read_file('logs/w1.out')]);
my $put = HTTP::Tiny->new->request('PUT',
    InvsyncSim::url($t, 'woocommerce', "/wp-json/wc/v3/orders/$w->{id}")
    . '?consumer_key=ck_test&consumer_secret=cs_test',
    { headers => { 'Content-Type' => 'application/json' },
      content => encode_json({ status => 'completed' }) });
is($put->{status}, 200, 'the merchant completes it in WooCommerce')
    or diag($put->{content});
ok(wait_for(30, sub { state_of($s4) eq 'tracked' }),
   'shipped by the channel') or diag(explain ship($s4));
ok(wait_for(30, sub { (ship($s4)->{provider_state} // '') eq 'cancelled' }),
   'the 3PL order cancelled') or diag(explain ship($s4));
my ($so) = grep { $_->{reference_id} eq $s4 }
           @{InvsyncSim::state($t, '3pl')->{orders}};
is_deeply([$so->{status}, on_hand('MUG', '3pl-us'),
           scalar(grep { ($_->{action} // '') eq 'shipment.confirm'
                         && ($_->{shipment} // '') eq $s4 }
                  @{audit_entries($t)})],
          ['Cancelled', 8, 1],
          'cancelled at the 3PL; stock down once, one confirm');

###############################################################################
# the merchant's tracking number has a newline (docs/fulfilment.md "Bad
# provider input"): shipped by the channel all the same (refused, it would
# stay open for a second parcel), the number not kept

my $o5 = shop_order(['SKU-C', 1]);
my $s5 = "shop-eu:$o5->{id}\@desk";
ok(wait_for(30, sub { state_of($s5) eq 'open' }), 'another manual shipment')
    or diag($t->read_file('logs/w1.out'));
merchant_fulfils($o5->{id}, "MERCH\n5");
ok(wait_for(30, sub { state_of($s5) =~ /^(shipped|tracked)$/ }),
   'a tracking number with a newline: shipped by the channel')
    or diag(explain [ship($s5), $t->read_file('logs/w1.out')]);
is_deeply([@{ship($s5)}{qw(shipped_by tracking)}, on_hand('SKU-C', 'desk')],
          ['channel', '', 6], 'its number not kept; on hand down once');

$t->done;
