#!/usr/bin/perl

# Order routing through the real chain: signed Shopify orders into nginx,
# the worker with locations and routing in worker.json, the ledger in
# Redis.  An order for two SKUs stocked at different locations is split
# across both, its reservation moved from unrouted to reserved:<loc> and
# audited as order.route with its trace, which `invsyncctl route explain`
# prints; the same order delivered twice and replayed routes once; an
# order no location can fill opens an "unroutable" exception with the
# reason per line and waits; a restock (`invsyncctl stock adjust`) routes
# it without an operator and the exception closes; `route dry-run`
# changes nothing; an edited order is routed again and its old allocation
# released in the same step; a cancellation releases what it held.  Also:
# a routed order ships from its location, `route retry` and `exceptions
# retry`, a rule on the shipping method, a bundle's components, an
# unroutable order cancelled, a backorder by SKU tag re-routed on arrival.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker wait_for audit_entries ctl
                     map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush' },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
EOF

$t->run;
$t->plan(75);

my $K = 'invsync:{invsync}:';
my $json = JSON::PP->new->canonical;

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ { id => 'wh-a', name => 'Lyon' },
                   { id => 'wh-b', name => 'Lille' } ],
    routing => { rules => [ { name => 'preorder',
                              when => { sku_tag => 'preorder' },
                              require => ['wh-a'],
                              backorder => JSON::PP::true },
                            { name => 'express',
                              when => { shipping_method => 'Express' },
                              require => ['wh-b'] },
                            { name => 'default', strategy => 'priority',
                              split => { allowed => JSON::PP::true,
                                         max => 3 } } ] });

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);
map_sku($t, 'SKU-D', 444, 504);
map_sku($t, 'SKU-E', 555, 505);
map_sku($t, 'SKU-F', 777, 507);
map_sku($t, 'SKU-G', 888, 508);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 5, 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-b', 5);

run_worker($t, 'w1', $conf);

my $wh = 0;

sub order {
    my (%o) = @_;
    return encode_json({
        id => $o{id}, name => "#$o{id}", email => 'jon@example.com',
        created_at => '2026-11-20T10:00:00+01:00',
        updated_at => $o{updated} // '2026-11-20T10:00:00+01:00',
        currency => 'EUR', total_price => '59.00',
        financial_status => 'paid',
        cancelled_at => $o{cancelled},
        line_items => $o{lines},
        shipping_lines => [ { title => $o{shipping} // 'Standard',
                              code => 'STD', price => '4.90' } ],
        shipping_address => { name => 'Jon', address1 => '1 Rue',
                              city => 'Paris', zip => '75001',
                              country_code => 'FR' },
    });
}

sub line {
    my ($id, $sku, $qty) = @_;
    return { id => $id, sku => $sku, quantity => $qty, price => '9.00',
             title => $sku, product_id => 7, variant_id => $id };
}

sub send_shopify {
    my ($body, $id, $topic) = @_;
    $id //= 'wh-' . ++$wh;
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'hush'),
                    'X-Shopify-Topic' => $topic // 'orders/create',
                    'X-Shopify-Webhook-Id' => $id,
                    'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com');
}

sub ledger {
    my ($sku) = @_;
    my %h = @{$t->redis('HGETALL', "${K}stock:$sku")};
    return { map { $_ => $h{$_} + 0 } grep { $h{$_} != 0 } keys %h };
}

sub routes {
    my ($order) = @_;
    return [grep { ($_->{action} // '') eq 'order.route'
                   && ($_->{order} // '') eq $order }
            @{audit_entries($t)}];
}

sub alloc {
    my ($order) = @_;
    return { @{$t->redis('HGETALL', "${K}alloc:$order")} };
}

###############################################################################
# a split: SKU-A only fits at wh-a first (priority), SKU-B only at wh-b

my $o1 = order(id => 601, lines => [ line(1001, 'SKU-A', 2),
                                     line(1002, 'SKU-B', 1) ]);
is(send_shopify($o1, 'wh-601')->{status}, 200, 'order accepted');
ok(wait_for(20, sub { @{routes('shop-eu:601')} }), 'order.route audited')
    or diag($t->read_file('logs/w1.out'));

is_deeply([ledger('SKU-A'), ledger('SKU-B')],
          [{ 'on_hand:wh-a' => 5, 'on_hand:wh-b' => 10, 'reserved:wh-a' => 2 },
           { 'on_hand:wh-b' => 5, 'reserved:wh-b' => 1 }],
          'split across two locations: reserved moved from unrouted');

my $route = routes('shop-eu:601')->[0];
my $trace = eval { $json->decode($route->{inputs}) } // {};
is_deeply([ sort map { "$_->{sku}\@$_->{location}:$_->{qty}" }
            @{$trace->{allocation} // []} ],
          [ 'SKU-A@wh-a:2', 'SKU-B@wh-b:1' ], 'the trace holds the allocation');
# the audit keeps the locations packed, their names once
# (docs/routing.md, "The trace"); route explain gives them back below
ok(ref $trace->{considered_packed} eq 'ARRAY'
   && @{$trace->{considered_packed}} == 2 && !$trace->{considered}
   && ($trace->{rule} // '') eq 'default' && $trace->{status} eq 'routed',
   'the trace: rule, locations considered, result')
    or diag($route->{inputs});

my $a1 = alloc('shop-eu:601');
is_deeply([ $a1->{version}, $a1->{seq}, $json->decode($a1->{held}) ],
          [ $a1->{version}, 1, { 'wh-a' => { 'SKU-A' => 2 },
                                 'wh-b' => { 'SKU-B' => 1 } } ],
          'alloc:<order> records what each location holds');

my ($rc, $out) = ctl($t, $conf, 'route', 'explain', 'shop-eu:601');
ok($rc == 0 && $out =~ /rule "default"/ && $out =~ /wh-a/
   && $out =~ /wh-b/ && $out =~ /SKU-A x2 from wh-a/
   && $out =~ /SKU-B x1 from wh-b/, 'route explain prints it in words')
    or diag($out);
note($out);
($rc, $out) = ctl($t, $conf, 'route', 'explain', 'shop-eu:601', '--json');
my $doc = eval { $json->decode($out) } // {};
is_deeply($doc->{allocation}, $trace->{allocation}, 'route explain --json')
    or diag($out);
is_deeply($doc->{considered},
          [ { location => 'wh-a', kept => JSON::PP::true,
              stock => { 'SKU-A' => 5, 'SKU-B' => 0 },
              cannot => [ { line => '1002', reason => 'no_stock' } ] },
            { location => 'wh-b', kept => JSON::PP::true,
              stock => { 'SKU-A' => 10, 'SKU-B' => 5 } } ],
          'route explain --json: the locations considered written out')
    or diag($out);
like($out, qr/"lines".*"considered".*"location".*"kept".*"stock".*"SKU-A".*
               "SKU-B".*"cannot".*"line".*"reason".*"allocation"/sx,
     'route explain --json: members in the decision\'s order');
($rc, $out) = ctl($t, $conf, 'audit', '--order', 'shop-eu:601', '--json');
my ($audited) = grep { ($_->{action} // '') eq 'order.route' }
                @{(eval { $json->decode($out) } // {})->{entries} // []};
is_deeply([ $audited->{inputs}{considered}, $audited->{inputs}{considered_packed} ],
          [ $doc->{considered}, undef ],
          'invsyncctl audit --json: the trace written out as well')
    or diag($out);

# twice, then again under another webhook id: routed once

is(send_shopify($o1, 'wh-601')->{status}, 200, 'the same webhook again');
is(send_shopify($o1, 'wh-601-again')->{status}, 200,
   'the same order, delivered again');
($rc, $out) = ctl($t, $conf, 'replay', '--stream', 'orders', '--from', '0',
                  '--why', 'test');
is($rc, 0, 'and every order replayed') or diag($out);
ok(wait_for(20, sub {
       my @seen = grep { /"msg":"event"/ && /"event":"wh-601/ }
                  split /\n/, $t->read_file('logs/w1.out');
       @seen >= 4 }), 'the worker handled the deliveries and the replay')
    or diag($t->read_file('logs/w1.out'));
is(scalar @{routes('shop-eu:601')}, 1, 'one order.route for all deliveries');
is_deeply([ledger('SKU-A')->{'reserved:wh-a'}, ledger('SKU-B')->{'reserved:wh-b'},
           alloc('shop-eu:601')->{seq}], [2, 1, 1], 'one allocation');

###############################################################################
# unroutable: SKU-C is nowhere

is(send_shopify(order(id => 602, lines => [ line(2001, 'SKU-C', 1) ]))
   ->{status}, 200, 'an order no location can fill');
my $xid = 'unroutable:shop-eu:602';
ok(wait_for(20, sub { $t->redis('HGET', "${K}exception:$xid", 'state') }),
   'exception unroutable opened') or diag($t->read_file('logs/w1.out'));
my $data = eval { $json->decode($t->redis('HGET', "${K}exception:$xid",
                                          'data')) } // {};
ok(ref $data->{reasons} eq 'ARRAY' && @{$data->{reasons}} == 1
   && $data->{reasons}[0]{sku} eq 'SKU-C' && $data->{reasons}[0]{reason},
   'with the reason per line') or diag(explain($data));
is_deeply([ $t->redis('ZSCORE', "${K}route:waiting", 'shop-eu:602') ? 1 : 0,
            ledger('SKU-C') ],
          [ 1, { unrouted => 1 } ], 'it waits, its reservation unrouted');

# dry-run routes it against the live ledger and changes nothing

$t->write_file('sample.json', $json->encode({
    kind => 'order', channel => 'shop-eu', order_id => 'dry-1',
    status => 'paid', currency => 'EUR', updated_ms => 1,
    shipping_address => { country_code => 'FR' },
    lines => [ { channel_line_id => '1', sku => 'SKU-B', quantity => 2,
                 refs => ['sku:SKU-B'] } ] }));
my $before = $json->encode([ledger('SKU-B'), scalar @{audit_entries($t)}]);
($rc, $out) = ctl($t, $conf, 'route', 'dry-run', $t->dir . '/sample.json');
ok($rc == 0 && $out =~ /SKU-B x2 from wh-b/, 'dry-run decides') or diag($out);
note($out);
is($json->encode([ledger('SKU-B'), scalar @{audit_entries($t)}]), $before,
   'dry-run changes nothing');

# a ledger Redis refuses (no hash): the read says so, Redis's reason named;
# read after it, the next line's ledger (every answer of the pipeline)
map_sku($t, 'SKU-W', 991, 591);
$t->redis('SET', "${K}stock:SKU-W", 'not a hash');
$t->write_file('wrong.json', $json->encode({
    kind => 'order', channel => 'shop-eu', order_id => 'dry-2',
    status => 'paid', currency => 'EUR', updated_ms => 1,
    shipping_address => { country_code => 'FR' },
    lines => [ { channel_line_id => '1', sku => 'SKU-W', quantity => 1,
                 refs => ['sku:SKU-W'] },
               { channel_line_id => '2', sku => 'SKU-B', quantity => 1,
                 refs => ['sku:SKU-B'] } ] }));
($rc, $out) = ctl($t, $conf, 'route', 'dry-run', $t->dir . '/wrong.json');
ok($rc != 0 && $out =~ /WRONGTYPE/, 'dry-run: a ledger that is no hash is '
   . 'refused with its reason') or diag($out);
$t->redis('DEL', "${K}stock:SKU-W");

# the first reads are plain commands (invsync_route_input.c): a ref whose
# skuref: key holds no string maps nothing (MGET's nil, as stock.reserve's
# GET), the next ref does; two lines of one SKU; a bundle's components'
# ledgers, one of them a line's SKU too, read in their own round
map_sku($t, 'SKU-R1', 1211, 5211);
map_sku($t, 'SKU-R2', 1212, 5212);
map_sku($t, 'KIT-R', 1213, 5213);
$t->redis('HSET', "${K}stock:SKU-R1", 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}stock:SKU-R2", 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}skuref:shop-eu:sku:R-HASH", 'a', 'hash');
($rc, $out) = ctl($t, $conf, 'sku', 'bundle', 'KIT-R', '--components',
                  'SKU-R1:1,SKU-R2:2', '--why', 'test');
sub dry_order {
    my ($id, @lines) = @_;
    my $n = 0;
    $t->write_file("$id.json", $json->encode({
        kind => 'order', channel => 'shop-eu', order_id => $id,
        status => 'paid', currency => 'EUR', updated_ms => 1,
        shipping_address => { country_code => 'FR' },
        lines => [ map { { channel_line_id => ++$n, sku => $_->[0],
                           quantity => $_->[1], refs => $_->[2] } }
                   @lines ] }));
    return ctl($t, $conf, 'route', 'dry-run', $t->dir . "/$id.json", '--json');
}
($rc, $out) = dry_order('dry-3', [ 'SKU-R1', 1, ['sku:R-HASH', 'sku:SKU-R1'] ],
                        [ 'KIT-R', 2, ['sku:KIT-R'] ],
                        [ 'SKU-R1', 1, ['sku:SKU-R1'] ],
                        [ 'R-HASH', 1, ['sku:R-HASH'] ]);
my $dry = eval { $json->decode($out) } // {};
is_deeply([ $rc, map { "$_->{line}:$_->{sku}\@$_->{location}:$_->{qty}" }
                 @{$dry->{allocation} // []} ],
          [ 0, '1:SKU-R1@wh-b:1', '2:KIT-R@wh-b:2', '3:SKU-R1@wh-b:1' ],
          'dry-run: the second ref maps a line, a line whose only ref '
          . 'holds a hash is not placed, a bundle by its components')
    or diag($out);
# the first ref that maps wins, not the last; an empty SKU maps nothing
$t->redis('SET', "${K}skuref:shop-eu:sku:R-EMPTY", '');
($rc, $out) = dry_order('dry-3', [ 'x', 1, ['sku:SKU-R2', 'sku:SKU-R1'] ],
                        [ 'y', 1, ['sku:R-EMPTY', 'sku:SKU-R1'] ]);
$dry = eval { $json->decode($out) } // {};
is_deeply([ $rc, map { "$_->{line}:$_->{sku}" } @{$dry->{allocation} // []} ],
          [ 0, '1:SKU-R2', '2:SKU-R1' ],
          'dry-run: the first mapped ref wins; an empty one is passed over')
    or diag($out);
$t->redis('HSET', "${K}stock:SKU-R2", 'on_hand:wh-b', 3);
($rc, $out) = dry_order('dry-3', [ 'KIT-R', 2, ['sku:KIT-R'] ]);
$dry = eval { $json->decode($out) } // {};
is_deeply([ $rc, $dry->{status} ], [ 0, 'unroutable' ],
          'dry-run: a bundle whose component is short is not placed')
    or diag($out);
# a kit and a line of its own component: their demand on the component is
# summed per location (2 kits and 2 of SKU-R1 need 4 of it), not checked
# per line, so the decision is one route.lua's re-check takes
sub dry_places {
    my ($out) = @_;
    my $d = eval { $json->decode($out) } // {};
    return [ $d->{status} // '',
             map({ "$_->{line}:$_->{sku}\@$_->{location}:$_->{qty}" }
                 @{$d->{allocation} // []}),
             map({ "$_->{line}:$_->{reason}" } @{$d->{unroutable} // []}) ];
}
$t->redis('HSET', "${K}stock:SKU-R2", 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}stock:SKU-R1", 'on_hand:wh-b', 3);
my @mix = ([ 'KIT-R', 2, ['sku:KIT-R'] ], [ 'SKU-R1', 2, ['sku:SKU-R1'] ]);
($rc, $out) = dry_order('dry-3', @mix);
is_deeply([ $rc, @{dry_places($out)} ], [ 0, 'unroutable', '2:no_stock' ],
          'dry-run: a kit and its component, 3 of 4 on hand: unroutable')
    or diag($out);
$t->redis('HSET', "${K}stock:SKU-R1", 'on_hand:wh-b', 4);
($rc, $out) = dry_order('dry-3', @mix);
is_deeply([ $rc, @{dry_places($out)} ],
          [ 0, 'routed', '1:KIT-R@wh-b:2', '2:SKU-R1@wh-b:2' ],
          'dry-run: a kit and its component, 4 on hand: routed there')
    or diag($out);
$t->redis('HSET', "${K}stock:SKU-R1", 'on_hand:wh-b', 3, 'on_hand:wh-a', 2);
($rc, $out) = dry_order('dry-3', @mix);
is_deeply([ $rc, @{dry_places($out)} ],
          [ 0, 'routed', '1:KIT-R@wh-b:2', '2:SKU-R1@wh-a:2' ],
          'dry-run: a kit and its component, short at one: split')
    or diag($out);
$t->redis('HDEL', "${K}stock:SKU-R1", 'on_hand:wh-a');
$t->redis('HSET', "${K}stock:SKU-R1", 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}stock:SKU-R2", 'on_hand:wh-b', 3);

# a sku: or alloc: hash that is no hash: the read names which, and why
map_sku($t, 'SKU-Q', 1214, 5214);
$t->redis('SET', "${K}sku:SKU-Q", 'not a hash');
($rc, $out) = dry_order('dry-4', [ 'SKU-Q', 1, ['sku:SKU-Q'] ]);
ok($rc != 0 && $out =~ /sku:SKU-Q: WRONGTYPE/, 'dry-run: a sku: that is '
   . 'no hash is refused, named') or diag($out);
$t->redis('DEL', "${K}sku:SKU-Q");
$t->redis('SET', "${K}alloc:shop-eu:dry-4", 'not a hash');
($rc, $out) = dry_order('dry-4', [ 'SKU-R1', 1, ['sku:SKU-R1'] ]);
ok($rc != 0 && $out =~ /alloc: WRONGTYPE/, 'dry-run: an alloc: that is '
   . 'no hash is refused, named') or diag($out);
$t->redis('DEL', "${K}alloc:shop-eu:dry-4");

# a restock routes it without an operator; the exception closes

($rc, $out) = ctl($t, $conf, 'stock', 'adjust', 'SKU-C', '--location', 'wh-b',
                  '--delta', '3', '--why', 'restock');
is($rc, 0, 'restock SKU-C at wh-b') or diag($out);
ok(wait_for(20, sub { alloc('shop-eu:602')->{held} }),
   'routed again after the restock') or diag($t->read_file('logs/w1.out'));
is_deeply([ ledger('SKU-C'),
            $t->redis('HGET', "${K}exception:$xid", 'state'),
            $t->redis('ZSCORE', "${K}route:waiting", 'shop-eu:602') ],
          [ { 'on_hand:wh-b' => 3, 'reserved:wh-b' => 1 }, 'resolved', undef ],
          'reserved at wh-b, the exception resolved, no longer waiting');

###############################################################################
# an edited order: SKU-A 2 -> 7 no longer fits at wh-a alone

is(send_shopify(order(id => 601, updated => '2026-11-20T11:00:00+01:00',
                      lines => [ line(1001, 'SKU-A', 7),
                                 line(1002, 'SKU-B', 1) ]),
                undef, 'orders/updated')->{status}, 200, 'order edited');
ok(wait_for(20, sub { @{routes('shop-eu:601')} == 2 }), 'routed again')
    or diag($t->read_file('logs/w1.out'));
my $la = ledger('SKU-A');
is_deeply([ ($la->{'reserved:wh-a'} // 0) + ($la->{'reserved:wh-b'} // 0),
            $la->{unrouted}, alloc('shop-eu:601')->{seq},
            $t->redis('HGET', "${K}reservation:shop-eu:601", 'SKU-A') ],
          [ 7, undef, 2, 7 ],
          'the new allocation holds 7, the old 2 released in the same step')
    or diag(explain($la));

# cancelled: everything it held is released

is(send_shopify(order(id => 601, updated => '2026-11-20T12:00:00+01:00',
                      cancelled => '2026-11-20T12:00:00+01:00',
                      lines => [ line(1001, 'SKU-A', 7),
                                 line(1002, 'SKU-B', 1) ]),
                undef, 'orders/cancelled')->{status}, 200, 'order cancelled');
ok(wait_for(20, sub { !$t->redis('EXISTS', "${K}alloc:shop-eu:601") }),
   'allocation released');
is_deeply([ledger('SKU-A'), ledger('SKU-B')],
          [{ 'on_hand:wh-a' => 5, 'on_hand:wh-b' => 10 },
           { 'on_hand:wh-b' => 5 }], 'nothing reserved any more');

###############################################################################
# a routed order ships from where it is allocated, not the first location

is(send_shopify(order(id => 603, lines => [ line(3001, 'SKU-B', 2) ]))
   ->{status}, 200, 'an order for SKU-B');
ok(wait_for(20, sub { alloc('shop-eu:603')->{held} }), 'routed to wh-b');
my $ful = decode_json($t->read_file(
    $t->root . '/t/fixtures/shopify/fulfillments_create/body.json'));
$ful->{order_id} = 603;
$ful->{id} = 9603;
$ful->{line_items} = [ line(3001, 'SKU-B', 2) ];
is(send_shopify(encode_json($ful), undef, 'fulfillments/create')->{status},
   200, 'its fulfilment');
ok(wait_for(20, sub { (ledger('SKU-B')->{'on_hand:wh-b'} // 0) == 3 }),
   'shipped') or diag($t->read_file('logs/w1.out'));
is_deeply([ ledger('SKU-B'), ledger('SKU-A') ],
          [ { 'on_hand:wh-b' => 3 },
            { 'on_hand:wh-a' => 5, 'on_hand:wh-b' => 10 } ],
          'from reserved:wh-b and on hand at wh-b; wh-a untouched');

###############################################################################
# route retry: an operator routes an unroutable order at once

is(send_shopify(order(id => 604, lines => [ line(4001, 'SKU-D', 1) ]))
   ->{status}, 200, 'an order for SKU-D, stocked nowhere');
ok(wait_for(20, sub { $t->redis('HGET', "${K}exception:unroutable:shop-eu:604",
                                'state') }), 'unroutable');
($rc, $out) = ctl($t, $conf, 'route', 'retry', 'shop-eu:604');
is($rc, 1, 'route retry: still unroutable, exit 1') or diag($out);
# stock written behind the ledger's back: nothing tells the worker
$t->redis('HSET', "${K}stock:SKU-D", 'on_hand:wh-a', 1);
($rc, $out) = ctl($t, $conf, 'route', 'retry', 'shop-eu:604');
ok($rc == 0 && $out =~ /SKU-D x1 from wh-a/, 'route retry routes it')
    or diag($out);
is_deeply([ ledger('SKU-D'),
            $t->redis('HGET', "${K}exception:unroutable:shop-eu:604",
                      'state') ],
          [ { 'on_hand:wh-a' => 1, 'reserved:wh-a' => 1 }, 'resolved' ],
          'reserved at wh-a, the exception resolved');
($rc, $out) = ctl($t, $conf, 'route', 'retry', 'shop-eu:999');
is($rc, 2, 'route retry of an unknown order: exit 2') or diag($out);

###############################################################################
# the shipping method the customer chose picks the rule

is(send_shopify(order(id => 605, shipping => 'Express',
                      lines => [ line(5001, 'SKU-A', 1) ]))->{status}, 200,
   'an express order for SKU-A');
ok(wait_for(20, sub { alloc('shop-eu:605')->{held} }), 'routed');
is_deeply([ $json->decode(alloc('shop-eu:605')->{held}),
            eval { $json->decode(routes('shop-eu:605')->[0]{inputs}) }->{rule} ],
          [ { 'wh-b' => { 'SKU-A' => 1 } }, 'express' ],
          'rule "express" (shipping_method) requires wh-b, though wh-a has it');

###############################################################################
# a bundle allocates its components at the chosen location

map_sku($t, 'KIT', 666, 506);
($rc, $out) = ctl($t, $conf, 'sku', 'bundle', 'KIT', '--components',
                  'SKU-A:1,SKU-B:1', '--why', 'test');
is($rc, 0, 'KIT = SKU-A + SKU-B') or diag($out);
is(send_shopify(order(id => 606, lines => [ line(6001, 'KIT', 2) ]))
   ->{status}, 200, 'an order for two KITs');
ok(wait_for(20, sub { alloc('shop-eu:606')->{held} }), 'routed')
    or diag($t->read_file('logs/w1.out'));
is_deeply([ $json->decode(alloc('shop-eu:606')->{held}),
            ledger('SKU-A')->{'reserved:wh-b'}, ledger('SKU-B')->{'reserved:wh-b'},
            ledger('SKU-A')->{unrouted}, ledger('SKU-B')->{unrouted} ],
          [ { 'wh-b' => { 'SKU-A' => 2, 'SKU-B' => 2 } }, 3, 2, undef, undef ],
          'both components reserved at wh-b, the only place with SKU-B')
    or diag(explain([ledger('SKU-A'), ledger('SKU-B')]));

# an operator's exceptions retry of an unroutable order decides again

is(send_shopify(order(id => 607, lines => [ line(7001, 'SKU-E', 1) ]))
   ->{status}, 200, 'an order for SKU-E, stocked nowhere');
my $x7 = 'unroutable:shop-eu:607';
ok(wait_for(20, sub { $t->redis('HGET', "${K}exception:$x7", 'state') }),
   'unroutable');
$t->redis('HSET', "${K}stock:SKU-E", 'on_hand:wh-b', 1);
($rc, $out) = ctl($t, $conf, 'exceptions', 'retry', $x7, '--why', 'stocked');
is($rc, 0, 'exceptions retry') or diag($out);
ok(wait_for(20, sub {
       ($t->redis('HGET', "${K}exception:$x7", 'state') // '') eq 'resolved'
   }), 'the retried order is routed and the exception resolved')
    or diag($t->read_file('logs/w1.out'));
is(ledger('SKU-E')->{'reserved:wh-b'}, 1, 'reserved at wh-b');

# an unroutable order cancelled: it waits no more, its exception resolves

is(send_shopify(order(id => 608, lines => [ line(8001, 'SKU-F', 1) ]))
   ->{status}, 200, 'an order for SKU-F, stocked nowhere');
my $x8 = 'unroutable:shop-eu:608';
ok(wait_for(20, sub { $t->redis('HGET', "${K}exception:$x8", 'state') }),
   'unroutable');
is(send_shopify(order(id => 608, updated => '2026-11-20T12:00:00+01:00',
                      cancelled => '2026-11-20T12:00:00+01:00',
                      lines => [ line(8001, 'SKU-F', 1) ]),
                undef, 'orders/cancelled')->{status}, 200, 'and cancelled');
ok(wait_for(20, sub {
       ($t->redis('HGET', "${K}exception:$x8", 'state') // '') eq 'resolved'
   }), 'its exception resolved') or diag($t->read_file('logs/w1.out'));
is_deeply([ $t->redis('ZSCORE', "${K}route:waiting", 'shop-eu:608'),
            ledger('SKU-F'),
            $t->redis('HGET', "${K}exception:$x8", 'resolution') ],
          [ undef, {}, 'the order was cancelled' ],
          'no longer waiting, nothing reserved');

###############################################################################
# a backorder rule (by SKU tag): allocated beyond stock, waiting for more

$t->redis('HSET', "${K}sku:SKU-G", 'tags', 'fragile, preorder');
is(send_shopify(order(id => 609, lines => [ line(9001, 'SKU-G', 2) ]))
   ->{status}, 200, 'an order for SKU-G (tag preorder), none on hand');
ok(wait_for(20, sub { alloc('shop-eu:609')->{held} }), 'routed as a backorder')
    or diag($t->read_file('logs/w1.out'));
my $r9 = eval { $json->decode(routes('shop-eu:609')->[0]{inputs}) } // {};
is_deeply([ $r9->{rule}, $r9->{status}, alloc('shop-eu:609')->{backorder},
            ledger('SKU-G'),
            $t->redis('ZSCORE', "${K}route:waiting", 'shop-eu:609') ? 1 : 0 ],
          [ 'preorder', 'backordered', 1, { 'reserved:wh-a' => 2 }, 1 ],
          'rule "preorder" by the sku tag, reserved at wh-a beyond stock, waiting');
($rc, $out) = ctl($t, $conf, 'stock', 'adjust', 'SKU-G', '--location', 'wh-a',
                  '--delta', '5', '--why', 'arrived');
is($rc, 0, 'SKU-G arrives at wh-a') or diag($out);
ok(wait_for(20, sub {
       !$t->redis('ZSCORE', "${K}route:waiting", 'shop-eu:609') }),
   'routed again, no longer waiting') or diag($t->read_file('logs/w1.out'));
is_deeply([ ledger('SKU-G'), alloc('shop-eu:609')->{backorder},
            alloc('shop-eu:609')->{seq} ],
          [ { 'on_hand:wh-a' => 5, 'reserved:wh-a' => 2 }, 0, 2 ],
          'the same reservation, now in stock');

$t->done;
