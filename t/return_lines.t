#!/usr/bin/perl

# Returns of an order with two lines of one SKU at different prices
# (docs/returns.md "Lines of one SKU"), end to end: Shopify orders made on
# the Shopify simulator, each of 2 mugs at 12.50 and 1 mug at 5.00 (a
# discounted line), 20 % tax, their signed orders/create through nginx,
# routed to the 3PL and shipped by the ShipBob simulator, refund_on
# receipt.
#
# 1. A return asked for in Shopify naming the second line (returns/request
#    through nginx) opens an RMA of that line at 5.00; its parcel received
#    by the 3PL (return.completed through nginx, by SKU only) is due 5.00
#    and its 1.00 of tax, and the refund Shopify makes is that 6.00, of
#    that line.
# 2. invsyncctl return open with the SKU only (3 units) makes two RMA
#    lines, 2 at 12.50 and 1 at 5.00; the 3PL's notice of 3 restocked
#    units, delivered 5 times, restocks 3 once and is refunded once on
#    Shopify: 2 x 12.50 + 5.00 of tax and 5.00 + 1.00, 36.00, each line its
#    own units.
# 3. A person's receipts by SKU (one damaged unit, then two resellable)
#    fill the RMA's lines in order: the first line's two, then the second
#    line's one; the due and Shopify's refund are one unit of each line
#    with its own tax share, 21.00.  invsyncctl return open --line
#    SKU:QTY@LINE prices the line it names; a line of another SKU, or one
#    the order does not have, is refused.
# 4. An RMA recorded before its lines named their order line is received
#    and refunded by SKU, as before.

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
                    tpl_location route_all);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test',
                 sb_secrets() },
    locations => hook_locations('shopify', 'shipbob'));

$t->run;
$t->plan(37);

my $K = 'invsync:{invsync}:';

my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_secret => 'hush', webhook_url => $t->url('/hooks/shopify'),
    webhook_topics => ['orders/create', 'refunds/create', 'returns/request'],
    items => [{ inventory_item_id => 111, location_id => 9, available => 0,
                sku => 'MUG', price => '12.50' }]);
my $sb = start_3pl($t, items => [{ reference_id => 'MUG', name => 'MUG' }]);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { heartbeat_ms => 200, reconcile_s => 0 },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          stock => { locations => ['3pl-us'] } },
        sb_channel($t, $sb) ],
    locations => [ tpl_location(60, 3600) ],
    routing => route_all('3pl-us'),
    returns => { restock_on => 'receipt', refund_on => 'receipt' });

map_sku($t, 'MUG', 111, 501);
$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 20);
run_worker($t, 'w1', $conf);

sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub out { $t->redis('HGET', "${K}refundout:$_[0]", $_[1]) // '' }
sub worker_log { $t->read_file('logs/w1.out') // '' }
sub refunds {
    my ($oid) = @_;
    return [grep { $_->{order_id} == $oid }
            @{InvsyncSim::state($t, 'shopify')->{refunds}}];
}
sub show {
    my ($id) = @_;
    my ($rc, $out) = ctl($t, $conf, '--json', 'return', 'show', $id);
    return $rc == 0 ? decode_json($out) : {};
}
sub causes {
    my ($re) = @_;
    return [grep { $_ =~ $re }
            @{$t->redis('ZRANGE', "${K}refundouts", 0, -1)}];
}
# the refund Shopify made of an RMA's receipt, once its refunds/create is
# back through nginx: [count, amount, [[line id, quantity, tax] ...]]
sub refunded {
    my ($oid, $re) = @_;
    my ($cause) = @{causes($re)};
    wait_for(60, sub { ($cause) = @{causes($re)};
                       $cause && out($cause, 'state') eq 'recorded' })
        or diag(explain [$cause && { @{$t->redis('HGETALL',
                                                 "${K}refundout:$cause")} },
                         worker_log()]);
    my $rf = refunds($oid);
    return [ scalar @$rf, $rf->[0]{amount},
             [ map { [ "$_->{line_item_id}", $_->{quantity}, $_->{tax} ] }
               sort { $a->{line_item_id} <=> $b->{line_item_id} }
               @{$rf->[0]{lines} || []} ] ];
}
sub due_lines {
    my ($due) = @_;
    return [ $due->{amount_minor},
             [ map { [ @$_{qw(line_id qty tax_minor amount_minor)} ] }
               @{$due->{lines} || []} ] ];
}

# an order of 2 mugs at 12.50 and 1 at 5.00 with 20 % tax, routed to the
# 3PL and shipped (ShipBob shipment n): the order and its two line ids
my $shipped = 0;
sub order_shipped {
    my ($what) = @_;
    my $o = InvsyncSim::order($t, 'shopify', location_id => 9,
        tax_rate => 0.2, currency => 'EUR',
        line_items => [ { sku => 'MUG', quantity => 2, price => '12.50' },
                        { sku => 'MUG', quantity => 1, price => '5.00' } ],
        shipping_address => { name => 'John Doe',
            address1 => '100 N Racine Ave', city => 'Chicago',
            province => 'IL', zip => '60607', country_code => 'US' });
    my $sid = "shop-eu:$o->{id}\@3pl-us";
    wait_for(30, sub { field($sid, 'state') eq 'requested' })
        or diag(worker_log());
    InvsyncSim::call($t, '3pl', 'ship', reference_id => $sid,
                     tracking_number => "94001$o->{id}", carrier => 'USPS');
    my $ok = wait_for(30, sub { field($sid, 'state') =~ /^(shipped|tracked)$/ });
    ok($ok && $o->{total_price} eq '36.00', "$what: the order (25.00 + 5.00 "
       . "+ 6.00 of tax) routed to the 3PL and shipped")
        or diag(explain [$o, worker_log()]);
    $shipped++;
    return ($o, map { "$_->{id}" } @{$o->{line_items}});
}

###############################################################################
# 1. Shopify's return of the second line

my ($o1, $a1, $b1) = order_shipped('order 1');
my $ret;
ok(wait_for(30, sub {
        $ret = eval { InvsyncSim::call($t, 'shopify', 'return',
            order_id => $o1->{id}, lines => [ { line_item_id => $b1,
            quantity => 1, reason => 'defective' } ]) } }),
   'the customer asks Shopify to return the 5.00 line (once Shopify knows '
   . 'it fulfilled)') or diag($@);
my $rma1 = "shop-eu:$ret->{return}{id}";
ok(wait_for(30, sub { (show($rma1)->{state} // '') eq 'open' }),
   'its returns/request through nginx opened the RMA') or diag(worker_log());
is_deeply([ map { [ @$_{qw(sku qty price_minor line_tax_minor line_qty
                          line_id)} ] } @{show($rma1)->{lines}} ],
          [ [ 'MUG', 1, 500, 100, 1, $b1 ] ],
          'its line: the order line Shopify names, at 5.00 with its tax')
    or diag(explain show($rma1));

InvsyncSim::call($t, '3pl', 'return', reference_id => $rma1,
    original_shipment_id => 1, store_order_id => "$o1->{id}",
    items => [ { sku => 'MUG', quantity => 1,
                 actions => [ { action => 'Restock', quantity => 1 } ] } ]);
ok(wait_for(30, sub { (show($rma1)->{state} // '') eq 'inspected' }),
   'the 3PL\'s return.completed (by SKU) received it') or diag(worker_log());
is_deeply(due_lines(show($rma1)->{refund_due}[0]),
          [ 600, [ [ $b1, 1, 100, 600 ] ] ],
          'due: 5.00 and its 1.00 of tax, of the second line');
is_deeply(refunded($o1->{id}, qr/^rma:\Q$rma1\E:/),
          [ 1, 6, [ [ $b1, 1, 1 ] ] ],
          'Shopify refunded that line: 6.00, its own tax');
is_deeply([ map { [ @$_{qw(line_id received restocked)} ] }
            @{show($rma1)->{lines}} ], [ [ $b1, 1, 1 ] ],
          'the RMA\'s line: received and restocked');

###############################################################################
# 2. a 3PL return of 3 units, the RMA opened by SKU

my ($o2, $a2, $b2) = order_shipped('order 2');
my ($rc, $out) = ctl($t, $conf, 'return', 'open', $o2->{id}, '--channel',
                     'shop-eu', '--line', 'MUG:3', '--id', 'RMA-2');
is($rc, 0, 'invsyncctl return open, the SKU only') or diag($out);
is_deeply([ map { [ @$_{qw(sku qty price_minor line_tax_minor line_qty
                          line_id)} ] } @{show('RMA-2')->{lines}} ],
          [ [ 'MUG', 2, 1250, 500, 2, $a2 ], [ 'MUG', 1, 500, 100, 1, $b2 ] ],
          'two lines: the first order line filled (2 at 12.50), then the '
          . 'second (1 at 5.00)') or diag(explain show('RMA-2'));

my $on = stock('MUG')->{'on_hand:3pl-us'};
my $sent = InvsyncSim::call($t, '3pl', 'return', reference_id => 'RMA-2',
    original_shipment_id => 2, store_order_id => "$o2->{id}",
    items => [ { sku => 'MUG', quantity => 3,
                 actions => [ { action => 'Restock', quantity => 3 } ] } ],
    times => 5, same_id => JSON::PP::false);
is($sent->{deliveries}, 5, 'return.completed sent 5 times, 5 webhook ids');
ok(wait_for(30, sub { (show('RMA-2')->{state} // '') eq 'inspected' }),
   'received') or diag(worker_log());
InvsyncSim::settle($t, '3pl', 30);
is_deeply(due_lines(show('RMA-2')->{refund_due}[0]),
          [ 3600, [ [ $a2, 2, 500, 3000 ], [ $b2, 1, 100, 600 ] ] ],
          'due: 2 x 12.50 and their 5.00 of tax, 5.00 and its 1.00: 36.00')
    or diag(explain show('RMA-2'));
is_deeply(refunded($o2->{id}, qr/^rma:RMA-2:/),
          [ 1, 36, [ [ $a2, 2, 5 ], [ $b2, 1, 1 ] ] ],
          'Shopify refunded 36.00 once: each line its own units and tax');
ok(wait_for(10, sub { stock('MUG')->{'on_hand:3pl-us'} == $on + 3 }),
   '3 back on hand') or diag(explain stock('MUG'));
sleep 1;
is_deeply([ stock('MUG')->{'on_hand:3pl-us'}, scalar @{refunds($o2->{id})},
            scalar @{causes(qr/^rma:RMA-2:/)},
            scalar @{show('RMA-2')->{refund_due}},
            scalar grep { ($_->{action} // '') eq 'return.receive'
                          && ($_->{rma} // '') eq 'RMA-2' }
            @{audit_entries($t)} ],
          [ $on + 3, 1, 1, 1, 1 ],
          'the 5 deliveries: restocked once, one refund, one request, one '
          . 'due, one return.receive');
is_deeply([ map { [ @$_{qw(line_id received restocked)} ] }
            @{show('RMA-2')->{lines}} ],
          [ [ $a2, 2, 2 ], [ $b2, 1, 1 ] ],
          'each RMA line received to its quantity');
($rc, $out) = ctl($t, $conf, 'return', 'show', 'RMA-2');
like($out, qr/^MUG\s+2\s+2\s+2\s+0\s+1250\s+\Q$a2\E\n
               MUG\s+1\s+1\s+1\s+0\s+500\s+\Q$b2\E$/mx,
     'return show: each line with the order line it takes back') or diag($out);

###############################################################################
# 3. receipts by SKU fill the lines in order; a line named by the CLI

my ($o3, $a3, $b3) = order_shipped('order 3');
($rc, $out) = ctl($t, $conf, 'return', 'open', $o3->{id}, '--channel',
                  'shop-eu', '--line', 'MUG:3', '--id', 'RMA-3');
is($rc, 0, 'an RMA of the 3 units') or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'receive', 'RMA-3', '--line',
                  'MUG:1:damaged', '--receipt', 'box-1');
is($rc, 0, 'a receipt: 1 damaged') or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'receive', 'RMA-3', '--line',
                  'MUG:2:resellable', '--receipt', 'box-2');
is($rc, 0, 'a second: 2 resellable') or diag($out);
my $r3 = show('RMA-3');
is_deeply([ map { [ @$_{qw(line_id received restocked damaged)} ] }
            @{$r3->{lines}} ],
          [ [ $a3, 2, 1, 1 ], [ $b3, 1, 1, undef ] ],
          'the first line filled (the damaged unit and one more), then the '
          . 'second') or diag(explain $r3);
is_deeply([ map { due_lines($_) } @{$r3->{refund_due}} ],
          [ [ 2100, [ [ $a3, 1, 250, 1500 ], [ $b3, 1, 100, 600 ] ] ] ],
          'due once (the damaged unit is not): a unit of each line at its '
          . 'price and share of tax, 21.00')
    or diag(explain $r3->{refund_due});
is_deeply(refunded($o3->{id}, qr/^rma:RMA-3:/),
          [ 1, 21, [ [ $a3, 1, 2.5 ], [ $b3, 1, 1 ] ] ],
          'Shopify refunded 21.00, a unit of each line');

($rc, $out) = ctl($t, $conf, 'return', 'open', $o3->{id}, '--channel',
                  'shop-eu', '--line', "MUG:1\@$b3", '--id', 'RMA-3B');
is($rc, 0, 'return open --line MUG:1@<the second line>') or diag($out);
is_deeply([ map { [ @$_{qw(qty price_minor line_id)} ] }
            @{show('RMA-3B')->{lines}} ], [ [ 1, 500, $b3 ] ],
          'priced from the line it names') or diag(explain show('RMA-3B'));
($rc, $out) = ctl($t, $conf, 'return', 'open', $o3->{id}, '--channel',
                  'shop-eu', '--line', 'MUG:1@999', '--id', 'RMA-3C');
ok($rc == 1 && $out =~ /line 999 is not a line of order/,
   'a line the order does not have: refused') or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'open', $o3->{id}, '--channel',
                  'shop-eu', '--line', "CUP:1\@$a3", '--id', 'RMA-3C');
ok($rc == 1 && $out =~ /is not SKU CUP/, 'a line of another SKU: refused')
    or diag($out);
($rc, $out) = ctl($t, $conf, 'return', 'open', $o3->{id}, '--channel',
                  'shop-eu', '--line', 'MUG:1@', '--id', 'RMA-3C');
ok($rc == 1 && $out =~ /\@LINE/, '--line MUG:1@ (no id): usage')
    or diag($out);
is(show('RMA-3C')->{id}, undef, 'none of them opened an RMA');

###############################################################################
# an RMA recorded before its lines named their order line (no line_id):
# taken by SKU, as before

my $now = int(time * 1000);
$t->redis('HSET', "${K}rma:RMA-OLD", 'id', 'RMA-OLD', 'order',
    "shop-eu:$o3->{id}", 'channel', 'shop-eu', 'order_id', "$o3->{id}",
    'reason', '', 'by', '', 'state', 'open', 'created', $now,
    'updated', $now, 'lines', encode_json([ { sku => 'MUG', qty => 1,
        price_minor => 1250, line_tax_minor => 500, line_qty => 2,
        currency => 'EUR' } ]),
    'history', encode_json([ { state => 'open', at => $now + 0,
                               cause => 'ctl:open:RMA-OLD' } ]),
    'receipts', '{}', 'refund_due', '[]');
$t->redis('ZADD', "${K}rmas", $now, 'RMA-OLD');
($rc, $out) = ctl($t, $conf, 'return', 'receive', 'RMA-OLD', '--line',
                  'MUG:1:resellable');
is($rc, 0, 'an RMA of the code before, without line ids: received')
    or diag($out);
my $old = show('RMA-OLD');
is_deeply([ [ map { [ @$_{qw(sku qty received restocked)} ] }
              @{$old->{lines}} ],
            [ map { [ @$_{qw(sku line_id qty tax_minor amount_minor)} ] }
              @{$old->{refund_due}[0]{lines} || []} ] ],
          [ [ [ 'MUG', 1, 1, 1 ] ], [ [ 'MUG', undef, 1, 250, 1500 ] ] ],
          'its line by SKU; due at its price and share of tax, as before')
    or diag(explain $old);
my ($oc) = @{causes(qr/^rma:RMA-OLD:/)};
ok(wait_for(60, sub { out($oc // '', 'state') eq 'recorded' }),
   'refunded on Shopify (its line found by the SKU)')
    or diag(explain [$oc, worker_log()]);

is($shipped, 3, 'three orders shipped');
is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
