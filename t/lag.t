#!/usr/bin/perl

# The group's lag after Redis restarts from its append-only file (issue 13,
# defect 1).  Redis 7.0 replays a delivery as XCLAIM ... LASTID, which
# moves the group's last-delivered-id but not its entries-read, so its own
# XINFO GROUPS lag reads every entry delivered since the last rewrite on a
# drained group.  invsyncctl status, the worker's heartbeat and the
# module's invsync_worker_lag count the entries above last-delivered-id
# instead: 0 after the restart, N after N entries no worker reads.  Past
# the counting bound (both sides of last-delivered-id over 2000 entries)
# Redis's own lag is shown, bounded by what was counted, and marked.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for worker_bin
                     ctl);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
plan(skip_all => 'invsync-worker not built') unless -x worker_bin($t);

# the same dir and append-only file across restarts, no RDB snapshots
my @AOF = ('--appendonly', 'yes', '--appendfsync', 'always');
$t->run_redis(@AOF);

$t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /status {
            invsync_status;
        }
    }
EOF

$t->run;
$t->plan(11);

my $S = 'invsync:orders';
my $conf = worker_conf($t, 'worker.json',
                       consumer => { name => 'w1', block_ms => 100,
                                     claim_idle_ms => 2000 },
                       limits => { heartbeat_ms => 200,
                                   trim_interval_ms => 3600000,
                                   stream_retain_s => 86400 });

# entries the worker can only ignore: a topic it has no action for
sub add {
    my ($n) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('redis'))
        or die "redis: $!";
    my $req = '';
    for my $i (1 .. $n) {
        my @cmd = ('XADD', $S, '*', v => 1, channel => 'shop-eu',
                   scheme => 'shopify', account => 'a', topic => 'shop/update',
                   event => "ev-$i-" . rand(), received => int(time * 1000),
                   body => '{}');
        $req .= '*' . @cmd . "\r\n"
                . join('', map { '$' . length($_) . "\r\n$_\r\n" } @cmd);
    }
    print $s $req;
    for (1 .. $n) {
        my $line = <$s>;
        <$s> if defined $line && $line =~ /^\$\d/;
    }
    close $s;
}

sub group {
    my ($g) = grep { {@$_}->{name} eq 'invsync' }
              @{$t->redis('XINFO', 'GROUPS', $S)};
    return $g ? {@$g} : {};
}

sub drained {
    my $g = group();
    my $last = $t->redis('XREVRANGE', $S, '+', '-', 'COUNT', 1)->[0][0];
    return defined $g->{pending} && $g->{pending} == 0
           && $g->{'last-delivered-id'} eq $last;
}

sub status {
    my ($rc, $out) = ctl($t, $_[0] // $conf, 'status', '--json');
    my $doc = eval { decode_json($out) } or diag($out);
    my ($s) = grep { $_->{name} eq 'orders' } @{$doc->{streams} || []};
    return $s || {};
}

sub heartbeat {
    my $hb = $t->redis('HGET', 'invsync:{invsync}:workers', 'w1');
    return $hb ? decode_json($hb) : {};
}

sub prometheus_lag {
    my $r = $t->get('/status?format=prometheus');
    return $r->{content} =~ /^invsync_worker_lag\{worker="w1",stream="orders"\} (\d+)$/m
           ? $1 : undef;
}

# a clean shutdown and a start on the same port, dir and AOF
sub restart {
    $t->stop_redis;
    delete $t->{redis_sock};
    $t->run_redis(@AOF);
    wait_for(10, sub { (eval { $t->redis('PING') } // '') eq 'PONG' })
        or die "redis did not load its AOF\n";
}

sub rewritten {
    return wait_for(10, sub {
        $t->redis('INFO', 'persistence') =~ /aof_rewrite_in_progress:0/
        && $t->redis('INFO', 'persistence') =~ /aof_rewrite_scheduled:0/ });
}

###############################################################################
# drained, the AOF rewritten (entries-read in its base), drained again

run_worker($t, 'w1', $conf);
add(50);
ok(wait_for(10, \&drained), 'first entries drained');
$t->redis('BGREWRITEAOF');
rewritten() or diag('AOF rewrite did not end');

add(700);
ok(wait_for(20, \&drained), 'more entries drained after the rewrite');
is(status()->{lag}, 0, 'lag 0 before the restart');

###############################################################################
# Redis restarted on the same dir: the AOF replayed

my $before = time * 1000;
restart();

ok(drained(), 'after the restart: 0 pending, last delivered = last entry');
note('Redis 7.0 own lag after the restart: ' . (group()->{lag} // 'nil')
     . ', entries-read ' . (group()->{'entries-read'} // 'nil'));

my $s = status();
is_deeply([@$s{qw(lag lag_exact)}], [0, JSON::PP::true],
          'invsyncctl status: lag 0 after the restart') or diag(explain($s));

ok(wait_for(10, sub { (heartbeat()->{heartbeat} // 0) > $before + 500 }),
   'the worker beats again');
is(heartbeat()->{lag}{orders}, 0, 'heartbeat: lag 0 after the restart');
is(wait_for(10, sub { defined(my $l = prometheus_lag()) or return; "$l" }),
   '0', 'invsync_worker_lag 0 after the restart');

###############################################################################
# N entries no worker reads

stop_worker($t, 'w1');
add(7);
is(status()->{lag}, 7, '7 entries nobody reads: lag 7');

restart();
is(status()->{lag}, 7, 'and 7 after another restart');

###############################################################################
# past the counting bound: Redis's own lag, within what was counted

# another group, read from the first entry: Redis's counter is right
my $bulk = worker_conf($t, 'bulk.json',
                       consumer => { group => 'bulk', name => 'b1' });
add(4993);    # 5750 entries
$t->redis('XGROUP', 'CREATE', $S, 'bulk', '0');
$t->redis('XREADGROUP', 'GROUP', 'bulk', 'test', 'COUNT', 3250,
          'STREAMS', $S, '>');
$s = status($bulk);
is_deeply([@$s{qw(lag lag_exact)}], [2500, JSON::PP::false],
          'over the bound: Redis\'s lag, marked not exact')
    or diag(explain($s));

$t->done;
