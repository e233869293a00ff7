#!/usr/bin/perl

# Bad carrier input on the fulfilment path (docs/fulfilment.md "Bad
# provider input"), through the real chain: Shopify orders into nginx,
# labels from the carrier simulator.  Rates of "NaN", "1e400", "12abc",
# "-5" and "" are never chosen (a good dearer one is; with none left,
# label_failed names the refused rate); a label bought whose tracking
# number has a newline or is 500 bytes long leaves the shipment failed
# with label_failed and last_error saying why, nothing pushed; invsyncctl
# ship refuses a bad --tracking or --carrier as a usage error.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for ctl map_sku);
use InvsyncSetup qw(hook_locations shopify_req send_req warehouse_location
                    shopify_order);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test',
                 'carrier.key' => 'EZTK_sim' },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(19);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test');
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');

InvsyncSim::items($t, 'shopify', { inventory_item_id => 111,
                                   location_id => 9, available => 0,
                                   sku => 'SKU-A' });

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ warehouse_location($t, $carrier),
                   { id => 'desk', kind => 'manual' } ],
    routing => { rules => [ { name => 'default', strategy => 'priority',
                              rate => 'cheapest' } ] },
    channels => [ { id => 'shop-eu', type => 'shopify', api_base => $shop,
                    credentials_file => $t->dir . '/shop.token',
                    stock => { locations => ['wh-a', 'desk'] } } ]);

map_sku($t, 'SKU-A', 111, 501);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 50);

run_worker($t, 'w1', $conf);

sub order {
    my ($id) = @_;
    my $body = encode_json(shopify_order(id => $id, total => '9.00',
        line_items => [ { id => 1, sku => 'SKU-A', quantity => 1,
                          price => '9.00', title => 'A', product_id => 7,
                          variant_id => 1 } ]));
    return send_req($t, shopify_req('orders/create', "wh-$id", $body));
}

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }
sub state_of { return ship($_[0])->{state} // '' }
sub bought { return scalar @{InvsyncSim::state($t, 'carrier')->{bought}} }
sub exc {
    return $t->redis('HGET', "${K}exception:label_failed:$_[0]", 'data')
           // '';
}
sub bad_rates {
    return map { { carrier => $_->[0], service => $_->[1], text => $_->[2],
                   delivery_days => 1 } }
           [ 'USPS', 'GroundAdvantage', 'NaN' ],
           [ 'USPS', 'Priority', '1e400' ], [ 'DHL', 'Express', '12abc' ],
           [ 'FedEx', 'FEDEX_2_DAY', '-5' ], [ 'OnTrac', 'Ground', '' ];
}
my $good = { carrier => 'UPS', service => 'Ground', base => 9.80,
             per_oz => 0, delivery_days => 3 };

###############################################################################
# bad rates beside a good one: the good one is bought

InvsyncSim::configure($t, 'carrier', rates => [ bad_rates(), $good ]);
is(order(801)->{status}, 200, 'order accepted');
ok(wait_for(30, sub { state_of('shop-eu:801@wh-a') eq 'shipped' }),
   'shipped') or diag($t->read_file('logs/w1.out'));
my $s = ship('shop-eu:801@wh-a');
is(($s->{carrier} // '') . ':' . ($s->{service} // ''), 'UPS:Ground',
   'NaN, 1e400, 12abc, -5 and "" are not chosen: the good rate is');
is($s->{cost_minor}, 980, 'its cost exactly');

###############################################################################
# only bad rates: no label, label_failed names the refusal

InvsyncSim::configure($t, 'carrier', rates => [ bad_rates() ]);
is(order(802)->{status}, 200, 'order accepted');
ok(wait_for(30, sub { state_of('shop-eu:802@wh-a') eq 'failed' }),
   'no usable rate: the shipment failed')
    or diag($t->read_file('logs/w1.out'));
is(bought(), 1, 'no label bought');
like(exc('shop-eu:802@wh-a'), qr/no rate for .*refused .*: /,
     'label_failed says a rate was refused and why');
like(ship('shop-eu:802@wh-a')->{last_error} // '', qr/refused/,
     'last_error too');

###############################################################################
# a tracking number with a newline, one of 500 bytes: the label is bought,
# the shipment is not lost: failed, label_failed, nothing pushed

InvsyncSim::configure($t, 'carrier', rates => [ $good ],
                      tracking_code => "1Z99\n99");
is(order(803)->{status}, 200, 'order accepted');
ok(wait_for(30, sub { state_of('shop-eu:803@wh-a') eq 'failed' }),
   'tracking with a newline: failed') or diag($t->read_file('logs/w1.out'));
like(exc('shop-eu:803@wh-a'), qr/bought, its confirmation refused: tracking number has a control byte 0x0a/,
     'label_failed names the label, the field and the byte');
ok(!defined $t->redis('ZSCORE', "${K}track:due", 'shop-eu:803@wh-a'),
   'nothing queued for the channel');

InvsyncSim::configure($t, 'carrier', tracking_code => 'A' x 500);
is(order(804)->{status}, 200, 'order accepted');
ok(wait_for(30, sub { state_of('shop-eu:804@wh-a') eq 'failed' }),
   'tracking of 500 bytes: failed') or diag($t->read_file('logs/w1.out'));
like(ship('shop-eu:804@wh-a')->{last_error} // '',
     qr/tracking number is \d+ bytes, more than 100/, 'last_error says why');

###############################################################################
# invsyncctl ship: a usage error naming the option

my ($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:803', '--location', 'wh-a',
                     '--carrier', 'UPS', '--tracking', "1Z\x0199");
is($rc, 1, 'ship --tracking with a control byte: exit 1');
like($out, qr/--tracking has a control byte 0x01/, 'and says why')
    or diag($out);
($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:803', '--location', 'wh-a',
                  '--carrier', "UPS\r", '--tracking', '1Z9999');
like($out, qr/--carrier has a control byte 0x0d/, 'a carrier with CR too')
    or diag($out);

$t->done;
