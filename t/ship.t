#!/usr/bin/perl

# Fulfilment through the real chain: signed Shopify orders into nginx,
# routing and shipments in the worker, labels bought from the carrier
# simulator (EasyPost's shape).  A split order gets two labels, stock
# leaves on hand at each location and the Shopify simulator shows the new
# quantities; duplicate and replayed webhooks buy no more; a worker killed
# between the carrier applying a buy and invsync recording it buys no
# second label (the restarted one finds it by reference); a manual
# location's shipment is confirmed with invsyncctl ship; an order
# cancelled while its label is bought has it voided; one cancelled after
# its shipments left opens cancel_after_shipment.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker kill_worker wait_for ctl
                     map_sku);
use InvsyncSetup qw(hook_locations shopify_req send_req warehouse_location
                    shopify_order);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test',
                 'carrier.key' => 'EZTK_sim' },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(46);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test');
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');

InvsyncSim::items($t, 'shopify', map {
    { inventory_item_id => $_, location_id => 9, available => 0,
      sku => "SKU-$_" } } 111, 222, 333);

sub warehouse { warehouse_location($t, $carrier, id => $_[0]) }

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ warehouse('wh-a'), warehouse('wh-b'),
                   { id => 'desk', kind => 'manual' } ],
    returns => { restock_on => 'refund' },
    routing => { rules => [ { name => 'default', strategy => 'priority',
                              rate => 'cheapest',
                              split => { allowed => JSON::PP::true,
                                         max => 3 } } ] },
    channels => [ { id => 'shop-eu', type => 'shopify', api_base => $shop,
                    credentials_file => $t->dir . '/shop.token',
                    stock => { locations => ['wh-a', 'wh-b', 'desk'] } } ]);

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 5);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-b', 5);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:desk', 4);
$t->redis('HSET', "${K}sku:SKU-A", 'weight_g', 300, 'length_mm', 200,
          'width_mm', 100, 'height_mm', 50);

run_worker($t, 'w1', $conf);

my $wh = 0;

sub order {
    my (%o) = @_;
    my $b = shopify_order(id => $o{id}, lines => $o{lines}, total => '59.00',
        updated_at => $o{updated} // '2026-11-20T10:00:00+01:00',
        cancelled_at => $o{cancelled},
        $o{pickup} ? (shipping_lines => [ { code => 'Pickup',
                                            title => 'Pickup' } ]) : ());
    $b->{shipping_address}{address1} = $o{street} if exists $o{street};
    return encode_json($b);
}

sub send_shopify {
    my ($body, $id, $topic) = @_;
    return send_req($t, shopify_req($topic // 'orders/create',
                                    $id // 'wh-' . ++$wh, $body));
}

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }
sub bought { return InvsyncSim::state($t, 'carrier')->{bought} }
sub shows { return InvsyncSim::quantity($t, 'shopify', $_[0], 9) // -1 }
sub on_hand { return $t->redis('HGET', "${K}stock:$_[0]", "on_hand:$_[1]") }

###############################################################################
# a split order: two labels, stock down at each place, the channel follows

my $o1 = order(id => 701, lines => [ [1, 'SKU-A', 2], [2, 'SKU-B', 1] ]);
is(send_shopify($o1, 'wh-701')->{status}, 200, 'order accepted');
ok(wait_for(30, sub { (ship('shop-eu:701@wh-a')->{state} // '') eq 'shipped'
                      && (ship('shop-eu:701@wh-b')->{state} // '')
                         eq 'shipped' }),
   'both shipments shipped')
    or diag($t->read_file('logs/w1.out'));
is_deeply([sort map { $_->{reference} } @{bought()}],
          ['shop-eu:701@wh-a', 'shop-eu:701@wh-b'],
          'two labels bought, each with its shipment as reference');
# a first attempt looks nothing up: no create was ever sent for it, so
# the carrier cannot know its reference (label_asked_at says one was)
sub looks {
    my ($ref) = @_;
    return scalar grep { $_->{method} eq 'GET'
                         && ($_->{path} =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger)
                            =~ m{^/v2/shipments/\Q$ref\E(?:\?|$)} }
                  @{InvsyncSim::requests($t, 'carrier')};
}
is(looks('shop-eu:701@wh-a') + looks('shop-eu:701@wh-b'), 0,
   'a first attempt sends no look-up by reference');
my $s = ship('shop-eu:701@wh-a');
ok(($s->{label_asked_at} // 0) >= $s->{opened_at},
   'label_asked_at: when the first create was sent');
ok($s->{tracking} && $s->{label_url} && $s->{provider_ref} =~ /^shp_/
   && $s->{cost_minor} > 0, 'label, tracking, cost recorded');
is($s->{carrier} . ':' . $s->{service}, 'USPS:GroundAdvantage',
   'the cheapest rate');
is_deeply([on_hand('SKU-A', 'wh-a'), on_hand('SKU-B', 'wh-b')], [3, 4],
          'on hand down at each location');
ok(wait_for(30, sub { shows(111) == 3 && shows(222) == 4 }),
   'the channel shows the new quantities');
# queued for tracking; the track driver may have taken it already (this
# order was never placed in the Shopify simulator: tracking_push_failed)
ok((grep { my $id = $_;
           defined $t->redis('ZSCORE', "${K}track:due", $id)
           || (ship($id)->{state} // '') eq 'tracked'
           || defined $t->redis('ZSCORE', "${K}exceptions:open",
                                "tracking_push_failed:$id") }
    'shop-eu:701@wh-a', 'shop-eu:701@wh-b') == 2, 'tracking due');

# the same webhook again, and the order replayed as an update
send_shopify($o1, 'wh-701');
send_shopify($o1, 'wh-701-again', 'orders/updated');
sleep 2;
is(scalar @{bought()}, 2, 'duplicate and replayed webhooks: no more labels');

###############################################################################
# the worker killed between the carrier's buy and invsync's record

InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 8000,
                 match => 'buy');
send_shopify(order(id => 702, lines => [ [1, 'SKU-A', 1] ]));
ok(wait_for(30, sub { grep { $_->{reference} eq 'shop-eu:702@wh-a' }
                      @{bought()} }), 'the carrier applied the buy');
kill_worker($t, 'w1', 'KILL');
is(ship('shop-eu:702@wh-a')->{state}, 'requested', 'not recorded yet');
run_worker($t, 'w1', $conf);
ok(wait_for(30, sub { (ship('shop-eu:702@wh-a')->{state} // '')
                      eq 'shipped' }), 'recorded after the restart')
    or diag($t->read_file('logs/w1.out'));
is(scalar(grep { $_->{reference} eq 'shop-eu:702@wh-a' } @{bought()}), 1,
   'found by reference: no second label');
is(looks('shop-eu:702@wh-a'), 1, 'the attempt after the crash looked it up');
is(on_hand('SKU-A', 'wh-a'), 2, 'stock taken once');

###############################################################################
# a manual location: the order waits, invsyncctl ship confirms it

send_shopify(order(id => 703, lines => [ [1, 'SKU-C', 1] ]));
ok(wait_for(30, sub { (ship('shop-eu:703@desk')->{state} // '') eq 'open' }),
   'the manual shipment is open');
is($t->redis('ZSCORE', "${K}fulfil:due", 'shop-eu:703@desk'), undef,
   'and waits for a person');
# a pickup confirmation is for a pickup shipment only: on a parcel's it
# would queue tracking with no tracking number
my ($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:703', '--location', 'desk',
                     '--carrier', 'pickup');
is_deeply([$rc, $out =~ /not a pickup shipment: .*kind manual/ ? 1 : 0,
           ship('shop-eu:703@desk')->{state},
           $t->redis('ZSCORE', "${K}track:due", 'shop-eu:703@desk'),
           on_hand('SKU-C', 'desk')], [1, 1, 'open', undef, 4],
          '--carrier pickup on a manual shipment: refused, nothing written')
    or diag($out);
($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:703', '--location', 'desk',
                  '--carrier', 'DHL', '--tracking', 'JD0001');
is($rc, 0, 'invsyncctl ship') or diag($out);
is_deeply([@{ship('shop-eu:703@desk')}{qw(state carrier tracking)},
           on_hand('SKU-C', 'desk')], ['shipped', 'DHL', 'JD0001', 3],
          'shipped, stock down');
($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:703', '--location', 'desk',
                  '--carrier', 'DHL', '--tracking', 'JD0001');
like($out, qr/shipped before/, 'twice is once');

###############################################################################
# cancelled while its label is being bought: the label is voided

InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 8000,
                 match => 'buy');
my $o4 = order(id => 704, lines => [ [1, 'SKU-B', 1] ]);
send_shopify($o4);
ok(wait_for(30, sub { grep { $_->{reference} eq 'shop-eu:704@wh-b' }
                      @{bought()} }), 'the label is being bought');
send_shopify(order(id => 704, lines => [ [1, 'SKU-B', 1] ],
                   updated => '2026-11-20T11:00:00+01:00',
                   cancelled => '2026-11-20T11:00:00+01:00'),
             undef, 'orders/cancelled');
ok(wait_for(30, sub { (ship('shop-eu:704@wh-b')->{state} // '')
                      eq 'voided' }), 'the label voided')
    or diag(explain(ship('shop-eu:704@wh-b')), explain([map { "$_->{method} $_->{path} $_->{status}" } @{InvsyncSim::requests($t, 'carrier')}]));
is_deeply([(map { $_->{reference} }
            @{InvsyncSim::state($t, 'carrier')->{refunded}}),
           on_hand('SKU-B', 'wh-b')], ['shop-eu:704@wh-b', 4],
          'refunded at the carrier, stock not shipped');

###############################################################################
# an edit makes the order a pickup at the same place while its label is
# being bought: the shipment is not made a pickup under the carrier's feet;
# a person is asked (shipment_kind_changed)

$t->redis('HINCRBY', "${K}stock:SKU-A", 'on_hand:wh-a', 2);
InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 6000,
                 match => 'buy');
send_shopify(order(id => 709, lines => [ [1, 'SKU-A', 1] ]));
ok(wait_for(30, sub { grep { $_->{reference} eq 'shop-eu:709@wh-a' }
                      @{bought()} }), 'the label is being bought');
send_shopify(order(id => 709, lines => [ [1, 'SKU-A', 1] ], pickup => 1,
                   updated => '2026-11-20T11:00:00+01:00'),
             undef, 'orders/updated');
my $x7 = 'shipment_kind_changed:shop-eu:709@wh-a';
ok(wait_for(30, sub { defined $t->redis('ZSCORE', "${K}exceptions:open",
                                        $x7) }),
   'a pickup now, but the carrier has it: an exception for a person')
    or diag(explain(ship('shop-eu:709@wh-a')), $t->read_file('logs/w1.out'));
is_deeply([ship('shop-eu:709@wh-a')->{kind},
           decode_json($t->redis('HGET', "${K}exception:$x7", 'data')
                       // '{}')->{wanted}],
          ['warehouse', 'pickup'], 'the shipment kept as the carrier has it');
ok(wait_for(30, sub { (ship('shop-eu:709@wh-a')->{state} // '')
                      eq 'shipped' }), 'and its label bought as it was');

# the same edit before any provider has it (its label refused): it is a
# pickup now, open again, not due for a label; collected, label_failed goes
send_shopify(order(id => 710, lines => [ [1, 'SKU-A', 1] ], street => undef));
ok(wait_for(30, sub { (ship('shop-eu:710@wh-a')->{state} // '') eq 'failed' }),
   'no street: the label refused');
send_shopify(order(id => 710, lines => [ [1, 'SKU-A', 1] ], street => undef,
                   pickup => 1, updated => '2026-11-20T11:00:00+01:00'),
             undef, 'orders/updated');
ok(wait_for(30, sub { (ship('shop-eu:710@wh-a')->{kind} // '') eq 'pickup' }),
   'made a pickup: nothing was bought, so the shipment follows the edit')
    or diag(explain(ship('shop-eu:710@wh-a')), $t->read_file('logs/w1.out'));
is_deeply([ship('shop-eu:710@wh-a')->{state},
           $t->redis('ZSCORE', "${K}fulfil:due", 'shop-eu:710@wh-a'),
           $t->redis('EXISTS', "${K}exception:shipment_kind_changed:"
                               . 'shop-eu:710@wh-a')],
          ['open', undef, 0], 'open again, not due for a label, no exception');
($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:710', '--location', 'wh-a',
                  '--carrier', 'pickup');
is_deeply([$rc, ship('shop-eu:710@wh-a')->{state},
           $t->redis('HGET', "${K}exception:label_failed:shop-eu:710\@wh-a",
                     'state')], [0, 'shipped', 'resolved'],
          'collected: shipped, label_failed resolved') or diag($out);

###############################################################################
# a 503 is tried again; a refusal opens label_failed with the carrier's words

InvsyncSim::fail($t, 'carrier', mode => '5xx', status => 503, count => 1);
send_shopify(order(id => 705, lines => [ [1, 'SKU-B', 1] ]));
ok(wait_for(30, sub { (ship('shop-eu:705@wh-b')->{state} // '')
                      eq 'shipped' }), 'shipped after a 503');
send_shopify(order(id => 706, lines => [ [1, 'SKU-B', 1] ], street => undef));
ok(wait_for(30, sub { (ship('shop-eu:706@wh-b')->{state} // '') eq 'failed' }),
   'no street: the label refused');
like($t->redis('HGET', "${K}exception:label_failed:shop-eu:706\@wh-b", 'data')
     // '', qr/HTTP 422: .*street1/i, 'label_failed with the carrier\'s message');
# a person ships it by hand: the exception's cause is gone
($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:706', '--location', 'wh-b',
                  '--carrier', 'UPS', '--tracking', '1ZBYHAND');
is_deeply([$rc, (map { $t->redis('HGET', "${K}exception:label_failed:"
                                 . 'shop-eu:706@wh-b', $_) // '' }
                 qw(state resolved_by))], [0, 'resolved', 'invsync-worker'],
          'shipped by hand: label_failed resolved') or diag($out);

###############################################################################
# a return of a line invsync shipped goes back where its shipment left from
# (wh-b), not to the channel's first location (wh-a)

my $b_before = on_hand('SKU-B', 'wh-b');
send_shopify(encode_json({
    id => 7805, order_id => 705, created_at => '2026-11-22T09:00:00Z',
    processed_at => '2026-11-22T09:00:00Z',
    refund_line_items => [ { id => 7806, line_item_id => 1, quantity => 1,
                             restock_type => 'return', subtotal => '9.00',
                             line_item => { id => 1, sku => 'SKU-B' } } ],
    transactions => [ { kind => 'refund', status => 'success',
                        amount => '9.00', currency => 'EUR' } ] }),
             undef, 'refunds/create');
ok(wait_for(30, sub { on_hand('SKU-B', 'wh-b') == $b_before + 1 }),
   'the returned unit back at wh-b')
    or diag($t->read_file('logs/w1.out'));
my ($restock) = map { decode_json($_->{decision}) }
                grep { ($_->{action} // '') eq 'refund.restock' }
                @{InvsyncWorker::audit_entries($t)};
is_deeply([ @{$restock // {}}{qw(location location_from)} ],
          [ 'wh-b', 'shipped' ], 'decided from the shipment that left');

# cancelled after its shipments left: a person decides (a return)
send_shopify(order(id => 701, lines => [ [1, 'SKU-A', 2], [2, 'SKU-B', 1] ],
                   updated => '2026-11-20T12:00:00+01:00',
                   cancelled => '2026-11-20T12:00:00+01:00'),
             undef, 'orders/cancelled');
ok(wait_for(30, sub { $t->redis('HGET', "${K}exception:cancel_after_shipment:"
                                . 'shop-eu:701@wh-a', 'state') }),
   'cancel_after_shipment opened');
is(ship('shop-eu:701@wh-b')->{state}, 'shipped', 'the shipment stays shipped');

###############################################################################
# the carrier key is read at start and at each reload, not per shipment: a
# file changed under the running worker changes nothing until a SIGHUP

$t->write_file('carrier.key', "EZTK_wrong\n");
send_shopify(order(id => 707, lines => [ [1, 'SKU-A', 1] ]));
ok(wait_for(30, sub { (ship('shop-eu:707@wh-a')->{state} // '')
                      eq 'shipped' }),
   'a changed key file: the key read at start still buys the label')
    or diag(explain ship('shop-eu:707@wh-a'));
my $reloads = () = $t->read_file('logs/w1.out') =~ /configuration reloaded/g;
kill 'HUP', $t->{pids}{w1};
ok(wait_for(30, sub { my $n = () = $t->read_file('logs/w1.out')
                                  =~ /configuration reloaded/g;
                      $n > $reloads }), 'reloaded');
send_shopify(order(id => 708, lines => [ [1, 'SKU-A', 1] ]));
ok(wait_for(30, sub { (ship('shop-eu:708@wh-a')->{state} // '') eq 'failed' }),
   'after the reload the new key is sent (the carrier refuses it)')
    or diag(explain ship('shop-eu:708@wh-a'));
like($t->redis('HGET', "${K}exception:label_failed:shop-eu:708\@wh-a", 'data')
     // '', qr/HTTP 401/, 'label_failed: 401');
$t->write_file('carrier.key', "EZTK_sim\n");

$t->done;
