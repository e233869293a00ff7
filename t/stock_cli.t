#!/usr/bin/perl

# invsyncctl stock and sku, black box against a real Redis: SKUs mapped on
# a Shopify and a WooCommerce channel (and identifiers of the wrong channel
# type refused), a CSV import with a bad line, counts and adjustments at
# two locations through the ledger script, a bundle, "stock get --json"
# with what each channel should show by its buffer, share, max and
# location rules, the history, the dirty sets, the audit entries and
# their done keys, unknown SKUs, unmapping and the list; two remaps of
# one SKU at once, and the SKU scripts refusing bad arguments; the
# identifier options, checks, messages and CSV columns as the channel
# table gives them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX ();
use InvsyncTest;
use InvsyncWorker qw(worker_conf worker_bin);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $bin = worker_bin($t, 'invsyncctl');
plan(skip_all => 'invsyncctl not built') unless -x $bin;

$t->run_redis;
$t->plan(75);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [
        { id => 'shop-eu', type => 'shopify',
          stock => { buffer => 2, share => 50 } },
        { id => 'woo-main', type => 'woocommerce',
          stock => { locations => ['wh-a'], max => 4 } },
        { id => 'stripe', type => 'stripe' },
    ],
    locations => [ { id => 'wh-a' }, { id => 'wh-b' } ]);
my $json = JSON::PP->new->canonical;

# (exit code, stdout, stderr) of invsyncctl -c worker.json @args
sub ctl {
    my (@args) = @_;
    my $dir = $t->dir;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $ENV{USER} = 'tester';
        $ENV{ASAN_OPTIONS} = "detect_leaks=1:log_path=$dir/logs/asan-ctl"
            if $ENV{INVSYNC_ASAN};
        open STDOUT, '>', "$dir/ctl.out" or POSIX::_exit(126);
        open STDERR, '>', "$dir/ctl.err" or POSIX::_exit(126);
        exec $bin, '-c', $conf, @args or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return ($? >> 8, $t->read_file('ctl.out'), $t->read_file('ctl.err'));
}

sub jctl {
    my ($rc, $out, $err) = ctl('--json', @_);
    my $doc = eval { $json->decode($out) };
    diag("not JSON: $out$err") unless $doc || $rc;
    return ($rc, $doc, $err);
}

sub audits {
    my ($action) = @_;
    return [grep { ($_->{action} // '') eq $action }
            map { { _id => $_->[0], %{$_->[1]} } }
            @{$t->stream("${K}audit")}];
}

my ($rc, $out, $err, $doc);

###############################################################################
# help

($rc, $out) = ctl('stock', '--help');
ok($rc == 0 && $out =~ /^usage: invsyncctl stock get SKU/, 'stock --help');
($rc, $out) = ctl('sku', '--help');
ok($rc == 0 && $out =~ /^usage: invsyncctl sku map/, 'sku --help');
($rc, $out) = ctl('help');
ok($out =~ /^  stock /m && $out =~ /^  sku /m, 'both in the command list')
    or diag($out);

###############################################################################
# mapping

($rc, $doc) = jctl('sku', 'map', 'SKU-1', '--channel', 'shop-eu',
                   '--inventory-item', 'gid://shopify/InventoryItem/1001',
                   '--location', '55', '--name', 'Blue mug');
is_deeply([$rc, @{$doc}{qw(sku channel type changed)}, $doc->{ids}],
          [0, 'SKU-1', 'shop-eu', 'shopify', JSON::PP::true,
           { inventory_item_id => '1001', location_id => '55' }],
          'sku map: shopify');
is_deeply([$t->redis('HGET', "${K}skumap:SKU-1", 'shop-eu'),
           $t->redis('GET', "${K}skuref:shop-eu:item:1001"),
           $t->redis('GET', "${K}skuref:shop-eu:sku:SKU-1"),
           $t->redis('HGET', "${K}sku:SKU-1", 'name'),
           $t->redis('SISMEMBER', "${K}skus", 'SKU-1'),
           $t->redis('SISMEMBER', "${K}dirty:shop-eu", 'SKU-1')],
          ['{"inventory_item_id":"1001","location_id":"55"}', 'SKU-1',
           'SKU-1', 'Blue mug', 1, 1],
          'sku map: skumap, skuref, name, skus, dirty');

($rc, $out) = ctl('sku', 'map', 'SKU-1', '--channel', 'woo-main',
                  '--product', '200', '--variation', '201',
                  '--channel-sku', 'WOO-MUG');
ok($rc == 0 && $out =~ /^mapped SKU-1 on woo-main: product 200, variation 201/,
   'sku map: woocommerce variation') or diag($out);
is_deeply([$t->redis('GET', "${K}skuref:woo-main:variation:201"),
           $t->redis('GET', "${K}skuref:woo-main:sku:WOO-MUG"),
           $t->redis('EXISTS', "${K}skuref:woo-main:product:200"),
           $json->decode($t->redis('HGET', "${K}skumap:SKU-1", 'woo-main'))],
          ['SKU-1', 'SKU-1', 0,
           { product_id => '200', variation_id => '201',
             channel_sku => 'WOO-MUG' }],
          'sku map: variation and channel SKU refs');

($rc, $out) = ctl('sku', 'map', 'SKU-1', '--channel', 'woo-main',
                  '--product', '200', '--variation', '201',
                  '--channel-sku', 'WOO-MUG');
ok($rc == 0 && $out =~ /mapped so already/, 'sku map: again, unchanged');
is(scalar @{audits('operator.sku.map')}, 2, 'sku map: audited when changed');

($rc, $out, $err) = ctl('sku', 'map', 'SKU-2', '--channel', 'shop-eu',
                        '--product', '5');
ok($rc == 1 && $err =~ /shopify channel: a product or variation id is a woo/,
   'sku map: woocommerce ids on shopify refused') or diag($err);
($rc, $out, $err) = ctl('sku', 'map', 'SKU-2', '--channel', 'woo-main',
                        '--inventory-item', '9', '--location', '1');
ok($rc == 1 && $err =~ /woocommerce channel: an inventory item/,
   'sku map: shopify ids on woocommerce refused') or diag($err);
($rc, $out, $err) = ctl('sku', 'map', 'SKU-2', '--channel', 'stripe',
                        '--product', '1');
ok($rc == 1 && $err =~ /type stripe/, 'sku map: a channel without SKUs');
($rc, $out, $err) = ctl('sku', 'map', 'SKU-2', '--channel', 'nope',
                        '--product', '1');
ok($rc == 1 && $err =~ /no channel "nope"/, 'sku map: unknown channel');
($rc, $out, $err) = ctl('sku', 'map', 'SKU-9', '--channel', 'shop-eu',
                        '--inventory-item', '1001', '--location', '55');
ok($rc == 1 && $err =~ /item:1001 of channel shop-eu is mapped to SKU SKU-1/,
   'sku map: an identifier of another SKU refused') or diag($err);
is_deeply([$t->redis('EXISTS', "${K}skumap:SKU-2", "${K}skumap:SKU-9"),
           $t->redis('SISMEMBER', "${K}skus", 'SKU-9')], [0, 0],
          'sku map: nothing written when refused');

# remapping drops the old item ref
($rc) = ctl('sku', 'map', 'SKU-1', '--channel', 'shop-eu',
            '--inventory-item', '1000', '--location', '55');
($rc) = ctl('sku', 'map', 'SKU-1', '--channel', 'shop-eu',
            '--inventory-item', '1001', '--location', '55');
is_deeply([$rc, $t->redis('EXISTS', "${K}skuref:shop-eu:item:1000"),
           $t->redis('GET', "${K}skuref:shop-eu:item:1001")], [0, 0, 'SKU-1'],
          'sku map: a remap drops the old ref');

###############################################################################
# import

$t->write_file('skus.csv', <<'EOF');
sku,channel,inventory_item_id,location_id,product_id,variation_id,channel_sku,name
SKU-2,shop-eu,1002,55,,,,"Red mug, large"
SKU-2,woo-main,,,300,,,
SKU-4,shop-eu,,,400,,,
SKU-3,woo-main,,,310,,S3-WOO,Plate
"broken,woo-main
EOF

($rc, $out, $err) = ctl('sku', 'import', $t->dir . '/skus.csv');
ok($rc == 1 && $out =~ /3 mapped, 0 unchanged, 2 failed/,
   'sku import: valid lines mapped, exit 1') or diag("$out$err");
ok($err =~ /skus\.csv:4: channel shop-eu is a shopify channel/
   && $err =~ /skus\.csv:6: not a CSV line/,
   'sku import: errors with their line numbers') or diag($err);
is_deeply([$t->redis('GET', "${K}skuref:shop-eu:item:1002"),
           $t->redis('GET', "${K}skuref:woo-main:product:300"),
           $t->redis('GET', "${K}skuref:woo-main:sku:S3-WOO"),
           $t->redis('HGET', "${K}sku:SKU-2", 'name'),
           $t->redis('EXISTS', "${K}skumap:SKU-4")],
          ['SKU-2', 'SKU-2', 'SKU-3', 'Red mug, large', 0],
          'sku import: what Redis holds');

($rc, $doc) = jctl('sku', 'import', $t->dir . '/skus.csv');
is_deeply([$rc, @{$doc}{qw(mapped unchanged failed)},
           [map { $_->{line} } @{$doc->{errors}}]], [1, 0, 3, 2, [4, 6]],
          'sku import --json: again, unchanged, none mapped');
($rc, $out) = ctl('sku', 'import', $t->dir . '/skus.csv');
ok($rc == 1 && $out =~ /: 0 mapped, 3 unchanged, 2 failed$/m,
   'sku import: again, the text says so') or diag($out);

$t->write_file('bad.csv', "sku,chanel\nX,shop-eu\n");
($rc, $out, $err) = ctl('sku', 'import', $t->dir . '/bad.csv');
ok($rc == 1 && $err =~ /bad\.csv:1: column "chanel" is unknown/,
   'sku import: a bad header refuses the file');

###############################################################################
# stock movements

$t->redis('DEL', "${K}dirty:shop-eu", "${K}dirty:woo-main");

($rc, $out) = ctl('stock', 'count', 'SKU-1', '--location', 'wh-a',
                  '--qty', '10', '--why', 'stocktake');
ok($rc == 0 && $out =~ /^counted SKU-1 at wh-a: on hand 0 -> 10 \(audit \S+\)$/,
   'stock count') or diag($out);
($rc, $doc) = jctl('stock', 'set', 'SKU-1', '--location', 'wh-b',
                   '--qty', '6');
is_deeply([$rc, @{$doc}{qw(kind before after delta)}], [0, 'count', 0, 6, 6],
          'stock set --json');
($rc, $doc) = jctl('stock', 'adjust', 'SKU-1', '--location', 'wh-a',
                   '--delta', '-3', '--why', 'broken');
is_deeply([$rc, @{$doc}{qw(kind before after delta)}],
          [0, 'adjust', 10, 7, -3], 'stock adjust --json');
my $adj = $doc;
($rc) = ctl('stock', 'count', 'SKU-2', '--location', 'wh-a', '--qty', '9');
($rc) = ctl('stock', 'count', 'SKU-2', '--location', 'wh-b', '--qty', '1');

is_deeply([$t->redis('HGET', "${K}stock:SKU-1", 'on_hand:wh-a'),
           $t->redis('HGET', "${K}stock:SKU-1", 'on_hand:wh-b'),
           $t->redis('HGET', "${K}stock:SKU-2", 'on_hand:wh-a')], [7, 6, 9],
          'stock: the ledger');
is_deeply([sort @{$t->redis('SMEMBERS', "${K}dirty:shop-eu")}],
          ['SKU-1', 'SKU-2'], 'stock: dirty on shopify');
is_deeply([sort @{$t->redis('SMEMBERS', "${K}dirty:woo-main")}],
          ['SKU-1', 'SKU-2'], 'stock: dirty on woocommerce');

my $a = audits('stock.adjust');
is_deeply([scalar @$a, @{$a->[0] || {}}{qw(_id result channel by why location
                                          delta skus)}],
          [1, $adj->{audit}, 'applied', 'operator', 'tester', 'broken', 'wh-a',
           -3, 'SKU-1'], 'stock adjust: audited');
is($t->redis('GET', "${K}done:ledger:operator:$adj->{cause}"), $adj->{audit},
   'stock adjust: its cause is done');
my $c = audits('stock.count');
my %causes = map { $_->{event} => 1 } @$c;
ok(@$c == 4 && keys %causes == 4 && (grep { /^[0-9a-f-]{36}$/ } keys %causes)
   == 4, 'stock count: four entries, four causes');

($rc, $out, $err) = ctl('stock', 'count', 'SKU-1', '--location', 'wh-z',
                        '--qty', '1');
ok($rc == 1 && $err =~ /no location "wh-z" in \S+worker\.json \(its locations: "wh-a", "wh-b"\)/,
   'stock: unknown location, the known ones named') or diag($err);

# without "locations" the ledger's locations are those the worker moves
# stock at: the default one and the channels' stock.locations; a typo is
# refused, nothing written
my $listed = $conf;
$conf = worker_conf($t, 'noloc.json',
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  { id => 'shop-eu', type => 'shopify',
                    stock => { locations => ['store'] } } ]);
($rc, $out, $err) = ctl('stock', 'count', 'SKU-3', '--location', 'wh-a',
                        '--qty', '1');
ok($rc == 1 && $err =~ /no location "wh-a": \S+noloc\.json has no "locations", so the ledger's are "default", "store" \(list them in "locations" to have others\)/,
   'stock: no locations in worker.json, another location refused')
    or diag($err);
is($t->redis('EXISTS', "${K}stock:SKU-3"), 0, 'stock: nothing written');
($rc, $out) = ctl('stock', 'count', 'SKU-3', '--location', 'default',
                  '--qty', '2');
ok($rc == 0 && $out =~ /^counted SKU-3 at default: on hand 0 -> 2 /,
   'stock: no locations in worker.json, the default one taken') or diag($out);
($rc, $out) = ctl('stock', 'adjust', 'SKU-3', '--location', 'store',
                  '--delta', '1');
ok($rc == 0 && $out =~ /^adjusted SKU-3 at store: on hand 0 -> 1 /,
   'stock: no locations in worker.json, a stock rule\'s location taken')
    or diag($out);
$conf = $listed;
($rc, $out, $err) = ctl('stock', 'count', 'SKU-1', '--location', 'wh-a',
                        '--qty', '-1');
is($rc, 1, 'stock count: a negative count refused');
($rc, $out, $err) = ctl('stock', 'adjust', 'SKU-1', '--location', 'wh-a',
                        '--qty', '1');
is($rc, 1, 'stock adjust: takes --delta');
($rc, $out, $err) = ctl('stock', 'count', 'NOPE', '--location', 'wh-a',
                        '--qty', '1');
ok($rc == 2 && $err =~ /unknown SKU "NOPE"/, 'stock count: unknown SKU, 2');
is($t->redis('EXISTS', "${K}stock:NOPE"), 0, 'stock count: nothing written');

###############################################################################
# get: what each channel should show

# the worker's reservations: one routed to wh-a, one not routed yet
$t->redis('HSET', "${K}stock:SKU-1", 'reserved:wh-a', 1, 'unrouted', 1);
$t->redis('HSET', "${K}shown:shop-eu", 'SKU-1', 3);

($rc, $doc) = jctl('stock', 'get', 'SKU-1');
is_deeply([$rc, @{$doc}{qw(sku name bundle on_hand reserved unrouted
                           available)}, $doc->{locations}],
          [0, 'SKU-1', 'Blue mug', JSON::PP::false, 13, 1, 1, 11,
           { 'wh-a' => { on_hand => 7, reserved => 1 },
             'wh-b' => { on_hand => 6, reserved => 0 } }],
          'stock get: ledger and available');
my %ch = map { $_->{channel} => $_ } @{$doc->{channels} || []};
# shop-eu: (11 - buffer 2) * 50% = 4.5 -> 4
is_deeply([@{$ch{'shop-eu'}}{qw(type available should_show shown dirty)}],
          ['shopify', 11, 4, 3, JSON::PP::true],
          'stock get: shopify with buffer and share');
# woo-main: wh-a only, 7 - 1 - 1 = 5, max 4
is_deeply([@{$ch{'woo-main'}}{qw(type available should_show shown)},
           $ch{'woo-main'}{ids}{variation_id}],
          ['woocommerce', 5, 4, undef, '201'],
          'stock get: woocommerce with locations and max');

($rc, $out) = ctl('stock', 'get', 'SKU-1');
ok($rc == 0 && $out =~ /^SKU-1: Blue mug$/m
   && $out =~ /^available\s+11$/m
   && $out =~ /^unrouted\s+1  \(reserved by orders no location was chosen for yet\)$/m
   && $out =~ /^shop-eu\s+shopify\s+11\s+4\s+3\s+yes$/m,
   'stock get: as text') or diag($out);

($rc, $out, $err) = ctl('stock', 'get', 'NOPE');
ok($rc == 2 && $err =~ /unknown SKU "NOPE"/, 'stock get: unknown SKU, 2');

###############################################################################
# bundles

($rc, $out, $err) = ctl('sku', 'bundle', 'KIT-1', '--components',
                        'SKU-1:2,NOPE:1');
ok($rc == 2 && $err =~ /unknown component SKU "NOPE"/,
   'sku bundle: unknown component, 2');
($rc, $out, $err) = ctl('sku', 'bundle', 'SKU-1', '--components', 'SKU-2:1');
ok($rc == 1 && $err =~ /stock of its own/,
   'sku bundle: a SKU with stock refused');

($rc, $doc) = jctl('sku', 'bundle', 'KIT-1', '--components', 'SKU-1:2,SKU-2:1',
                   '--name', 'Mug kit');
is_deeply([$rc, $doc->{components}], [0, { 'SKU-1' => 2, 'SKU-2' => 1 }],
          'sku bundle');
is_deeply([$json->decode($t->redis('HGET', "${K}sku:KIT-1", 'components')),
           $t->redis('SMEMBERS', "${K}bundles:SKU-1"),
           $t->redis('SMEMBERS', "${K}bundles:SKU-2"),
           $t->redis('SISMEMBER', "${K}skus", 'KIT-1')],
          [{ 'SKU-1' => 2, 'SKU-2' => 1 }, ['KIT-1'], ['KIT-1'], 1],
          'sku bundle: definition and component sets');
($rc) = ctl('sku', 'map', 'KIT-1', '--channel', 'shop-eu',
            '--inventory-item', '1003', '--location', '55');
is($rc, 0, 'sku map: the bundle');

# SKU-1 11 -> 5 kits, SKU-2 10 -> 10 kits
($rc, $doc) = jctl('stock', 'get', 'KIT-1');
is_deeply([$rc, @{$doc}{qw(bundle available)},
           [map { [@{$_}{qw(sku qty available)}] } @{$doc->{components}}],
           [map { [@{$_}{qw(channel available should_show)}] }
            @{$doc->{channels}}]],
          [0, JSON::PP::true, 5, [['SKU-1', 2, 11], ['SKU-2', 1, 10]],
           [['shop-eu', 5, 1]]],
          'stock get: a bundle from its components');
($rc, $doc) = jctl('stock', 'get', 'SKU-2');
is_deeply($doc->{bundles}, [{ sku => 'KIT-1', available => 5 }],
          'stock get: the bundles made of a SKU');

$t->redis('DEL', "${K}dirty:shop-eu");
($rc) = ctl('stock', 'count', 'SKU-2', '--location', 'wh-a', '--qty', '2');
is_deeply([sort @{$t->redis('SMEMBERS', "${K}dirty:shop-eu")}],
          ['KIT-1', 'SKU-2'], 'stock count: the bundle is dirty too');
($rc, $doc) = jctl('stock', 'get', 'KIT-1');
is($doc->{available}, 3, 'stock get: the bundle follows its component');

($rc, $out, $err) = ctl('stock', 'count', 'KIT-1', '--location', 'wh-a',
                        '--qty', '5');
ok($rc == 1 && $err =~ /is a bundle/, 'stock count: a bundle refused');
is($t->redis('EXISTS', "${K}stock:KIT-1"), 0, 'stock count: no bundle stock');

###############################################################################
# history

($rc, $doc) = jctl('stock', 'history', 'SKU-1');
is_deeply([$rc, [map { $_->{action} } @{$doc->{entries}}]],
          [0, ['operator.sku.map', 'operator.sku.map', 'operator.sku.map',
               'operator.sku.map', 'stock.count', 'stock.count',
               'stock.adjust']],
          'stock history --json') or diag(explain($doc));
($rc, $out) = ctl('stock', 'history', 'SKU-1', '--limit', '2');
ok($rc == 0 && $out =~ /operator\.sku\.map/ && $out =~ /the first 2 shown/,
   'stock history: as text, limited') or diag($out);
($rc, $out, $err) = ctl('stock', 'history', 'NOPE');
is($rc, 2, 'stock history: unknown SKU, 2');

###############################################################################
# list, unmap

($rc, $doc) = jctl('sku', 'list');
is_deeply([$rc, $doc->{count}, [map { $_->{sku} } @{$doc->{skus}}],
           $doc->{skus}[1]{name}, $doc->{skus}[0]{components}],
          [0, 4, ['KIT-1', 'SKU-1', 'SKU-2', 'SKU-3'], 'Blue mug',
           { 'SKU-1' => 2, 'SKU-2' => 1 }], 'sku list --json');
($rc, $doc) = jctl('sku', 'list', '--channel', 'woo-main');
is_deeply([map { $_->{sku} } @{$doc->{skus}}], ['SKU-1', 'SKU-2', 'SKU-3'],
          'sku list --channel');
($rc, $out) = ctl('sku', 'list');
ok($rc == 0 && $out =~ /^SKU-1\s+Blue mug\s+-\s+shop-eu\s+inventory item 1001, location 55$/m,
   'sku list: as text') or diag($out);

($rc, $out) = ctl('sku', 'unmap', 'SKU-3', '--channel', 'woo-main',
                  '--why', 'discontinued');
ok($rc == 0 && $out =~ /^unmapped SKU-3 on woo-main \(audit \S+\)$/,
   'sku unmap') or diag($out);
is_deeply([$t->redis('EXISTS', "${K}skuref:woo-main:product:310",
                     "${K}skuref:woo-main:sku:S3-WOO", "${K}skumap:SKU-3"),
           $t->redis('SISMEMBER', "${K}dirty:woo-main", 'SKU-3')], [0, 0],
          'sku unmap: refs and dirty mark gone');
($rc, $out, $err) = ctl('sku', 'unmap', 'SKU-3', '--channel', 'woo-main');
is($rc, 2, 'sku unmap: not mapped, 2');
is(scalar @{audits('operator.sku.unmap')}, 1, 'sku unmap: audited');

###############################################################################
# the writers are scripts: two operators remapping one SKU at once leave
# one mapping, its refs and its audit entry; bad arguments are refused

# invsyncctl @args in the background, its output in ctl<n>.out/.err
sub ctl_bg {
    my ($n, @args) = @_;
    my $dir = $t->dir;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $ENV{USER} = 'tester';
        $ENV{ASAN_OPTIONS} = "detect_leaks=1:log_path=$dir/logs/asan-ctl"
            if $ENV{INVSYNC_ASAN};
        open STDOUT, '>', "$dir/ctl$n.out" or POSIX::_exit(126);
        open STDERR, '>', "$dir/ctl$n.err" or POSIX::_exit(126);
        exec $bin, '-c', $conf, @args or POSIX::_exit(127);
    }
    return $pid;
}

my @bad;
for my $round (1 .. 10) {
    my %rc;
    my %pid = map {
        (ctl_bg($_, 'sku', 'map', 'SKU-C', '--channel', 'shop-eu',
                '--inventory-item', 5000 + $_, '--location', '55') => $_)
    } 1 .. 2;
    for my $p (keys %pid) {
        waitpid($p, 0);
        $rc{$pid{$p}} = $? >> 8;
    }
    my $map = $t->redis('HGET', "${K}skumap:SKU-C", 'shop-eu');
    my $item = $json->decode($map)->{inventory_item_id};
    my @held = grep {
        ($t->redis('GET', "${K}skuref:shop-eu:item:$_") // '') eq 'SKU-C'
    } 5001, 5002;
    my @mine = grep { $_->{sku} eq 'SKU-C' } @{audits('operator.sku.map')};
    push @bad, "round $round: rc $rc{1}/$rc{2}, map $map, refs @held"
        unless $rc{1} == 0 && $rc{2} == 0 && "@held" eq $item
               && $mine[-1]{ids} eq $map;
}
is(join('; ', @bad), '', 'sku map: two at once, one mapping and its refs');

my %lua = map {
    open(my $fh, '<', "$FindBin::Bin/../src/core/lua/$_.lua") or die "$_: $!";
    local $/;
    ($_ => scalar <$fh>);
} qw(skumap bundle);

like($t->redis('EVAL', $lua{skumap}, 2, "${K}skumap:SKU-X", "${K}audit",
               $K, 'now', 1000, 'SKU-X', 'shop-eu', '{}', '', '', 'me', '',
               1, 'sku:SKU-X'),
     qr/^ERR:.*skumap: needs a SKU, a channel, a time/,
     'skumap.lua: a bad time refused');
like($t->redis('EVAL', $lua{skumap}, 2, "${K}skumap:SKU-X", "${K}audit",
               $K, 1, 1000, 'SKU-X', 'shop-eu', '{"a":', '', '', 'me', '',
               1, 'sku:SKU-X'),
     qr/^ERR:.*skumap: the identifiers are not a JSON object/,
     'skumap.lua: identifiers that are no JSON refused');
my $r = $t->redis('EVAL', $lua{bundle}, 2, "${K}sku:KIT-X", "${K}audit",
                  $K, 1, 1000, 'KIT-X', '{"KIT-X":1}', '', 'me', '');
is_deeply([$r =~ /^ERR:.*bundle: a component is another SKU/ ? 1 : $r,
           $t->redis('EXISTS', "${K}sku:KIT-X", "${K}skumap:SKU-X")],
          [1, 0], 'bundle.lua: a bundle of itself refused, nothing written');

###############################################################################
# the identifiers come from the channel table

($rc, $out) = ctl('sku', 'map', '--help');
ok($rc == 0 && $out =~ /^  shopify\s+--inventory-item ID --location ID$/m
   && $out =~ /^  woocommerce\s+--product ID \[--variation ID\]$/m
   && $out =~ /^\s+location_id: a number or gid:\/\/shopify\/Location\/N$/m,
   'sku map --help: the identifiers of each type') or diag($out);
($rc, $out, $err) = ctl('sku', 'map', 'SKU-X', '--channel', 'shop-eu',
                        '--inventory-item', 'abc', '--location', '55');
ok($rc == 1 && $err =~ /: a shopify inventory item id is a number \(or its gid:\/\/shopify\/InventoryItem\/ form\), not "abc"$/m,
   'sku map: an identifier of the wrong shape') or diag($err);
($rc, $out, $err) = ctl('sku', 'map', 'SKU-X', '--channel', 'shop-eu',
                        '--inventory-item', '7');
ok($rc == 1 && $err =~ /: channel shop-eu is a shopify channel: give the inventory item and the location$/m,
   'sku map: a required identifier missing') or diag($err);
($rc, $out, $err) = ctl('sku', 'map', 'SKU-X', '--channel', 'woo-main',
                        '--variation', '7');
ok($rc == 1 && $err =~ /: channel woo-main is a woocommerce channel: give the product \(and the variation\)$/m,
   'sku map: a required identifier missing, an optional one named')
    or diag($err);
# the columns are sku, channel, every channel type's identifiers, then
# channel_sku, name and the routing attributes: more than that many is
# refused, naming them
$t->write_file('wide.csv', join(',', ('x') x 40) . "\n");
($rc, $out, $err) = ctl('sku', 'import', $t->dir . '/wide.csv');
my ($most, $names) = $err =~ /wide\.csv:1: the header must be (\d+) or fewer columns: (\S+)$/m;
ok($rc == 1 && defined $names
   && $names =~ /^sku,channel,inventory_item_id,location_id,(?:[a-z_]+,)*product_id,variation_id,(?:[a-z_]+,)*channel_sku,name,tags,weight_g,length_mm,width_mm,height_mm,cost_minor,cost_currency$/
   && $most == split(/,/, $names),
   'sku import: the columns of the table') or diag($err);

$t->done;
