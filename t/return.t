#!/usr/bin/perl

# Returns (RMA, docs/returns.md "RMA") through invsyncctl and the real
# worker: a Shopify order routed to a manual location and shipped with
# invsyncctl ship; `return open` (twice: once), `return receive` with a
# resellable and a damaged unit (twice: once), the ledger (on hand back
# where it shipped from, the damaged bucket), the Shopify simulator
# showing the new quantity through the pusher, the journal (inventory
# back at cost, the write-off, each entry balanced), the refund due
# (refund_on receipt, at the order's price); a receipt of a SKU never
# shipped, and of more units than shipped, is return_not_shipped and
# moves nothing; list, show, transit, close, and a receipt after close
# refused.

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
use InvsyncSetup qw(hook_locations shopify_req send_req accounts
                    shopify_order);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test' },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(43);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test');
InvsyncSim::items($t, 'shopify', map {
    { inventory_item_id => $_, location_id => 9, available => 0,
      sku => "SKU-$_" } } 111, 222, 333);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ { id => 'desk', kind => 'manual' } ],
    routing => { rules => [ { name => 'default', strategy => 'priority' } ] },
    returns => { restock_on => 'receipt', refund_on => 'receipt' },
    journal => { accounts => { accounts() } },
    channels => [ { id => 'shop-eu', type => 'shopify', api_base => $shop,
                    credentials_file => $t->dir . '/shop.token',
                    stock => { locations => ['desk'] } } ]);

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:desk', 6);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:desk', 4);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:desk', 3);
my ($rc, $out) = ctl($t, $conf, 'sku', 'set', 'SKU-A', '--cost-minor', '400',
                     '--currency', 'EUR');
is($rc, 0, 'SKU-A costs 4.00 EUR') or diag($out);

run_worker($t, 'w1', $conf);

sub order { encode_json(shopify_order(total => '27.00', @_)) }

sub send_shopify {
    my ($body, $id) = @_;
    return send_req($t, shopify_req('orders/create', $id, $body));
}

sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub shows { return InvsyncSim::quantity($t, 'shopify', $_[0], 9) // -1 }
sub show { my ($rc, $o) = ctl($t, $conf, 'return', 'show', $_[0], '--json');
           return $rc == 0 ? decode_json($o) : { rc => $rc, out => $o } }
sub journal {
    return [map { my %f = %{$_->[1]}; $f{lines} = decode_json($f{lines});
                  \%f } @{$t->stream("${K}journal")}];
}
sub exc { return { @{$t->redis('HGETALL', "${K}exception:$_[0]")} } }

###############################################################################
# an order shipped from the desk

is(send_shopify(order(id => 801, lines => [ [8011, 'SKU-A', 2],
                                            [8012, 'SKU-B', 1] ]),
                'wh-801')->{status}, 200, 'an order for 2 SKU-A, 1 SKU-B');
ok(wait_for(30, sub { ($t->redis('HGET', "${K}shipment:shop-eu:801\@desk",
                                 'state') // '') eq 'open' }),
   'its shipment at the desk') or diag($t->read_file('logs/w1.out'));
($rc, $out) = ctl($t, $conf, 'ship', 'shop-eu:801', '--location', 'desk',
                  '--carrier', 'DHL', '--tracking', 'JD801');
is($rc, 0, 'shipped with invsyncctl ship') or diag($out);
is_deeply([stock('SKU-A')->{'on_hand:desk'}, stock('SKU-B')->{'on_hand:desk'}],
          [4, 3], 'on hand after the shipment');
ok(wait_for(30, sub { shows(111) == 4 }), 'Shopify shows 4 SKU-A')
    or diag(shows(111));

###############################################################################
# open, once

($rc, $out) = ctl($t, $conf, 'return', 'open', '801', '--channel', 'shop-eu',
                  '--line', 'SKU-A:2', '--line', 'SKU-B:1', '--reason',
                  'too_small', '--id', 'R-801', '--by', 'ann');
is($rc, 0, 'return open') or diag($out);
like($out, qr/^return R-801: opened, audit \d+-\d+/, 'opened, its audit id');
($rc, $out) = ctl($t, $conf, 'return', 'open', '801', '--channel', 'shop-eu',
                  '--line', 'SKU-A:2', '--id', 'R-801');
ok($rc == 0 && $out =~ /opened before, state open/,
   'the same open again: nothing changed') or diag($out);
my $r = show('R-801');
is_deeply([ $r->{state}, $r->{order}, $r->{reason},
            [ map { [ @$_{qw(sku qty price_minor currency line_id)} ] }
              @{$r->{lines}} ] ],
          [ 'open', 'shop-eu:801', 'too_small',
            [ [ 'SKU-A', 2, 900, 'EUR', '8011' ],
              [ 'SKU-B', 1, 900, 'EUR', '8012' ] ] ],
          'show: open, its lines at the order\'s prices') or diag(explain $r);

($rc, $out) = ctl($t, $conf, 'return', 'open', '999', '--channel', 'shop-eu',
                  '--line', 'SKU-A:1');
ok($rc == 2 && $out =~ /no order shop-eu:999 recorded/,
   'an unknown order: exit 2, says why') or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'open', '801', '--channel', 'shop-eu',
                  '--line', 'SKU-A');
ok($rc == 1 && $out =~ /give SKU:QTY/, 'a line without a quantity: usage')
    or diag($out);

($rc, $out) = ctl($t, $conf, 'return', 'transit', 'R-801', '--tracking',
                  '1ZBACK');
is($rc, 0, 'in transit') or diag($out);

###############################################################################
# the receipt: one resellable, one damaged SKU-A; once

my @rcv = ('return', 'receive', 'R-801', '--line', 'SKU-A:1:resellable',
           '--line', 'SKU-A:1:damaged', '--by', 'bob');
($rc, $out) = ctl($t, $conf, @rcv);
ok($rc == 0 && $out =~ /: received\n/, 'received and inspected')
    or diag($out);
like($out, qr/SKU-A\s+1\s+resellable\s+resellable\s+on_hand\s+desk/,
     'the resellable unit: on hand at the desk, where it shipped from');
for (1 .. 3) {
    ($rc, $out) = ctl($t, $conf, @rcv);
}
ok($rc == 0 && $out =~ /received before/, 'the same receipt 3 more times: '
   . 'received before') or diag($out);
is_deeply([ @{stock('SKU-A')}{qw(on_hand:desk damaged:desk)} ], [5, 1],
          'once: 1 back on hand, 1 in the damaged bucket');
ok(wait_for(30, sub { shows(111) == 5 }),
   'Shopify shows 5 SKU-A (the damaged unit is not for sale)')
    or diag(shows(111));

$r = show('R-801');
is($r->{state}, 'inspected', 'the RMA is inspected');
is_deeply([ map { $_->{state} } @{$r->{history}} ],
          [ 'open', 'in_transit', 'received', 'inspected' ],
          'its history, each state once');
ok(!grep({ !$_->{at} || !$_->{cause} } @{$r->{history}}),
   'each state with its time and cause');
is_deeply([ map { [ @$_{qw(sku received restocked damaged)} ] }
            @{$r->{lines}} ],
          [ [ 'SKU-A', 2, 1, 1 ], [ 'SKU-B', undef, undef, undef ] ],
          'the lines: 2 received, 1 restocked, 1 damaged');
my ($due) = @{$r->{refund_due}};
is_deeply([ $due->{amount_minor}, $due->{currency}, $due->{state},
            [ map { [ @$_{qw(sku qty amount_minor line_id)} ] }
              @{$due->{lines}} ] ],
          [ 900, 'EUR', 'due', [ [ 'SKU-A', 1, 900, '8011' ] ] ],
          'refund due: the resellable unit at the order\'s price');
like($due->{cause}, qr/^rma:R-801:ctl-[0-9a-f]{12}$/,
     'its cause for the channel refund: rma:<rma>:<receipt>');
# the due asked of the channel: one request of that cause, however often
# the receipt came (docs/refunds.md makes and tests the refund itself)
is_deeply([ @{$t->redis('ZRANGE', "${K}refundouts", 0, -1)} ],
          [ $due->{cause} ], 'one channel refund asked, by the due\'s cause');
is_deeply([ map { $t->redis('HGET', "${K}refundout:$due->{cause}", $_) }
            qw(channel order_id) ], [ 'shop-eu', '801' ],
          'of the order\'s channel and id');

my @acts = map { $_->{action} } grep { ($_->{order} // '') eq 'shop-eu:801' }
           @{audit_entries($t)};
is_deeply([ grep { /^return\./ } @acts ],
          [ 'return.open', 'return.transit', 'return.restock',
            'return.restock', 'return.receive', 'return.inspect' ],
          'the audit: each step once');

my @j = grep { $_->{cause} =~ /^restock:rma:R-801:/ } @{journal()};
is_deeply([ sort map { join ' ', map { "$_->{account}=$_->{amount_minor}" }
                                 @{$_->{lines}} } @j ],
          [ 'inventory=400 cost_of_goods=-400',
            'write_offs=400 cost_of_goods=-400' ],
          'journal: inventory back at cost, the damaged unit written off');
my $sum = 0;
$sum += $_->{amount_minor} for map { @{$_->{lines}} } @j;
is($sum, 0, 'the entries balance');

###############################################################################
# never shipped, or more than shipped: return_not_shipped, nothing moves

my %c = %{stock('SKU-C')};
($rc, $out) = ctl($t, $conf, 'return', 'receive', 'R-801', '--line',
                  'SKU-C:1:resellable', '--line', 'SKU-B:2:resellable',
                  '--receipt', 'box-2');
is($rc, 0, 'a receipt with lines never shipped') or diag($out);
is_deeply([ stock('SKU-C'), stock('SKU-B')->{'on_hand:desk'} ], [ \%c, 3 ],
          'nothing restocked for them');
my $x = exc('return_not_shipped:invsyncctl:R-801:box-2');
is($x->{state}, 'open', 'exception return_not_shipped open');
is_deeply([ map { [ @$_{qw(sku qty shipped received_before)} ] }
            @{decode_json($x->{data} // '{}')->{lines}} ],
          [ [ 'SKU-C', 1, 0, 0 ], [ 'SKU-B', 2, 1, 0 ] ],
          'with the data to act: what came, what shipped')
    or diag(explain $x);
is(decode_json($x->{data})->{order}, 'shop-eu:801', 'and the order');

###############################################################################
# list, close, and nothing after close

($rc, $out) = ctl($t, $conf, 'return', 'open', '801', '--channel', 'shop-eu',
                  '--line', 'SKU-B:1', '--id', 'R-802');
is($rc, 0, 'a second return') or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'list', '--state', 'inspected',
                  '--json');
is_deeply([ map { $_->{id} } @{decode_json($out)->{returns}} ], ['R-801'],
          'list --state inspected');
($rc, $out) = ctl($t, $conf, 'return', 'list');
ok($rc == 0 && $out =~ /R-802\s+shop-eu:801\s+open/
   && $out =~ /R-801\s+shop-eu:801\s+inspected/, 'list: a table of both')
    or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'show', 'R-801');
ok($rc == 0 && $out =~ /history:/ && $out =~ /refund due/,
   'show: history and the refund due') or diag($out);

($rc, $out) = ctl($t, $conf, 'return', 'close', 'R-801');
is($rc, 0, 'closed') or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'receive', 'R-801', '--line',
                  'SKU-B:1:resellable', '--receipt', 'box-3');
ok($rc == 1 && $out =~ /R-801 is closed/, 'a receipt after close: refused')
    or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'show', 'R-9');
is($rc, 2, 'show of an unknown RMA: exit 2');
($rc, $out) = ctl($t, $conf, 'return', 'receive', 'R-802', '--line',
                  'SKU-B:1:broken');
ok($rc == 1 && $out =~ /condition "broken"/, 'an unknown condition: refused')
    or diag($out);

is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
