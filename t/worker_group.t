#!/usr/bin/perl

# Several invsync-worker processes on one consumer group: no event handled
# twice; a worker killed with SIGKILL in the middle of a batch leaves
# entries pending that a live worker claims, and every effect still happens
# exactly once; streams are trimmed only below what every group has
# processed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker kill_worker
                     wait_for worker_bin);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
plan(skip_all => 'invsync-worker not built') unless -x worker_bin($t);
$t->run_redis;
$t->plan(12);

my $A = 'invsync:{invsync}:audit';

# entries as the module writes them, fast, through one pipelined socket
sub add_orders {
    my ($from, $n) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('redis'))
        or die "redis: $!";
    my $req = '';
    for my $i ($from .. $from + $n - 1) {
        my $body = encode_json({ id => $i, updated_at => '2026-11-20T10:00:00Z',
            created_at => '2026-11-20T10:00:00Z', currency => 'EUR',
            total_price => '1.00', financial_status => 'paid',
            line_items => [ { id => $i * 10, sku => "SKU-$i", quantity => 1,
                              price => '1.00' } ] });
        my @cmd = ('XADD', 'invsync:orders', '*', v => 1, channel => 'shop-eu',
                   scheme => 'shopify', account => 'a', topic =>
                   'orders/create', event => "ev-$i", received =>
                   int(time * 1000), body => $body);
        $req .= '*' . @cmd . "\r\n" . join('', map {
            '$' . length($_) . "\r\n$_\r\n" } @cmd);
    }
    print $s $req;
    my $got = 0;
    while ($got < $n) {
        my $line = <$s>;
        $got++ if defined $line && $line =~ /^\$/;
        <$s> if defined $line && $line =~ /^\$\d/;
        last unless defined $line;
    }
    close $s;
}

sub audit_per_event {
    my %n;
    for my $e (@{$t->redis('XRANGE', $A, '-', '+')}) {
        my %f = @{$e->[1]};
        $n{$f{event}}++ if $f{action} eq 'order.record';
    }
    return \%n;
}

sub group_idle {
    my $i = $t->redis('XINFO', 'GROUPS', 'invsync:orders');
    for my $g (@$i) {
        my %g = @$g;
        return 0 if $g{name} eq 'invsync' && ($g{pending} || $g{lag});
    }
    return 1;
}

my $conf = worker_conf($t, 'w.json',
    consumer => { block_ms => 50, claim_idle_ms => 1000, batch => 64 },
    limits => { heartbeat_ms => 200, trim_interval_ms => 200,
                stream_retain_s => 0 });

# a group that reads nothing: no entry it has not processed may go
$t->redis('XGROUP', 'CREATE', 'invsync:orders', 'laggard', '0', 'MKSTREAM');

# two workers, one group

run_worker($t, 'w1', $conf);
run_worker($t, 'w2', $conf);
add_orders(1, 400);

ok(wait_for(30, sub { keys(%{audit_per_event()}) == 400 && group_idle() }),
   'two workers: all 400 events handled');
my $per = audit_per_event();
is(scalar(grep { $_ != 1 } values %$per), 0, 'no event handled twice');

# heartbeats come every 200 ms: wait for the last one
my (@hb, $applied);
wait_for(5, sub {
    @hb = map { decode_json($_) }
          @{$t->redis('HVALS', 'invsync:{invsync}:workers')};
    $applied = 0;
    # unmapped SKUs: each order also opened an exception
    $applied += $_->{counters}{applied} + $_->{counters}{exceptions}
        for @hb;
    $applied == 400 });
is($applied, 400, 'the workers applied 400 between them');
diag(join ', ', map { "$_->{name}: "
                      . ($_->{counters}{applied} + $_->{counters}{exceptions}) }
               @hb);

is($t->redis('XLEN', 'invsync:orders'), 400,
   'nothing trimmed while another group has not read the entries');

stop_worker($t, 'w1');
stop_worker($t, 'w2');

# SIGKILL in the middle of a batch

my $big = worker_conf($t, 'big.json',
    consumer => { block_ms => 50, claim_idle_ms => 1000, batch => 1000 },
    limits => { heartbeat_ms => 200, trim_interval_ms => 200,
                stream_retain_s => 0 });

my $pending = 0;
for my $try (1 .. 5) {
    my $base = 1000 * $try;
    run_worker($t, 'victim', $big);
    add_orders($base, 600);
    # stopped as soon as it holds entries: waiting for one of their audit
    # entries let a fast worker finish all 600 first on a quiet machine
    my $until = time + 10;
    1 until $t->redis('XPENDING', 'invsync:orders', 'invsync')->[0]
            || time > $until;
    kill 'STOP', $t->{pids}{victim};
    my $p = $t->redis('XPENDING', 'invsync:orders', 'invsync');
    $pending = $p->[0];
    kill_worker($t, 'victim', 'KILL');
    last if $pending > 0;
}
ok($pending > 0, "killed with $pending entries pending");

run_worker($t, 'rescuer', $conf);
ok(wait_for(30, sub { group_idle() }), 'the live worker claimed them all');
$per = audit_per_event();
is(scalar(grep { $_ != 1 } values %$per), 0,
   'after the crash every effect happened exactly once');
my $added = grep { /^ev-\d{4}$/ } keys %$per;
ok($added >= 600, "every added event applied ($added)");

# the counters reach K workers with the next heartbeat (every 200 ms)
my $claimed = 0;
wait_for(5, sub {
    $claimed = 0;
    $claimed += decode_json($_)->{counters}{claimed} // 0
        for @{$t->redis('HVALS', 'invsync:{invsync}:workers')};
    $claimed > 0 });
ok($claimed > 0, "claimed counted ($claimed)");

# once the laggard goes, what every group processed is trimmed

my $len = $t->redis('XLEN', 'invsync:orders');
$t->redis('XGROUP', 'DESTROY', 'invsync:orders', 'laggard');
ok(wait_for(10, sub { $t->redis('XLEN', 'invsync:orders') <= 150 }),
   "trimmed from $len to the retained window");
is(scalar @{$t->redis('XPENDING', 'invsync:orders', 'invsync', '-', '+', 10)},
   0, 'no pending entry was trimmed away');

is(stop_worker($t, 'rescuer'), 0, 'rescuer stops cleanly');

$t->done;
