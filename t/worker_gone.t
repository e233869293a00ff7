#!/usr/bin/perl

# A worker killed with SIGKILL (issue 13): invsyncctl status shows it
# "gone" with its last heartbeat and how long ago, no longer "running";
# after limits.worker_forget_s it is no longer listed, and a live worker
# has removed its heartbeat field.  Without any live worker the CLI still
# hides it (the field stays until a worker runs).  worker -t refuses a
# forget time within three heartbeat intervals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker kill_worker
                     wait_for worker_bin ctl);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
plan(skip_all => 'invsync-worker not built') unless -x worker_bin($t);
$t->run_redis;
$t->plan(11);

my $W = 'invsync:{invsync}:workers';

sub conf {
    my ($name) = @_;
    return worker_conf($t, "$name.json",
                       consumer => { name => $name, block_ms => 100,
                                     claim_idle_ms => 2000 },
                       limits => { heartbeat_ms => 200,
                                   trim_interval_ms => 500,
                                   worker_forget_s => 3 });
}

sub workers {
    my ($rc, $out) = ctl($t, conf('ctl'), 'status', '--json');
    my $doc = eval { decode_json($out) } or diag($out);
    return { map { $_->{name} => $_ } @{$doc->{workers}{list} || []} };
}

run_worker($t, 'wa', conf('wa'));
run_worker($t, 'wb', conf('wb'));
ok(wait_for(10, sub { my $w = workers();
                      $w->{wa} && $w->{wa}{alive} && $w->{wb}
                      && $w->{wb}{alive} }), 'two workers alive');

kill_worker($t, 'wa', 'KILL');
my $killed = time * 1000;

my $w = wait_for(5, sub { my $w = workers();
                          $w->{wa} && !$w->{wa}{alive} ? $w : undef });
is_deeply([map { $w->{wa}{$_} } qw(state alive)], ['gone', JSON::PP::false],
          'the killed worker: gone, not alive') or diag(explain($w->{wa}));
ok($w->{wa}{heartbeat_age_ms} >= 600
   && abs($w->{wa}{heartbeat} + $w->{wa}{heartbeat_age_ms} - time * 1000)
      < 2000,
   'with its last heartbeat\'s age') or diag(explain($w->{wa}));
like($w->{wa}{heartbeat_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
     'and its time');
is($w->{wb}{state}, 'running', 'the other still running');

my ($rc, $out) = ctl($t, conf('ctl'), 'status');
like($out, qr/^wa\s+no\s+gone\s+\d+s ago/m, 'the table: gone, seconds ago')
    or diag($out);

# past worker_forget_s: forgotten, by the live worker
ok(wait_for(8, sub { !$t->redis('HEXISTS', $W, 'wa') }),
   'its heartbeat field removed by the live worker');
ok(time * 1000 - $killed > 2500, 'not before worker_forget_s');
$w = workers();
ok(!$w->{wa} && $w->{wb}, 'no longer listed, the live one still');

# no live worker: the CLI hides what nobody has removed
kill_worker($t, 'wb', 'KILL');
ok(wait_for(8, sub { !workers()->{wb} })
   && $t->redis('HEXISTS', $W, 'wb'), 'without workers: hidden by the CLI');

# a forget time the heartbeats would fall within
my $bad = worker_conf($t, 'bad.json',
                      limits => { heartbeat_ms => 2000, worker_forget_s => 5 });
my $o = `'${\ worker_bin($t)}' -t -c '$bad' 2>&1`;
ok($? >> 8 != 0 && $o =~ /worker_forget_s.*three heartbeat intervals/,
   'worker -t: worker_forget_s within three heartbeats refused') or diag($o);

$t->done;
