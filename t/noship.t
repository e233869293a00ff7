#!/usr/bin/perl

# Orders that need no shipment from invsync (docs/routing.md, "Pickup and
# counter sales"; docs/fulfilment.md, "Handed over at the location"),
# through nginx, Redis and invsync-worker against the Square, Shopify and
# carrier simulators, with a rule that sends every shipped order to the
# warehouse.  A Square counter sale (no fulfilment, polled) is placed at
# the store it was sold in (the channel's stock location) and confirmed at
# once: on hand down there, the reservation released, no label asked for,
# no label_failed, the trace saying why; one the store cannot cover waits
# unroutable (no_stock) until a count there routes it.  A Shopify local
# pickup waits at the store its Shopify location maps to, is never due for
# a label and never tracked, and `invsyncctl ship --carrier pickup`
# confirms it; a Square pickup is confirmed by Square completing it.  A
# Shopify line that requires no shipping is never in a parcel: alone it
# ships at once with no label, beside a parcel it stays out of its weight
# and of the tracking, and without a ledger SKU it opens no unmapped_sku.
# An order that arrives fulfilled by the channel (Shopify
# fulfillment_status fulfilled) is shipped by the channel: no label.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use MIME::Base64 ();
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for ctl
                     audit_entries);
use InvsyncSetup qw(warehouse_location);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => {
        'square.secret' => 'sq_Sig-Key_123',
        'square.token'  => 'EAAAEtest_token',
        'shop.secret'   => 'hush',
        'shop.token'    => 'shpat_test',
        'carrier.key'   => 'EZTK_sim',
    },
    locations => <<'EOF');
        location = /hooks/square {
            invsync_webhook square;
            invsync_channel sq-main;
            invsync_secret_file %%TESTDIR%%/square.secret;
            invsync_notification_url http://127.0.0.1:%%PORT%%/hooks/square;
        }

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shop.secret;
        }
EOF
$t->run;
$t->wait_ready;
$t->plan(36);

my $K = 'invsync:{invsync}:';
my $hooks = 'http://127.0.0.1:' . $t->port('http');
my $sq = InvsyncSim::start($t, 'square', webhook_url => "$hooks/hooks/square",
    webhook_secret => 'sq_Sig-Key_123', merchant_id => 'MSIMSQUARE1',
    items => [
        { catalog_object_id => 'VARMUG', location_id => 'LOC1',
          quantity => 10, sku => 'MUG', price => 1500 },
    ]);
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_url => "$hooks/hooks/shopify", webhook_secret => 'hush',
    webhook_topics => ['orders/create']);
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');

InvsyncSim::items($t, 'shopify', map {
    { inventory_item_id => $_->[0], location_id => 9, available => 20,
      sku => $_->[1] } } [111, 'TEE'], [222, 'EBOOK'], [333, 'GIFT']);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    locations => [ warehouse_location($t, $carrier),
                   { id => 'store-soho', kind => 'manual' } ],
    routing => { rules => [ { name => 'warehouse', require => ['wh-a'] } ] },
    channels => [
        { id => 'sq-main', type => 'square', api_base => $sq,
          credentials_file => $t->dir . '/square.token', poll_s => 1,
          options => { locations => ['LOC1'], merchant_id => 'MSIMSQUARE1' },
          stock => { locations => ['store-soho'] } },
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          stock => { locations => ['wh-a', 'store-soho'] },
          options => { locations => { 'wh-a' => 9,
                                      'store-soho' => 655441491 } } } ]);

my ($rc, $out) = ctl($t, $conf, 'sku', 'map', 'MUG', '--channel', 'sq-main',
                     '--variation-id', 'VARMUG', '--location', 'LOC1');
is($rc, 0, 'MUG mapped on Square') or diag($out);
for (['TEE', 111], ['EBOOK', 222]) {
    my ($sku, $item) = @$_;
    $t->redis('SADD', "${K}skus", $sku);
    $t->redis('HSET', "${K}skumap:$sku", 'shop-eu',
              encode_json({ inventory_item_id => "$item",
                            location_id => '9' }));
    $t->redis('SET', "${K}skuref:shop-eu:sku:$sku", $sku);
}
for (['MUG', 'store-soho', 10], ['MUG', 'wh-a', 50], ['TEE', 'store-soho', 3],
     ['TEE', 'wh-a', 50], ['EBOOK', 'wh-a', 100])
{
    ($rc, $out) = ctl($t, $conf, 'stock', 'set', $_->[0], '--location',
                      $_->[1], '--qty', $_->[2], '--why', 'count');
    $rc == 0 or diag($out);
}

run_worker($t, 'w', $conf);

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }
sub stock { return { @{$t->redis('HGETALL', "${K}stock:$_[0]")} } }
sub due { return defined $t->redis('ZSCORE', "${K}$_[0]:due", $_[1]) }
sub open_exceptions {
    return [grep { /^(label_failed|unmapped_sku|unroutable)/ }
            @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)}];
}
sub carrier_shipments {
    return scalar @{InvsyncSim::state($t, 'carrier')->{shipments} || []};
}

###############################################################################
# a Square counter sale: no fulfilment, sold at LOC1, which is store-soho

my $o1 = InvsyncSim::order($t, 'square', fulfillment => 'none',
    state => 'COMPLETED',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 2 } ]);
my $s1 = "sq-main:$o1->{id}\@store-soho";
ok(wait_for(30, sub { (ship($s1)->{state} // '') eq 'shipped' }),
   'the counter sale is shipped at once, at the store it was sold in')
    or diag(explain [ship($s1), $t->read_file('logs/w.out')]);
my $sh = ship($s1);
is_deeply([@$sh{qw(kind carrier)}], ['counter', 'counter'],
          'a counter shipment, confirmed as such');
my $st = stock('MUG');
is_deeply([@$st{qw(on_hand:store-soho reserved:store-soho on_hand:wh-a)},
           $st->{unrouted} // 0],
          [8, 0, 50, 0],
          'on hand down at the store, the reservation released, the '
          . 'warehouse untouched');
ok(!due('fulfil', $s1) && !due('track', $s1),
   'never due for a label, never tracked');
is(carrier_shipments(), 0, 'the carrier was asked for nothing');
is_deeply(open_exceptions(), [], 'no label_failed, no exception at all');
my ($route) = grep { ($_->{action} // '') eq 'order.route'
                     && ($_->{order} // '') eq "sq-main:$o1->{id}" }
              @{audit_entries($t)};
my $trace = $route ? decode_json($route->{inputs}) : {};
is_deeply([@$trace{qw(status mode location sold_at reason)}],
          ['routed', 'none', 'store-soho', 'LOC1',
           'sold at the counter of store-soho'],
          'order.route records the decision with its reason, no rule');
($rc, $out) = ctl($t, $conf, 'route', 'explain', "sq-main:$o1->{id}");
like($out, qr/sold at the counter of store-soho \(no rule/,
     'route explain says so in words') or diag($out);
my @moves = grep { ($_->{action} // '') eq 'shipment.confirm'
                   && ($_->{shipment} // '') eq $s1 } @{audit_entries($t)};
is_deeply([scalar @moves, $t->redis('EXISTS', "${K}done:ledger:ship:$s1")],
          [1, 1], 'one ledger movement, keyed by the shipment');

###############################################################################
# a counter sale the store's ledger cannot cover: unroutable, never sent
# from the warehouse; a count at the store routes and confirms it

my $o6 = InvsyncSim::order($t, 'square', fulfillment => 'none',
    state => 'COMPLETED',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 9 } ]);
my $x6 = "unroutable:sq-main:$o6->{id}";
ok(wait_for(30, sub { defined $t->redis('ZSCORE', "${K}exceptions:open",
                                        $x6) }),
   'more than the store holds: unroutable')
    or diag($t->read_file('logs/w.out'));
is_deeply([decode_json($t->redis('HGET', "${K}exception:$x6", 'data'))
               ->{reasons}[0]{reason},
           stock('MUG')->{'on_hand:wh-a'},
           $t->redis('EXISTS', "${K}shipments:sq-main:$o6->{id}")],
          ['no_stock', 50, 0],
          'reason no_stock; no shipment, the warehouse not asked');
($rc, $out) = ctl($t, $conf, 'stock', 'set', 'MUG', '--location',
                  'store-soho', '--qty', 12, '--why', 'count');
my $s6 = "sq-main:$o6->{id}\@store-soho";
ok(wait_for(30, sub { (ship($s6)->{state} // '') eq 'shipped' }),
   'counted at the store: routed again and confirmed at once')
    or diag(explain [ship($s6), $out]);
is_deeply([stock('MUG')->{'on_hand:store-soho'},
           stock('MUG')->{'reserved:store-soho'},
           $t->redis('HGET', "${K}exception:$x6", 'state')],
          [3, 0, 'resolved'], 'on hand 12 - 9 at the store; the exception '
          . 'resolved itself');

###############################################################################
# a Shopify local pickup: waits at the store until the buyer collects it

my $o2 = InvsyncSim::order($t, 'shopify', location_id => 9,
    order_location_id => 655441491,
    shipping_lines => [ { code => 'Pickup', title => 'Pickup at Soho',
                          price => '0.00', source => 'shopify' } ],
    line_items => [ { sku => 'TEE', quantity => 1 } ]);
my $s2 = "shop-eu:$o2->{id}\@store-soho";
ok(wait_for(30, sub { (ship($s2)->{state} // '') eq 'open' }),
   'the pickup opens a shipment at the store its Shopify location maps to '
   . '(options.locations), not at the warehouse')
    or diag(explain [ship($s2), $t->read_file('logs/w.out')]);
is_deeply([ship($s2)->{kind}, due('fulfil', $s2),
           stock('TEE')->{'reserved:store-soho'}],
          ['pickup', '', 1], 'a pickup shipment, not due, reserved there');
($rc, $out) = ctl($t, $conf, 'route', 'explain', "shop-eu:$o2->{id}");
like($out, qr/pickup at store-soho/, 'route explain: pickup at store-soho')
    or diag($out);
# where would it go?  route dry-run decides a channel's own order the same
my $dry = $t->write_file('pickup.json', encode_json({ id => 777,
    updated_at => '2026-12-03T10:00:00Z', currency => 'EUR',
    location_id => 655441491,
    shipping_lines => [ { code => 'Pickup', title => 'Pickup at Soho' } ],
    line_items => [ { id => 1, sku => 'TEE', quantity => 1, price => '9.00' } ] }));
($rc, $out) = ctl($t, $conf, 'route', 'dry-run', $dry, '--channel', 'shop-eu',
                  '--json');
my $dt = eval { decode_json($out) } // {};
is_deeply([@$dt{qw(status mode location sold_at)}],
          ['routed', 'pickup', 'store-soho', '655441491'],
          'route dry-run: a pickup at store-soho, the sale\'s location kept')
    or diag($out);
($rc, $out) = ctl($t, $conf, 'ship', "shop-eu:$o2->{id}", '--location',
                  'store-soho', '--carrier', 'pickup');
is($rc, 0, 'invsyncctl ship --carrier pickup: collected, no tracking number')
    or diag($out);
$st = stock('TEE');
is_deeply([ship($s2)->{state}, @$st{qw(on_hand:store-soho
                                       reserved:store-soho on_hand:wh-a)}],
          ['shipped', 2, 0, 50], 'on hand down at the store');
sleep 1;
ok(!due('track', $s2) && !@{InvsyncSim::state($t, 'shopify')->{fulfillments}},
   'nothing is tracked on Shopify');

# a Square pickup: waits until Square says it was picked up (the order
# completed), then is the channel's; nothing told back
my $o8 = InvsyncSim::order($t, 'square', fulfillment => 'PICKUP',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 1 } ]);
my $s8 = "sq-main:$o8->{id}\@store-soho";
ok(wait_for(30, sub { (ship($s8)->{state} // '') eq 'open' }),
   'a Square pickup waits at the store')
    or diag(explain [ship($s8), $t->read_file('logs/w.out')]);
InvsyncSim::order($t, 'square', id => $o8->{id}, state => 'COMPLETED');
ok(wait_for(30, sub { (ship($s8)->{state} // '') eq 'tracked' }),
   'picked up: Square completed it, so it is shipped by the channel')
    or diag(explain [ship($s8), $t->read_file('logs/w.out')]);
is_deeply([ship($s8)->{shipped_by}, stock('MUG')->{'on_hand:store-soho'},
           stock('MUG')->{'reserved:store-soho'}],
          ['channel', 2, 0], 'on hand down at the store, once');

###############################################################################
# lines that require no shipping

my $o3 = InvsyncSim::order($t, 'shopify', location_id => 9,
    shipping_address => { name => 'Jon', address1 => '1 Rue', city => 'Paris',
                          zip => '75001', country_code => 'FR' },
    line_items => [ { sku => 'EBOOK', quantity => 1,
                      requires_shipping => 0 } ]);
my $s3 = "shop-eu:$o3->{id}\@wh-a";
ok(wait_for(30, sub { (ship($s3)->{state} // '') eq 'shipped' }),
   'an order of a digital line only: shipped at once')
    or diag(explain [ship($s3), $t->read_file('logs/w.out')]);
is_deeply([ship($s3)->{kind}, stock('EBOOK')->{'on_hand:wh-a'},
           carrier_shipments()],
          ['digital', 99, 0], 'no label; the ledger moves as it says');

my $o4 = InvsyncSim::order($t, 'shopify', location_id => 9,
    shipping_address => { name => 'Jon', address1 => '1 Rue', city => 'Paris',
                          zip => '75001', country_code => 'FR' },
    line_items => [ { sku => 'TEE', quantity => 1 },
                    { sku => 'GIFT', quantity => 1,
                      requires_shipping => 0 } ]);
my $s4 = "shop-eu:$o4->{id}\@wh-a";
ok(wait_for(30, sub { (ship($s4)->{state} // '') =~ /^(shipped|tracked)$/ }),
   'a digital line without a ledger SKU beside a parcel: the parcel ships')
    or diag(explain [ship($s4), $t->read_file('logs/w.out')]);
is_deeply([map { $_->{sku} } @{decode_json(ship($s4)->{lines})}], ['TEE'],
          'only the parcel\'s line in the shipment');
is_deeply(open_exceptions(), [], 'and no unmapped_sku for the digital line');
# a digital line with a ledger SKU beside a parcel: in the shipment, out of
# the parcel and out of the tracking; its stock moves with the parcel
$t->redis('HSET', "${K}sku:TEE", 'weight_g', 300);
$t->redis('HSET', "${K}sku:EBOOK", 'weight_g', 1000);
my $o7 = InvsyncSim::order($t, 'shopify', location_id => 9,
    shipping_address => { name => 'Jon', address1 => '1 Rue', city => 'Paris',
                          zip => '75001', country_code => 'FR' },
    line_items => [ { sku => 'TEE', quantity => 1 },
                    { sku => 'EBOOK', quantity => 1,
                      requires_shipping => 0 } ]);
my $s7 = "shop-eu:$o7->{id}\@wh-a";
ok(wait_for(30, sub { (ship($s7)->{state} // '') eq 'tracked' }),
   'a parcel with a digital line beside it: labelled and tracked')
    or diag(explain [ship($s7), $t->read_file('logs/w.out')]);
my $lab = HTTP::Tiny->new->get("$carrier/v2/shipments/$s7",
    { headers => { Authorization => 'Basic '
                   . MIME::Base64::encode_base64('EZTK_sim:', '') } });
my $parcel = eval { decode_json($lab->{content})->{parcel} } // {};
my ($ful) = grep { $_->{order_id} == $o7->{id} }
            @{InvsyncSim::state($t, 'shopify')->{fulfillments}};
is_deeply([[map { [$_->{sku}, $_->{parcel}] }
            @{decode_json(ship($s7)->{lines})}],
           $parcel->{weight}, [map { $_->{sku} } @{$ful->{lines} || []}],
           stock('EBOOK')->{'on_hand:wh-a'}],
          [[['TEE', undef], ['EBOOK', JSON::PP::false]], 10.6, ['TEE'], 98],
          'the parcel weighs the tee alone (300 g), Shopify is told the tee, '
          . 'the ebook leaves the ledger with it')
    or diag($lab->{content});

###############################################################################
# an order that arrives fulfilled by the channel: shipped by it, no label

my $labels = carrier_shipments();
my $o5 = InvsyncSim::order($t, 'shopify', location_id => 9,
    fulfillment_status => 'fulfilled',
    shipping_address => { name => 'Jon', address1 => '1 Rue', city => 'Paris',
                          zip => '75001', country_code => 'FR' },
    line_items => [ { sku => 'TEE', quantity => 2 } ]);
my $s5 = "shop-eu:$o5->{id}\@wh-a";
ok(wait_for(30, sub { (ship($s5)->{state} // '') eq 'tracked' }),
   'an order that arrives fulfilled: its shipment is the channel\'s')
    or diag(explain [ship($s5), $t->read_file('logs/w.out')]);
sleep 1;
is_deeply([ship($s5)->{shipped_by}, stock('TEE')->{'on_hand:wh-a'},
           carrier_shipments(), open_exceptions()],
          ['channel', 46, $labels, []],
          'stock down once (48 - 2), no label for it, no exception');

###############################################################################
# a pickup at a Shopify location options.locations does not name: unknown,
# not the channel's stock location (wh-a)

my $o9 = InvsyncSim::order($t, 'shopify', location_id => 9,
    order_location_id => 424242,
    shipping_lines => [ { code => 'Pickup', title => 'Pickup at Brooklyn',
                          price => '0.00', source => 'shopify' } ],
    line_items => [ { sku => 'TEE', quantity => 1 } ]);
my $x9 = "unroutable:shop-eu:$o9->{id}";
ok(wait_for(30, sub { defined $t->redis('ZSCORE', "${K}exceptions:open",
                                        $x9) }),
   'a pickup at an unmapped Shopify location: unroutable')
    or diag(explain [ship("shop-eu:$o9->{id}\@wh-a"),
                     $t->read_file('logs/w.out')]);
($route) = grep { ($_->{action} // '') eq 'order.route'
                  && ($_->{order} // '') eq "shop-eu:$o9->{id}" }
           @{audit_entries($t)};
$trace = $route ? decode_json($route->{inputs}) : {};
is_deeply([decode_json($t->redis('HGET', "${K}exception:$x9", 'data')
               // '{}')->{reasons}[0]{reason},
           $t->redis('EXISTS', "${K}shipments:shop-eu:$o9->{id}"),
           @$trace{qw(status sold_at)}],
          ['unknown_location', 0, 'unroutable', '424242'],
          'reason unknown_location, no shipment at wh-a; the trace names '
          . 'the sale\'s location') or diag(explain $trace);

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
