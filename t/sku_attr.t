#!/usr/bin/perl

# invsyncctl sku set and show, and the attribute columns of sku import,
# black box against a real Redis: a SKU's routing attributes (tags,
# weight_g, length_mm, width_mm, height_mm) written by skuattr.lua into
# K sku:<sku> beside its name, normalized (tags lowercase, sorted, without
# repeats), audited once per change and listed under the SKU; refusals
# with their reasons (an unknown SKU, a bad tag, a weight that is not a
# whole number, dimensions not given together, clashing options) that
# leave Redis as it was; clearing; a CSV file that maps and sets, only
# sets, and fails line by line; the script called as the worker would.

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
$t->plan(40);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ { id => 'shop-eu', type => 'shopify' } ],
    locations => [ { id => 'wh-a' } ]);
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
    return [grep { ($_->{action} // '') eq 'operator.sku.set' }
            map { { _id => $_->[0], %{$_->[1]} } }
            @{$t->stream("${K}audit")}];
}

sub attrs {
    my ($sku) = @_;
    my %h = @{$t->redis('HGETALL', "${K}sku:$sku") || []};
    return { map { exists $h{$_} ? ($_ => $h{$_}) : () }
             qw(name tags weight_g length_mm width_mm height_mm cost_minor
                cost_currency) };
}

my ($rc, $out, $err, $doc);

###############################################################################
# set

($rc, $out, $err) = ctl('sku', 'set', 'SKU-1', '--tags', 'hazmat');
ok($rc == 2 && $err =~ /unknown SKU "SKU-1": map it/,
   'set: an unknown SKU is refused') or diag("$rc $err");
is($t->redis('EXISTS', "${K}sku:SKU-1"), 0,
   'set: nothing written for an unknown SKU');

($rc) = ctl('sku', 'map', 'SKU-1', '--channel', 'shop-eu',
            '--inventory-item', '1001', '--location', '55', '--name', 'Mug');
is($rc, 0, 'the SKU mapped, so known');

($rc, $doc) = jctl('sku', 'set', 'SKU-1', '--tags', ' Hazmat,cold,hazmat',
                   '--weight-g', '350', '--dims', '300x200X150',
                   '--why', 'lithium battery');
is_deeply([$rc, @{$doc}{qw(sku attributes changed)}],
          [0, 'SKU-1', { tags => ['cold', 'hazmat'], weight_g => 350,
                         length_mm => 300, width_mm => 200,
                         height_mm => 150, cost_minor => undef,
                         cost_currency => undef }, JSON::PP::true],
          'set --json: normalized attributes');
is_deeply(attrs('SKU-1'),
          { name => 'Mug', tags => 'cold,hazmat', weight_g => '350',
            length_mm => '300', width_mm => '200', height_mm => '150' },
          'set: the fields of K sku:SKU-1, the name kept');

my $a = audits();
is_deeply([scalar @$a, @{$a->[0]}{qw(_id sku tags weight_g length_mm by why)},
           $json->decode($a->[0]{previous})],
          [1, $doc->{audit}, 'SKU-1', 'cold,hazmat', '350', '300', 'tester',
           'lithium battery',
           { tags => '', weight_g => '', length_mm => '', width_mm => '',
             height_mm => '' }],
          'set: audited with the previous values');
ok(defined $t->redis('ZSCORE', "${K}audit:sku:SKU-1", $doc->{audit}),
   'set: the audit entry listed under the SKU');

($rc, $out) = ctl('sku', 'set', 'SKU-1', '--tags', 'hazmat,COLD');
ok($rc == 0 && $out =~ /^SKU-1 has these attributes already: tags cold,hazmat; weight 350 g; dimensions 300 x 200 x 150 mm; cost none$/,
   'set: the same again is no change') or diag($out);
is(scalar @{audits()}, 1, 'set: no audit entry without a change');

($rc, $out) = ctl('sku', 'set', 'SKU-1', '--weight-g', '0400');
ok($rc == 0 && $out =~ /^set SKU-1: tags cold,hazmat; weight 400 g; .* \(audit \S+\)$/,
   'set: one attribute, the others kept') or diag($out);
is(attrs('SKU-1')->{weight_g}, '400', 'set: the weight in canonical form');

($rc, $doc) = jctl('sku', 'set', 'SKU-1', '--cost-minor', '0450',
                   '--currency', 'eur');
ok($rc == 0 && $doc->{attributes}{cost_minor} == 450
   && $doc->{attributes}{cost_currency} eq 'EUR'
   && attrs('SKU-1')->{cost_minor} eq '450'
   && attrs('SKU-1')->{cost_currency} eq 'EUR',
   'set: the cost the journal books at, its currency in upper case')
    or diag($json->encode([$rc, $doc, attrs('SKU-1')]));
($rc) = ctl('sku', 'set', 'SKU-1', '--clear-cost');
ok($rc == 0 && !exists attrs('SKU-1')->{cost_minor}
   && !exists attrs('SKU-1')->{cost_currency},
   'set --clear-cost: both fields gone');

###############################################################################
# refusals

my $before = attrs('SKU-1');
my $naudit = scalar @{audits()};

for (
    [['--tags', 'haz mat'], 1, qr/tag "haz mat" is not 1 to 32 of a-z, 0-9, _ and -/],
    [['--tags', 'a,,b'], 1, qr/an empty tag/],
    [['--tags', 'x' x 33], 1, qr/tag "x{33}" is not 1 to 32/],
    [['--weight-g', '12.5'], 1, qr/weight_g "12\.5" is not a whole number from 1 to 1000000000/],
    [['--weight-g', '0'], 1, qr/weight_g "0" is not a whole number/],
    [['--dims', '300x200'], 1, qr/--dims is LENGTHxWIDTHxHEIGHT in millimetres/],
    [['--dims', '300x200x150x1'], 1, qr/--dims is LENGTHxWIDTHxHEIGHT/],
    [['--dims', '0x1x1'], 1, qr/length_mm "0" is not a whole number/],
    [['--tags', 'a', '--clear-tags'], 1, qr/give --tags or --clear-tags, not both/],
    [['--tags', ''], 1, qr/--tags is empty; --clear-tags removes/],
    [[], 1, qr/set needs --tags, --weight-g, --dims, --cost-minor with --currency or a --clear- option/],
    [['--cost-minor', '450'], 1, qr/a cost goes with its currency/],
    [['--cost-minor', '4.50', '--currency', 'EUR'], 1,
     qr/cost_minor "4.50" is not a whole number/],
    [['--cost-minor', '450', '--currency', 'EURO'], 1,
     qr/currency "EURO" is not a three-letter ISO 4217 code/],
) {
    my ($args, $want_rc, $want) = @$_;
    ($rc, $out, $err) = ctl('sku', 'set', 'SKU-1', @$args);
    ok($rc == $want_rc && $err =~ $want, "set refused: @$args")
        or diag("$rc $err");
}

is_deeply([attrs('SKU-1'), scalar @{audits()}], [$before, $naudit],
          'set: nothing written when refused');

###############################################################################
# clearing

($rc) = ctl('sku', 'set', 'SKU-1', '--clear-tags', '--clear-dims');
is_deeply([$rc, attrs('SKU-1')], [0, { name => 'Mug', weight_g => '400' }],
          'set --clear-tags --clear-dims: the fields deleted');

###############################################################################
# show

ctl('sku', 'set', 'SKU-1', '--tags', 'oversize', '--dims', '1200x800x600');
($rc, $doc) = jctl('sku', 'show', 'SKU-1');
is_deeply([$rc, $doc],
          [0, { sku => 'SKU-1', name => 'Mug', components => undef,
                tags => ['oversize'], weight_g => 400, length_mm => 1200,
                width_mm => 800, height_mm => 600,
                cost_minor => undef, cost_currency => undef,
                channels => ['shop-eu'] }],
          'show --json');

($rc, $out) = ctl('sku', 'show', 'SKU-1');
ok($rc == 0 && $out =~ /^tags\s+oversize$/m && $out =~ /^weight\s+400 g$/m
   && $out =~ /^dimensions\s+1200 x 800 x 600 mm/m
   && $out =~ /^channels\s+shop-eu$/m, 'show') or diag($out);

($rc, $out, $err) = ctl('sku', 'show', 'SKU-404');
ok($rc == 2 && $err =~ /unknown SKU "SKU-404"/, 'show: an unknown SKU');

###############################################################################
# import

$t->write_file('attrs.csv', <<'EOF');
sku,channel,inventory_item_id,location_id,tags,weight_g,length_mm,width_mm,height_mm
SKU-2,shop-eu,1002,55,"cold, Fragile",500,100,100,50
SKU-1,,,,hazmat,,,,
SKU-3,,,,,,,,
SKU-9,,,,hazmat,,,,
SKU-4,shop-eu,1004,55,bad tag!,,,,
SKU-1,,,,,abc,,,
SKU-4,,,,,,300,,
EOF

($rc, $out, $err) = ctl('sku', 'import', $t->dir . '/attrs.csv');
ok($rc == 1
   && $out =~ /2 mapped, 0 unchanged, 2 with attributes set, 5 failed/,
   'import: mapped, attributes set, failed lines') or diag("$out$err");
ok($err =~ /attrs\.csv:4: no channel \(and no attribute\)/
   && $err =~ /attrs\.csv:5: unknown SKU "SKU-9"/
   && $err =~ /attrs\.csv:6: mapped on shop-eu, but the attributes were refused: tag "bad tag!"/
   && $err =~ /attrs\.csv:7: weight_g "abc" is not a whole number/
   && $err =~ /attrs\.csv:8: the dimensions go together/,
   'import: each refusal with its line and reason') or diag($err);
is_deeply([attrs('SKU-2'), attrs('SKU-1')->{tags},
           attrs('SKU-1')->{weight_g},
           $t->redis('GET', "${K}skuref:shop-eu:item:1004"),
           $t->redis('EXISTS', "${K}sku:SKU-9", "${K}sku:SKU-4")],
          [{ tags => 'cold,fragile', weight_g => '500', length_mm => '100',
             width_mm => '100', height_mm => '50' }, 'hazmat', '400',
           'SKU-4', 0],
          'import: what Redis holds');

($rc, $doc) = jctl('sku', 'import', $t->dir . '/attrs.csv');
is_deeply([$rc, @{$doc}{qw(mapped unchanged attributes_set failed)},
           [map { $_->{line} } @{$doc->{errors}}]],
          [1, 0, 2, 0, 5, [4, 5, 6, 7, 8]],
          'import --json: again, nothing changed');

$t->write_file('costs.csv', <<'EOF');
sku,cost_minor,cost_currency
SKU-2,712,eur
SKU-1,450,
EOF
($rc, $out, $err) = ctl('sku', 'import', $t->dir . '/costs.csv');
ok($rc == 1 && $out =~ /1 with attributes set, 1 failed/
   && $err =~ /costs\.csv:3: a cost goes with its currency/
   && attrs('SKU-2')->{cost_minor} eq '712'
   && attrs('SKU-2')->{cost_currency} eq 'EUR'
   && !exists attrs('SKU-1')->{cost_minor},
   'import: the cost columns, a cost without its currency refused')
    or diag("$out$err");

$t->write_file('sku-only.csv', "sku,name\nSKU-1,Mug\n");
($rc, $out, $err) = ctl('sku', 'import', $t->dir . '/sku-only.csv');
ok($rc == 1 && $err =~ /sku-only\.csv:1: the header needs the column sku, and channel or an attribute/,
   'import: a header without channel or attribute') or diag($err);

###############################################################################
# the script itself, as the worker would call it

my $lua = do {
    open(my $fh, '<', "$FindBin::Bin/../src/core/lua/skuattr.lua") or die $!;
    local $/;
    <$fh>;
};
like($t->redis('EVAL', $lua, 2, "${K}sku:SKU-1", "${K}audit", $K, 1, 1000,
               'SKU-1', 'me', '', 'colour', 'red'),
     qr/^ERR:.*skuattr: field "colour" is repeated or not one of tags/,
     'skuattr.lua: an unknown field refused');
my $r = $t->redis('EVAL', $lua, 2, "${K}sku:SKU-1", "${K}audit", $K, 1, 1000,
                  'SKU-1', 'me', '', 'tags', 'B ,a,b', 'weight_g', '');
is_deeply([@{$r}[0, 2 .. 6], attrs('SKU-1')],
          ['done', 'a,b', '', '1200', '800', '600',
           { name => 'Mug', tags => 'a,b', length_mm => '1200',
             width_mm => '800', height_mm => '600' }],
          'skuattr.lua: tags normalized, "" clears the weight');

$t->done;
