#!/usr/bin/perl

# make demo end to end: t/demo/run on free ports and a directory of its
# own starts Redis, nginx with the module, invsync-worker and the Shopify,
# WooCommerce and Square simulators, seeds the catalogue and plays its
# story.  Checked here from outside the story: what each simulator shows
# after it (the sale, the oversell to 0, the restock), the oversold
# exception, the duplicate stored once; a second run restarts cleanly;
# t/demo/run stop stops every process it started, and a pidfile naming
# another program is left alone.  Outcomes only: the milliseconds the story
# prints are not asserted.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;

plan(skip_all => 'the demo runs the plain build, not the ASan one')
    if $ENV{INVSYNC_ASAN};

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
for my $p (qw(invsync-worker invsyncctl ngx_http_invsync_module.so)) {
    plan(skip_all => "$p not built") unless -e $t->root . "/build/$p";
}
plan(tests => 27);

my $dir = $t->dir . '/demo';
my %env = (
    INVSYNC_DEMO_DIR          => $dir,
    INVSYNC_DEMO_PORT         => $t->port('http'),
    INVSYNC_DEMO_REDIS_PORT   => $t->port('redis'),
    INVSYNC_DEMO_SHOPIFY_PORT => $t->port('sim_shopify'),
    INVSYNC_DEMO_WOO_PORT     => $t->port('sim_woocommerce'),
    INVSYNC_DEMO_SQUARE_PORT  => $t->port('sim_square'),
);
my $run = $t->root . '/t/demo/run';
my @PIDFILES = map { "$_.pid" }
    qw(redis nginx worker sim_shopify sim_woocommerce sim_square);

sub demo {
    my (@args) = @_;
    local %ENV = (%ENV, %env);
    my $out = `'$run' @args 2>&1`;
    return ($? >> 8, $out);
}

# whatever happens, nothing of the demo outlives the test
END { demo('stop') if -d $dir }

sub pids {
    my %p;
    for my $f (@PIDFILES) {
        open my $fh, '<', "$dir/$f" or next;
        chomp($p{$f} = <$fh> // '');
    }
    return \%p;
}

# alive: a zombie is not (its parent, init, may not have reaped it yet)
sub alive {
    my ($pid) = @_;
    return 0 unless kill 0, $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my ($state) = (<$fh> // '') =~ /\) (\S)/;
    return ($state // 'Z') ne 'Z';
}

sub ctl_json {
    my (@args) = @_;
    my $cmd = join ' ', map { "'$_'" } $t->root . '/build/invsyncctl', '-c',
        "$dir/worker.json", @args, '--json';
    my $out = `$cmd 2>&1`;
    return $? ? { error => $out } : decode_json($out);
}

# ---- the first run: the story ----

my ($rc, $out) = demo();
is($rc, 0, 't/demo/run starts everything and plays the story') or diag($out);
like($out, qr/^demo: 0\. the ledger's stock pushed to every channel/m,
     'the catalogue reaches every channel');
like($out, qr/MUG 10 -> 8 on WooCommerce in \d+ ms, on Square in \d+ ms/,
     'a sale on Shopify: WooCommerce and Square follow, with the time taken');
like($out, qr/answers 200 \{"status":"duplicate"/,
     'the same webhook again: nginx answers duplicate');
like($out, qr/still shows MUG 8; the ledger still reserves 2/,
     'and nothing changes');
like($out, qr/exception oversold:woo-demo:\S+ after \d+ ms/,
     'the oversell opens an exception');
like($out, qr/every channel back up, MUG 18/, 'the restock');
like($out, qr/invsyncctl -c \Q$dir\E\/worker\.json status/,
     'it ends with the commands to try next');
like($out, qr{http://127\.0\.0\.1:\d+/console/}, 'and the console\'s URL');

# ---- the outcomes, read from outside the story ----

# InvsyncSim's client asks an object for the simulators' ports
{ package DemoPorts; sub port { $_[0]{$_[1]} } }
my $sims = bless { map { ("sim_$_" => $t->port("sim_$_")) }
                   qw(shopify woocommerce square) }, 'DemoPorts';
my %mug = (shopify => [1001, 1], woocommerce => [501],
           square => ['VARMUG', 'LOC1']);
my %set = (shopify => [1004, 1], woocommerce => [504],
           square => ['VARGIFTSET', 'LOC1']);
for my $ch (sort keys %mug) {
    is(InvsyncSim::quantity($sims, $ch, @{$mug{$ch}}), 18,
       "$ch shows 18 mugs after the restock");
    is(InvsyncSim::quantity($sims, $ch, @{$set{$ch}}), 7,
       "$ch shows 7 gift sets (2 mugs and a cap each, 7 caps)");
}

my $mug = ctl_json('stock', 'get', 'MUG');
is_deeply([map { $_->{should_show} } @{$mug->{channels} || []}],
          [18, 18, 18], 'which is what the ledger says they should show')
    or diag(explain $mug);

my $ex = ctl_json('exceptions', 'list');
my @over = grep { $_->{kind} eq 'oversold' } @{$ex->{exceptions} || []};
is(scalar @over, 1, 'one oversold exception is open') or diag(explain $ex);
my $shown = @over ? ctl_json('exceptions', 'show', $over[0]{id}) : {};
is($shown->{data}{short}, 2, 'short by 2 mugs') or diag(explain $shown);

# the console the story points to shows the same exception
my $api = $t->get('/console/api/exceptions?kind=oversold');
my $rows = $api->{status} == 200
           ? (eval { decode_json($api->{content})->{rows} } || []) : [];
is_deeply([map { $_->{id} } @$rows], [map { $_->{id} } @over],
          'the console lists it') or diag("$api->{status} $api->{content}");

my $st = ctl_json('status');
my ($orders) = grep { $_->{name} eq 'orders' } @{$st->{streams} || []};
is($orders->{length}, 2, 'two orders stored: the duplicate was not')
    or diag(explain $st);

# ---- a second run restarts cleanly ----

my $first = pids();
($rc, $out) = demo();
is($rc, 0, 'a second run restarts and plays the story again') or diag($out);
my $second = pids();
my @same = grep { ($first->{$_} // '') eq ($second->{$_} // '') } @PIDFILES;
is_deeply(\@same, [], 'with new processes');
ok(!(grep { alive($_) } values %$first), 'the first run\'s are gone');

# ---- stop: what it started, nothing else ----

($rc, $out) = demo('stop');
is($rc, 0, 't/demo/run stop') or diag($out);
ok(!(grep { alive($_) } values %$second), 'every process it started stopped')
    or diag(explain $second);
ok(!(grep { -e "$dir/$_" } @PIDFILES), 'and their pidfiles are removed');

# a pidfile left naming a process that is not the demo's (a pid reused)
my $other = fork // die "fork: $!";
if ($other == 0) { exec 'sleep', '60' or POSIX::_exit(127) }
$t->write_file('demo/redis.pid', "$other\n");
demo('stop');
ok(alive($other), 'a process that is not the demo\'s is left alone');
kill 'TERM', $other;
waitpid($other, 0);
