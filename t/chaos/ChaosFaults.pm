package ChaosFaults;

# The faults of the fault run, each on the processes the run started
# itself (an InvsyncTest object's Redis, nginx and workers):
#   worker   an invsync-worker killed with SIGKILL, started again; every
#            other kill waits until it holds entries (pending
#            then for the other worker to claim), the others come at once,
#            wherever it is in its loop (in a batch, between an effect and
#            its XACK)
#   nginx    an nginx worker process killed with SIGKILL (its master
#            starts another)
#   redis    Redis stopped cleanly (SIGTERM: it flushes its append-only
#            file), started again on the same port and directory
#   redis-kill  Redis killed with SIGKILL (appendfsync always), started again
#   ship-worker a worker killed at once after the sending, while the
#            shipments are worked (CHAOS_SHIP), started again
# and the plan: which fault at which share of the deliveries.

use strict;
use warnings;

use List::Util qw(shuffle);
use Time::HiRes qw(sleep time);
use InvsyncWorker qw(run_worker kill_worker wait_for);

our @AOF = ('--appendonly', 'yes', '--appendfsync', 'always');

# The plan: every fault of %n (kind => count; worker kills per worker
# name in $workers) at its own share of the deliveries, spread from 5 %
# to 90 % in a seeded shuffled order.  A list of [share, kind, target].
# With a backlog (a share, workers held back until then), first the
# workers' release there, and the faults from 5 % above it.
sub plan {
    my ($workers, $backlog, %n) = @_;
    my @f;
    for my $w (@$workers) {
        push @f, ['worker', $w] for 1 .. $n{worker};
    }
    push @f, ['nginx'] for 1 .. $n{nginx};
    push @f, ['redis'] for 1 .. $n{redis};
    push @f, ['redis-kill'] for 1 .. $n{redis_kill};
    @f = shuffle @f;
    my $from = 0.05 + $backlog;
    my $step = @f > 1 ? (0.9 - $from) / (@f - 1) : 0;
    return [($backlog ? [$backlog, 'release'] : ()),
            map { [$from + $_ * $step, @{$f[$_]}] } 0 .. $#f];
}

# Does one fault; returns a line saying what was done.
sub inject {
    my ($t, $conf, $kind, $target) = @_;
    if ($kind eq 'release') {
        my @w = sort keys %{$t->{chaos_held}};
        kill 'CONT', map { $t->{pids}{$_} } @w;
        delete $t->{chaos_held};
        return "workers @w let go, "
               . $t->redis('XLEN', 'invsync:orders') . ' entries waiting';
    }
    if ($kind eq 'worker') {
        my $pid = $t->{pids}{$target};
        my $how = $t->{chaos_kills}++ % 2 ? 'at once'
                                          : 'stopped until it held entries';
        stop_holding($t, $pid) if $how ne 'at once';
        kill_worker($t, $target, 'KILL');
        # what it held at its death stays pending under its name
        my $held = held($t, $pid);
        sleep 0.3;
        run_worker($t, $target, $conf);
        return "worker $target (pid $pid) killed ($how), $held entries "
               . "pending, restarted as $t->{pids}{$target}";
    }
    if ($kind eq 'ship-worker') {
        # after the sending, while shipments are worked: at once (no
        # entries come to hold), with the labels and 3PL orders in flight
        my $pid = $t->{pids}{$target};
        my $K = 'invsync:{invsync}:';
        my $leased = eval { $t->redis('ZCOUNT', "${K}fulfil:due",
                                      int(time * 1000) + 10_000, '+inf') };
        kill_worker($t, $target, 'KILL');
        sleep 0.3;
        run_worker($t, $target, $conf);
        return "worker $target (pid $pid) killed (at once), "
               . ($leased // '?') . ' shipments leased (in flight, or a '
               . 'killed worker\'s until the lease ends), '
               . "restarted as $t->{pids}{$target}";
    }
    if ($kind eq 'nginx') {
        my @w = nginx_workers($t);
        return 'nginx: no worker process found' unless @w;
        my $pid = $w[int rand @w];
        kill 'KILL', $pid;
        return "nginx worker $pid killed";
    }
    my $sig = $kind eq 'redis' ? 'TERM' : 'KILL';
    my $t0 = time;
    $t->stop_daemon('redis', $sig);
    delete $t->{redis_sock};
    sleep 1;
    $t->run_redis(@AOF);
    redis_up($t) or die "redis did not come back from its AOF\n";
    return sprintf 'redis %s, back after %.1f s',
        $sig eq 'TERM' ? 'shut down cleanly' : 'killed (SIGKILL)', time - $t0;
}

# Stops the worker so that it dies holding entries: a worker stopped while
# blocked in XREADGROUP is still handed new entries by Redis; a few tries,
# in case it was stopped elsewhere in its loop.
sub stop_holding {
    my ($t, $pid) = @_;
    for (1 .. 5) {
        kill 'STOP', $pid;
        return if wait_for(2, sub { held($t, $pid) });
        kill 'CONT', $pid;
        sleep 0.05;
    }
}

# The entries the worker of pid $pid holds (its consumer is <host>-<pid>).
sub held {
    my ($t, $pid) = @_;
    my $p = eval { $t->redis('XPENDING', 'invsync:orders', 'invsync') };
    return 0 unless ref $p && ref $p->[3];
    my ($c) = grep { $_->[0] =~ /-\Q$pid\E$/ } @{$p->[3]};
    return $c ? $c->[1] : 0;
}

# Redis answers PING (not -LOADING) within 60 s.
sub redis_up {
    my ($t) = @_;
    return wait_for(60, sub {
        my $r = eval { $t->redis('PING') } // '';
        delete $t->{redis_sock} if $r ne 'PONG';
        $r eq 'PONG' });
}

# The worker processes of the run's nginx master.
sub nginx_workers {
    my ($t) = @_;
    my $master = $t->nginx_pid;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // '';
        close $fh;
        push @w, $1 if $line =~ /^(\d+) \(nginx\) [^Z] (\d+) /
                       && $2 == $master;
    }
    return @w;
}

1;
