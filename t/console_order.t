#!/usr/bin/perl

# The console's order view through the real chain: signed Shopify orders
# into nginx, routed by invsync-worker, their labels bought from the
# carrier simulator (EasyPost's shape, as t/ship.t), a return refunded
# and restocked with its journal entries; then api/order answers what
# became of each order: the allocation per location with its rule, the
# shipments as ship_open.lua and ship_confirm.lua left them, the refund
# with its lines, restock decisions and journal entries; and an order no
# location can fill, unroutable with the reason per line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);
use InvsyncSim;
use InvsyncConsole qw(console_locations);
use InvsyncWorker qw(worker_conf run_worker wait_for ctl map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'hook.secret' => 'hush', 'shop.token' => 'shpat_test',
                 'carrier.key' => 'EZTK_sim' },
    locations => console_locations(operator => 'ops-ann'));

$t->run;
$t->plan(23);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test');
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');

InvsyncSim::items($t, 'shopify', map {
    { inventory_item_id => $_, location_id => 9, available => 0,
      sku => "SKU-$_" } } 111, 222, 333);

sub warehouse {
    my ($id) = @_;
    return { id => $id, kind => 'warehouse',
             fulfilment => { api_base => "$carrier/v2",
                             credentials_file => $t->dir . '/carrier.key',
                             from => { name => 'Lyon DC', address1 => '1 Quai',
                                       city => 'Lyon', zip => '69001',
                                       country_code => 'FR' },
                             parcel => { weight_g => 500 } } };
}

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ warehouse('wh-a'), warehouse('wh-b') ],
    returns => { restock_on => 'refund' },
    routing => { rules => [ { name => 'split-ok', strategy => 'priority',
                              split => { allowed => JSON::PP::true,
                                         max => 3 } } ] },
    journal => { accounts => {
        sales_returns => '4010', tax_payable => '2200',
        shipping_income => '4020', fees_income => '4030',
        refunds_payable => '2110', refunds_paid => '1210',
        inventory => '1400', cost_of_goods => '5000',
        write_offs => '5100' } },
    channels => [ { id => 'shop-eu', type => 'shopify', api_base => $shop,
                    credentials_file => $t->dir . '/shop.token',
                    stock => { locations => ['wh-a', 'wh-b'] } } ]);

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 5);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-b', 5);
my ($rc, $out) = ctl($t, $conf, 'sku', 'set', 'SKU-B', '--cost-minor', '412',
                     '--currency', 'EUR');
is($rc, 0, 'SKU-B costs 4.12 EUR') or diag($out);

run_worker($t, 'w1', $conf);

my $wh = 0;

sub send_shopify {
    my ($topic, $doc) = @_;
    my $body = encode_json($doc);
    return $t->post('/hooks/shop', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'hush'),
                    'X-Shopify-Topic' => $topic,
                    'X-Shopify-Webhook-Id' => 'wh-' . ++$wh,
                    'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com');
}

sub order {
    my ($id, @lines) = @_;
    return { id => $id, name => "#$id", email => 'jon@example.com',
             created_at => '2026-11-20T10:00:00+01:00',
             updated_at => '2026-11-20T10:00:00+01:00',
             currency => 'EUR', total_price => '27.00',
             financial_status => 'paid',
             line_items => [ map { { id => $_->[0], sku => $_->[1],
                                     quantity => $_->[2], price => '9.00',
                                     title => $_->[1], product_id => 7,
                                     variant_id => $_->[0] } } @lines ],
             shipping_address => { name => 'Jon', address1 => '1 Rue',
                                   city => 'Paris', zip => '75001',
                                   country_code => 'FR' } };
}

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }

sub shipped {
    my $s = ship($_[0])->{state} // '';
    return $s eq 'shipped' || $s eq 'tracked';
}

sub api_order {
    my $r = $t->get('/console/api/order?order=' . $_[0]);
    return ($r->{status}, eval { decode_json($r->{content}) } || {});
}

###############################################################################
# a split order shipped from two warehouses, then a line returned

is(send_shopify('orders/create', order(801, [1, 'SKU-A', 2],
                                       [2, 'SKU-B', 1]))->{status}, 200,
   'order 801 accepted');
ok(wait_for(60, sub { shipped('shop-eu:801@wh-a')
                      && shipped('shop-eu:801@wh-b') }),
   'both shipments shipped') or diag($t->read_file('logs/w1.out'));

send_shopify('refunds/create', {
    id => 8805, order_id => 801, created_at => '2026-11-22T09:00:00Z',
    processed_at => '2026-11-22T09:00:00Z',
    refund_line_items => [ { id => 8806, line_item_id => 2, quantity => 1,
                             restock_type => 'return', subtotal => '9.00',
                             line_item => { id => 2, sku => 'SKU-B' } } ],
    transactions => [ { kind => 'refund', status => 'success',
                        amount => '9.00', currency => 'EUR' } ] });
ok(wait_for(60, sub { $t->redis('EXISTS', "${K}done:journal:restock:"
                                . 'shop-eu:8805:2') }),
   'the refund restocked and journaled')
    or diag($t->read_file('logs/w1.out'));

# no stock of SKU-C anywhere: unroutable
send_shopify('orders/create', order(802, [1, 'SKU-C', 1]));
ok(wait_for(60, sub { $t->redis('HGET', "${K}exception:unroutable:"
                                . 'shop-eu:802', 'state') }),
   'order 802 unroutable') or diag($t->read_file('logs/w1.out'));

###############################################################################
# api/order: routing

my ($st, $d) = api_order('shop-eu:801');
is($st, 200, 'api/order: 200');
my $r = $d->{routing};
ok($r->{allocated} && !$r->{unroutable} && $r->{decision}{rule} eq 'split-ok'
   && $r->{decision}{status} eq 'routed' && !$r->{decision}{default}
   && $r->{decision}{strategy} eq 'priority',
   'routing: allocated, by its rule, routed') or diag(explain($r));
is_deeply($r->{locations}, [
    { location => 'wh-a', lines => [ { line => '1', sku => 'SKU-A',
                                       qty => 2 } ] },
    { location => 'wh-b', lines => [ { line => '2', sku => 'SKU-B',
                                       qty => 1 } ] } ],
    'routing: lines and quantities per location');
ok(decode_json($r->{decision}{trace})->{considered}
   && $r->{decision}{audit} eq $r->{audit}, 'routing: its trace, the '
   . 'decision K alloc: names');
# the audit keeps the locations packed: the page writes them out as
# route explain does (order.lua, invsync_route_unpack.c)
($rc, $out) = ctl($t, $conf, 'route', 'explain', 'shop-eu:801', '--json');
my $explained = eval { decode_json($out) } // {};
delete @{$explained}{qw(order version)};
my $shown = decode_json($r->{decision}{trace});
is_deeply($shown, $explained, 'routing: the trace as route explain gives it')
    or diag($r->{decision}{trace}, "\n", $out);
ok(!exists $shown->{considered_packed}
   && $r->{decision}{trace} =~ /^\{"status":.*"lines":.*"considered":\[\{
        "location":"wh-a","kept":true,"stock":\{"SKU-A":\d+/x,
   'routing: the trace\'s text in the decision\'s order')
    or diag($r->{decision}{trace});

# shipments

my %s = map { $_->{id} => $_ } @{$d->{shipments}};
is_deeply([sort keys %s], ['shop-eu:801@wh-a', 'shop-eu:801@wh-b'],
          'shipments: one per location');
my $a = $s{'shop-eu:801@wh-a'};
ok($a->{location} eq 'wh-a' && $a->{kind} eq 'warehouse'
   && $a->{state} =~ /^(shipped|tracked)$/ && $a->{carrier} eq 'USPS'
   && $a->{tracking} && $a->{tracking_url} =~ m{^https?://}
   && $a->{cost_minor} > 0 && $a->{currency} && $a->{shipped_at}
   && $a->{opened_at},
   'shipments: state, carrier, tracking, label cost, times')
    or diag(explain($a));
is_deeply(decode_json($a->{lines}), [ { line_id => '1', sku => 'SKU-A',
                                        qty => 2 } ],
          'shipments: its lines, as JSON text');
my @same = qw(order location rule version carrier service tracking
              tracking_url label_url cost_minor currency provider_ref
              opened_at shipped_at);
is_deeply({ map { $_ => $a->{$_} } @same },
          { map { $_ => ship('shop-eu:801@wh-a')->{$_} } @same },
          'shipments: what K shipment: holds');

# refunds

my ($rf) = @{$d->{refunds}};
ok(@{$d->{refunds}} == 1 && $rf->{id} eq '8805' && $rf->{amount_minor} == 900
   && $rf->{currency} eq 'EUR' && $rf->{lines_from} eq 'refund'
   && $rf->{channel} eq 'shop-eu', 'refunds: the refund, its amount')
    or diag(explain($d->{refunds}));
my ($line) = @{decode_json($rf->{record}{data})->{lines}};
ok($line->{sku} eq 'SKU-B' && $line->{quantity} == 1 && $line->{restock},
   'refunds: its lines, from K refund:');
my ($x) = @{$rf->{restock}};
ok(@{$rf->{restock}} == 1 && $x->{sku} eq 'SKU-B' && $x->{line} eq '2'
   && $x->{restock} && $x->{reason} eq 'channel_restocked'
   && $x->{location} eq 'wh-b' && $x->{cause} eq 'restock:shop-eu:8805:2',
   'refunds: the line\'s restock decision, from the audit')
    or diag(explain($rf->{restock}));
my %j = map { $_->{cause} => $_ } @{$rf->{journal}};
is_deeply([sort keys %j], ['refund:shop-eu:8805', 'restock:shop-eu:8805:2'],
          'refunds: its journal entries, by their causes')
    or diag(explain($rf->{journal}));
my $sum = 0;
$sum += $_->{amount_minor} for map { @{decode_json($_->{lines})} } values %j;
my ($inv) = grep { $_->{account} eq 'inventory' }
            @{decode_json($j{'restock:shop-eu:8805:2'}{lines})};
ok($sum == 0 && $inv && $inv->{amount_minor} == 412,
   'refunds: the entries balance, the unit back at cost');

# an order no location can fill

($st, $d) = api_order('shop-eu:802');
$r = $d->{routing};
ok($r->{unroutable} && !$r->{allocated} && $r->{decision}{status}
   eq 'unroutable' && $r->{exception}{id} eq 'unroutable:shop-eu:802'
   && $r->{exception}{state} eq 'open' && $r->{waiting_since},
   'unroutable: said so, its exception, waiting') or diag(explain($r));
is_deeply($r->{reasons}, [ { line => '1', sku => 'SKU-C',
                             reason => 'no_stock' } ],
          'unroutable: the reason per line');
ok(!@{$d->{shipments}} && !@{$d->{refunds}},
   'unroutable: no shipments, no refunds');

$t->done;
