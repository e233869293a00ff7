package InvsyncBench;

# What the end-to-end benchmarks (t/bench/stock, t/bench/order_tracking)
# share: paced senders of signed webhooks on keep-alive connections to
# nginx, CPU time of the processes from /proc, the load average, and
# percentiles.  Used with an InvsyncTest object whose nginx runs.

use strict;
use warnings;

use Exporter qw(import);
use IO::Socket::INET;
use POSIX qw();
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(send_paced cpu_ms nginx_workers machine_busy_ms
                    loadavg pct);

# ---- CPU from /proc ------------------------------------------------------------

my $TICK = 1000 / (POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100);

# user + system CPU of one process, in ms
sub cpu_ms {
    my ($pid) = @_;
    return 0 unless $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my @f = split ' ', (split /\) /, <$fh>)[1];
    return ($f[11] + $f[12]) * $TICK;
}

# the pids of nginx's worker processes (children of the master)
sub nginx_workers {
    my ($t) = @_;
    my $master = $t->nginx_pid;
    my @w;
    for my $d (glob '/proc/[0-9]*') {
        open my $fh, '<', "$d/stat" or next;
        my @f = split ' ', (split /\) /, <$fh> // '')[1] // '';
        push @w, $d =~ s{/proc/}{}r if @f && $f[1] == $master;
    }
    return @w;
}

# (busy ms, all ms) of the whole machine, summed over its cores
sub machine_busy_ms {
    open my $fh, '<', '/proc/stat' or return (0, 0);
    my @f = split ' ', <$fh>;
    shift @f;
    my $idle = $f[3] + $f[4];
    my $all = 0;
    $all += $_ for @f[0 .. 7];
    return (($all - $idle) * $TICK, $all * $TICK);
}

# the 1-minute load average, as /proc/loadavg says it
sub loadavg {
    open my $fh, '<', '/proc/loadavg' or return undef;
    return (split ' ', <$fh>)[0];
}

# the p-th percentile of a sorted list (nearest rank)
sub pct {
    my ($sorted, $p) = @_;
    return undef unless @$sorted;
    my $i = int($p / 100 * @$sorted + 0.999999) - 1;
    $i = 0 if $i < 0;
    return $sorted->[$i];
}

# ---- the senders ---------------------------------------------------------------

sub _connect {
    my ($t) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('http'),
                                  Timeout => 5) or die "connect: $!\n";
    binmode $s;
    $s->autoflush(1);
    return $s;
}

# one answer on a keep-alive connection: (status, keep)
sub _read_answer {
    my ($s) = @_;
    my $buf = '';
    while (1) {
        my $i = index($buf, "\r\n\r\n");
        if ($i >= 0) {
            my $head = substr($buf, 0, $i);
            my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
            $len //= 0;
            if (length($buf) >= $i + 4 + $len) {
                my ($st) = $head =~ m{^HTTP/1\.\d (\d{3})};
                return ($st // 0, $head !~ /^connection:\s*close/mi);
            }
        }
        my $n = sysread($s, $buf, 65536, length $buf);
        return (0, 0) unless $n;
    }
}

# send_paced($t, rate => R, n => N, senders => S, request => sub { $i })
# posts N requests at a steady R/s from S forked children, request i due
# at start + i/R and sent by child i % S on its keep-alive connection;
# $o{request}->($i) builds request i's bytes (in the child, so the
# signing is spread too).  Returns ([[send time, status], ...] by i, the
# senders' CPU ms, the start time).
sub send_paced {
    my ($t, %o) = @_;
    my ($rate, $n, $senders) = @o{qw(rate n senders)};
    my $start = time + 0.3;
    my (@pids, @files);
    for my $c (0 .. $senders - 1) {
        my $file = $t->dir . "/tmp/send.$c";
        push @files, $file;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            # never return into the parent's code: its objects would stop
            # nginx and the daemons on the way out
            eval { _sender($t, $c, \%o, $start, $file) };
            print STDERR "sender $c: $@" if $@;
            POSIX::_exit($@ ? 1 : 0);
        }
        push @pids, $pid;
    }
    waitpid($_, 0) for @pids;
    my (@o, $cpu);
    for my $f (@files) {
        open my $fh, '<', $f or die "$f: $!\n";
        while (<$fh>) {
            if (/^cpu (\S+)/) { $cpu += $1; next }
            my ($i, $sent, $st) = split ' ';
            $o[$i] = [$sent, $st];
        }
        close $fh;
        unlink $f;
    }
    return (\@o, $cpu, $start);
}

sub _sender {
    my ($t, $c, $o, $start, $file) = @_;
    my ($rate, $n, $senders) = @$o{qw(rate n senders)};
    my $s = _connect($t);
    my @out;
    for (my $i = $c; $i < $n; $i += $senders) {
        my $req = $o->{request}->($i);
        my $wait = $start + $i / $rate - time;
        sleep $wait if $wait > 0;
        my $sent = time;
        my ($st, $keep) = (0, 0);
        if (syswrite($s, $req)) {
            ($st, $keep) = _read_answer($s);
        }
        push @out, "$i $sent $st";
        $s = _connect($t) unless $keep;
    }
    my ($u, $sy) = times;
    open my $fh, '>', $file or die "$file: $!\n";
    print $fh "cpu ", ($u + $sy) * 1000, "\n", map { "$_\n" } @out;
    close $fh;
}

1;
