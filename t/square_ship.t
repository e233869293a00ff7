#!/usr/bin/perl

# Square orders that invsync ships and that Square's stores sell
# (docs/channels/square.md, "Shipped orders" and "Several stores on one
# channel"), through nginx, Redis and invsync-worker against the Square and
# carrier simulators.  A polled Square order with a SHIPMENT fulfilment
# carries its recipient's address: a rule on the destination (country,
# region, postal prefix) sends it to the warehouse, whose label is bought
# for that address (what the carrier received is read back), and, Square
# having no tracking push in invsync, the shipment stays shipped with no
# tracking_push_failed.  Two stores of one Square account on one channel
# (options.ledger_locations): a counter sale at each takes stock at its
# own ledger location.  invsync-worker -t refuses a bad map with its path.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf worker_bin run_worker wait_for ctl
                     audit_entries);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => {
        'square.secret' => 'sq_Sig-Key_123',
        'square.token'  => 'EAAAEtest_token',
        'carrier.key'   => 'EZTK_sim',
    },
    locations => <<'EOF2');
        location = /hooks/square {
            invsync_webhook square;
            invsync_channel sq-main;
            invsync_secret_file %%TESTDIR%%/square.secret;
            invsync_notification_url http://127.0.0.1:%%PORT%%/hooks/square;
        }
EOF2
$t->run;
$t->wait_ready;
$t->plan(18);

my $K = 'invsync:{invsync}:';
my $hooks = 'http://127.0.0.1:' . $t->port('http');
my $sq = InvsyncSim::start($t, 'square', webhook_url => "$hooks/hooks/square",
    webhook_secret => 'sq_Sig-Key_123', merchant_id => 'MSIMSQUARE1',
    items => [
        { catalog_object_id => 'VARMUG', location_id => 'LOCSOHO',
          quantity => 5, sku => 'MUG', price => 1500 },
        { catalog_object_id => 'VARMUG', location_id => 'LOCTRIB',
          quantity => 5 },
        { catalog_object_id => 'VARMUG', location_id => 'LOCBKLN',
          quantity => 5 },
    ]);
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');

my %channel = (id => 'sq-main', type => 'square', api_base => $sq,
    credentials_file => $t->dir . '/square.token', poll_s => 1,
    stock => { locations => ['store-soho'] });
my %opts = (locations => ['LOCSOHO', 'LOCTRIB', 'LOCBKLN'], merchant_id => 'MSIMSQUARE1',
    ledger_locations => { LOCSOHO => 'store-soho',
                          LOCTRIB => 'store-tribeca' });
my @locations = (
    { id => 'wh-us', kind => 'warehouse',
      address => { country => 'US', region => 'NJ', postal_code => '07001' },
      fulfilment => { api_base => "$carrier/v2",
                      credentials_file => $t->dir . '/carrier.key',
                      from => { name => 'Avenel DC', address1 => '1 Dock Rd',
                                city => 'Avenel', province => 'NJ',
                                zip => '07001', country_code => 'US' },
                      parcel => { weight_g => 500 } } },
    { id => 'wh-eu', kind => 'manual' },
    { id => 'store-soho', kind => 'manual' },
    { id => 'store-tribeca', kind => 'manual' });
my %routing = (rules => [
    { name => 'new-york', when => { country => 'US', region => 'ny',
                                    postal_prefix => '100' },
      require => ['wh-us'] },
    { name => 'rest', require => ['wh-eu'] } ]);

###############################################################################
# invsync-worker -t: the map, key by key, refused with its path

for my $c ([ 'LOC SOHO' => 'store-soho',
             qr/channels\[0\]: "options": "ledger_locations"\."LOC SOHO": not a Square location id/ ],
           [ 'LOCSOHO' => '',
             qr/channels\[0\]: "options": "ledger_locations"\."LOCSOHO" must be a ledger location id/ ])
{
    my $f = worker_conf($t, 'bad.json', locations => \@locations,
        channels => [ { %channel, options => { %opts,
                        ledger_locations => { $c->[0] => $c->[1] } } } ]);
    my $out = `@{[worker_bin($t)]} -t -c $f 2>&1`;
    like($out, $c->[2], "-t refuses ledger_locations {\"$c->[0]\": "
         . "\"$c->[1]\"}") or diag($out);
}

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    locations => \@locations, routing => \%routing,
    channels => [ { %channel, options => \%opts } ]);
my $out = `@{[worker_bin($t)]} -t -c $conf 2>&1`;
like($out, qr/is valid/, 'the map of two stores is valid') or diag($out);

my $rc;
($rc, $out) = ctl($t, $conf, 'sku', 'map', 'MUG', '--channel', 'sq-main',
                  '--variation-id', 'VARMUG', '--location', 'LOCSOHO');
is($rc, 0, 'MUG mapped on Square') or diag($out);
for (['wh-us', 20], ['wh-eu', 20], ['store-soho', 5], ['store-tribeca', 5]) {
    ($rc, $out) = ctl($t, $conf, 'stock', 'set', 'MUG', '--location',
                      $_->[0], '--qty', $_->[1], '--why', 'count');
    $rc == 0 or diag($out);
}

run_worker($t, 'w', $conf);

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }
sub stock { return { @{$t->redis('HGETALL', "${K}stock:$_[0]")} } }
sub open_exceptions {
    return [grep { /^(label_failed|tracking_push_failed|unroutable)/ }
            @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)}];
}

###############################################################################
# a shipped Square order: routed by its destination, a label for its
# recipient

my $to = { display_name => 'Jane Doe', email_address => 'jane@example.com',
           phone_number => '+1-212-555-4240',
           address => { address_line_1 => '500 Electric Ave',
                        address_line_2 => 'Suite 600', locality => 'New York',
                        administrative_district_level_1 => 'NY',
                        postal_code => '100-03', country => 'US' } };
my $o1 = InvsyncSim::order($t, 'square', location_id => 'LOCSOHO',
    recipient => $to, shipping_type => 'Priority',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 2 } ]);
my $s1 = "sq-main:$o1->{id}\@wh-us";
ok(wait_for(30, sub { (ship($s1)->{state} // '') eq 'shipped' }),
   'the shipped order goes to the warehouse its destination rule names, '
   . 'and its label is bought')
    or diag(explain [ship($s1), ship("sq-main:$o1->{id}\@wh-eu"),
                     $t->read_file('logs/w.out')]);
my ($route) = grep { ($_->{action} // '') eq 'order.route'
                     && ($_->{order} // '') eq "sq-main:$o1->{id}" }
              @{audit_entries($t)};
is((eval { decode_json($route->{inputs}) } // {})->{rule}, 'new-york',
   'order.route: the rule on country, region and postal prefix matched');
my ($create) = grep { $_->{method} eq 'POST' && $_->{path} eq '/v2/shipments' }
               @{InvsyncSim::requests($t, 'carrier')};
my $sent = $create ? decode_json($create->{body})->{shipment} : {};
is_deeply($sent->{to_address},
          { name => 'Jane Doe', street1 => '500 Electric Ave',
            street2 => 'Suite 600', city => 'New York', state => 'NY',
            zip => '100-03', country => 'US', phone => '+1-212-555-4240' },
          'the carrier received the recipient\'s address')
    or diag(explain $sent);
my $sh = ship($s1);
my ($bought) = grep { $_->{reference} eq $s1 }
               @{InvsyncSim::state($t, 'carrier')->{shipments}};
ok($bought && $sh->{tracking} && $sh->{tracking} eq $bought->{tracking_code},
   'the label\'s tracking code recorded on the shipment')
    or diag(explain [$sh, $bought]);
my $st = stock('MUG');
is_deeply([@$st{qw(on_hand:wh-us reserved:wh-us on_hand:wh-eu)}],
          [18, 0, 20], 'on hand down at the warehouse');
sleep 2;
is_deeply([ship($s1)->{state}, ship($s1)->{attempts} // 0,
           [grep { $_->{path} !~ m{^/v2/(orders/search|inventory/)} }
            @{InvsyncSim::requests($t, 'square')}],
           open_exceptions()],
          ['shipped', 0, [], []],
          'Square has no tracking push in invsync: the shipment stays '
          . 'shipped, nothing sent to Square, no tracking_push_failed, no '
          . 'label_failed');
ok(wait_for(5, sub { !defined $t->redis('ZSCORE', "${K}track:due", $s1) }),
   'and it leaves the tracking due set (no channel of this worker tracks)')
    or diag(explain $t->redis('ZRANGE', "${K}track:due", 0, -1, 'WITHSCORES'));

###############################################################################
# two stores on one channel: each counter sale at its own location

my $o2 = InvsyncSim::order($t, 'square', fulfillment => 'none',
    state => 'COMPLETED', location_id => 'LOCSOHO',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 1 } ]);
my $o3 = InvsyncSim::order($t, 'square', fulfillment => 'none',
    state => 'COMPLETED', location_id => 'LOCTRIB',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 3 } ]);
my ($s2, $s3) = ("sq-main:$o2->{id}\@store-soho",
                 "sq-main:$o3->{id}\@store-tribeca");
ok(wait_for(30, sub { (ship($s2)->{state} // '') eq 'shipped'
                      && (ship($s3)->{state} // '') eq 'shipped' }),
   'each counter sale is confirmed at the store its Square location maps to')
    or diag(explain [ship($s2), ship($s3), $t->read_file('logs/w.out')]);
$st = stock('MUG');
is_deeply([@$st{qw(on_hand:store-soho on_hand:store-tribeca on_hand:wh-us)}],
          [4, 2, 18], 'Soho 5 - 1, Tribeca 5 - 3, the warehouse untouched');
($route) = grep { ($_->{action} // '') eq 'order.route'
                  && ($_->{order} // '') eq "sq-main:$o3->{id}" }
           @{audit_entries($t)};
my $tr = eval { decode_json($route->{inputs}) } // {};
is_deeply([@$tr{qw(mode location sold_at)}],
          ['none', 'store-tribeca', 'LOCTRIB'],
          'the trace: sold at LOCTRIB, placed at store-tribeca');

# a pickup at Tribeca waits there
my $o4 = InvsyncSim::order($t, 'square', fulfillment => 'PICKUP',
    location_id => 'LOCTRIB', recipient => { display_name => 'Sam' },
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 1 } ]);
my $s4 = "sq-main:$o4->{id}\@store-tribeca";
ok(wait_for(30, sub { (ship($s4)->{state} // '') eq 'open' }),
   'a pickup at Tribeca waits at store-tribeca')
    or diag(explain [ship($s4), $t->read_file('logs/w.out')]);
is(stock('MUG')->{'reserved:store-tribeca'}, 1, 'reserved there');

# a store the map does not name (Brooklyn, polled but not in
# ledger_locations): unknown, not the channel's stock location (Soho)
my $o5 = InvsyncSim::order($t, 'square', fulfillment => 'none',
    state => 'COMPLETED', location_id => 'LOCBKLN',
    line_items => [ { catalog_object_id => 'VARMUG', quantity => 1 } ]);
my $x5 = "unroutable:sq-main:$o5->{id}";
ok(wait_for(30, sub { defined $t->redis('ZSCORE', "${K}exceptions:open",
                                        $x5) }),
   'a counter sale at a store the map does not name: unroutable')
    or diag(explain [ship("sq-main:$o5->{id}\@store-soho"),
                     $t->read_file('logs/w.out')]);
is_deeply([decode_json($t->redis('HGET', "${K}exception:$x5", 'data'))
               ->{reasons}[0]{reason},
           $t->redis('EXISTS', "${K}shipment:sq-main:$o5->{id}\@store-soho"),
           $t->redis('EXISTS', "${K}shipments:sq-main:$o5->{id}")],
          ['unknown_location', 0, 0],
          'reason unknown_location; no shipment at Soho, none at all')
    or diag($t->redis('HGET', "${K}exception:$x5", 'data'));

$t->done;
