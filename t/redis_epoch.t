#!/usr/bin/perl

# Redis that comes back empty (issue 13): the deployment's epoch
# (docs/keys.md, "The epoch"; docs/operations.md).  Signed webhooks flow
# from three senders through two nginx worker processes while the worker
# runs; then FLUSHALL.  Redis writes every change to its append-only file,
# so the test reads there what was stored, independently of nginx: each
# webhook answered 200 was stored before the flush, and nothing is stored
# after it; each webhook sent after the flush gets 503 "redis data lost",
# counted on the status page; the worker stops acting (no group created
# again), says why at error and in its heartbeat, and invsyncctl status
# exits 4.  After invsyncctl epoch reset, a reload and a worker restart,
# webhooks are accepted and acted on again.  Then Redis restarted without
# persistence: the same refusal on both sides, until the epoch is back
# (a restore), when nginx and the worker resume by themselves.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for worker_bin
                     ctl);

my $WORKERS = 2;
my $SENDERS = 3;
my $secret = 'hush';
my @AOF = ('--appendonly', 'yes', '--appendfsync', 'always',
           '--appenddirname', 'aof');

my $t = InvsyncTest->setup(secrets => { 'hook.secret' => $secret },
                           programs => ['invsync-worker', 'invsyncctl']);
$t->stop_redis;
delete $t->{redis_sock};
$t->run_redis(@AOF);

$t->nginx_conf(<<'EOF', workers => $WORKERS);
    invsync_redis %%REDIS%%;
    invsync_redis_timeout 2s;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location = /status {
            invsync_status;
        }
    }
EOF

$t->plan(37);
$t->run;
ok($t->wait_ready($WORKERS, 0), "$WORKERS worker processes ready");

my $conf = worker_conf($t, 'worker.json',
                       consumer => { name => 'w1', block_ms => 100,
                                     claim_idle_ms => 2000 },
                       limits => { heartbeat_ms => 200,
                                   trim_interval_ms => 3600000 });
run_worker($t, 'w1', $conf);

my $n = 0;

sub webhook {
    my ($id) = @_;
    $id //= 'wh-' . ++$n;
    my $body = qq({"id":"$id"});
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                    'X-Shopify-Topic' => 'shop/update',
                    'X-Shopify-Webhook-Id' => $id);
}

sub heartbeat {
    my $hb = eval { $t->redis('HGET', 'invsync:{invsync}:workers', 'w1') };
    return $hb ? decode_json($hb) : {};
}

sub worker_log { $t->read_file('logs/w1.out') // '' }

sub status_json {
    my $r = $t->get('/status');
    return eval { decode_json($r->{content}) } // {};
}

# every command Redis wrote to its append-only file, in order
sub aof_commands {
    my @cmds;
    for my $f (sort glob($t->dir . '/redis/aof/*.incr.aof')) {
        open my $fh, '<:raw', $f or next;
        local $/;
        my $b = <$fh>;
        close $fh;
        while ($b =~ /\G\*(\d+)\r\n/gc) {
            my @args;
            for (1 .. $1) {
                $b =~ /\G\$(\d+)\r\n/gc or last;
                push @args, substr($b, pos($b), $1);
                pos($b) += $1 + 2;
            }
            push @cmds, \@args;
        }
    }
    return @cmds;
}

# senders: each posts webhooks one after another until told to stop and
# writes "<start> <end> <id> <status> <body>" a line
sub start_senders {
    my ($tag) = @_;
    my @pids;
    unlink $t->dir . '/stop';
    for my $s (1 .. $SENDERS) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open my $out, '>', $t->dir . "/sent.$tag.$s" or POSIX::_exit(1);
            $out->autoflush(1);
            my $i = 0;
            until (-e $t->dir . '/stop') {
                my $id = "$tag-$s-" . ++$i;
                my $t0 = time;
                my $r = webhook($id);
                my $c = $r->{content} // '';
                $c =~ s/\s+/ /g;
                printf $out "%.6f %.6f %s %s %s\n", $t0, time, $id,
                       $r->{status}, $c;
            }
            close $out;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return @pids;
}

sub sent {
    my ($tag) = @_;
    my @all;
    for my $s (1 .. $SENDERS) {
        my $text = $t->read_file("sent.$tag.$s") // '';
        for my $line (split /\n/, $text) {
            my ($t0, $t1, $id, $status, $body) = split / /, $line, 5;
            push @all, { start => $t0, end => $t1, id => $id,
                         status => $status, body => $body // '' };
        }
    }
    return @all;
}

###############################################################################
# FLUSHALL under load

my $mark = length $t->error_log;
my @senders = start_senders('a');
wait_for(30, sub { (grep { $_->{status} == 200 } sent('a')) >= 60 })
    or diag('few webhooks accepted before the flush');
ok(wait_for(10, sub { (heartbeat()->{counters}{read} // 0) > 0 }),
   'the worker reads the events');

my $flush_at = time;
$t->redis('FLUSHALL');
my $flushed = time;

# until each sender has had answers to webhooks sent after the flush
wait_for(30, sub { (grep { $_->{start} > $flushed } sent('a')) >= 30 });
$t->write_file('stop', '');
waitpid($_, 0) for @senders;

my @a = sent('a');
my @before = grep { $_->{end} < $flush_at } @a;
my @after = grep { $_->{start} > $flushed } @a;
my @ok = grep { $_->{status} == 200 } @a;

my (%stored_before, %stored_after, $seen_flush);
for my $c (aof_commands()) {
    if (uc $c->[0] eq 'FLUSHALL') {
        $seen_flush = 1;
        next;
    }
    next unless uc $c->[0] eq 'XADD' && $c->[1] eq 'invsync:orders'
                || uc $c->[0] eq 'XADD' && $c->[1] eq 'invsync:other';
    my %f = @$c[3 .. $#$c];
    ($seen_flush ? \%stored_after : \%stored_before)->{$f{event} // ''} = 1;
}

ok($seen_flush, 'the FLUSHALL is in the append-only file');
cmp_ok(scalar(grep { $_->{status} == 200 } @before), '>=', 60,
       scalar(@before) . ' webhooks answered before the flush');
is(scalar(grep { !$stored_before{$_->{id}} } @ok), 0,
   'every webhook answered 200 (' . scalar(@ok) . ') was stored before '
   . 'the flush');
is(scalar(keys %stored_after), 0, 'nothing stored after the flush');
cmp_ok(scalar @after, '>=', 30,
       scalar(@after) . ' webhooks sent after the flush');
is(scalar(grep { $_->{status} != 503
                 || $_->{body} ne '{"status":"error","error":"redis data lost"}' }
          @after), 0,
   'each of them 503 "redis data lost"')
    or diag(join "\n", map { "$_->{status} $_->{body}" } @after[0 .. 4]);

my $log = substr($t->error_log, $mark);
my @lost = $log =~ /\[error\] .*(invsync: redis \S+: epoch [^:]+: redis lost its data[^,]*)/g;
is(scalar @lost, 1, 'nginx said it once at error') or diag(join "\n", @lost);
like($lost[0] // '', qr/epoch (marker of a stream missing or changed|missing)/,
     'naming what it found');

my $st = status_json();
is($st->{redis}{epoch}, 'lost', 'status page: the epoch lost');
is($st->{channels}{'shop-eu'}{reasons}{redis_epoch},
   scalar(grep { $_->{body} =~ /redis data lost/ } @a),
   'status page: each 503 "redis data lost" counted as redis_epoch');
like($t->get('/status?format=prometheus')->{content},
     qr/^invsync_redis_epoch_lost_total 1$/m, 'prometheus: one loss found');

ok(wait_for(10, sub { (heartbeat()->{state} // '') eq 'halted' }),
   'the worker heartbeats "halted"');
like(heartbeat()->{reason} // '', qr/^redis lost its data: epoch missing$/,
     'with its reason');
my @wl = grep { /"redis lost its data: halted"/ } split /\n/, worker_log();
ok(@wl == 1 && $wl[0] =~ /"level":"error"/ && $wl[0] =~ /invsyncctl epoch reset/,
   'the worker said it once at error, with the recovery')
    or diag(@wl);
sleep 1;
is($t->redis('EXISTS', 'invsync:orders'), 0,
   'the worker recreated no stream or group');
my ($rc, $out) = ctl($t, $conf, 'status');
ok($rc == 4 && $out =~ /worker w1 halted: redis lost its data: epoch missing/
   && $out =~ /^epoch\s+none/m,
   'invsyncctl status shows it halted and the epoch missing, exit 4')
    or diag("$rc $out");

# a routine reload accepts no missing epoch
$t->reload;
my $r;
wait_for(10, sub { $r = webhook(); ($r->{content} // '') =~ /data lost/ });
is(InvsyncTest::answer($r),
   '503 application/json {"status":"error","error":"redis data lost"}',
   'after a reload: still 503 "redis data lost"');

# a worker started now knows no epoch and makes one (the gap of "create");
# a reload adopts none but an operator's
stop_worker($t, 'w1');
run_worker($t, 'w1', $conf);
my $made = wait_for(10, sub { $t->redis('GET', 'invsync:{invsync}:epoch') });
like($made // '', qr/^[0-9a-f]{32}$/, 'a restarted worker made an epoch');
$t->reload;
wait_for(10, sub { $r = webhook(); ($r->{content} // '') =~ /data lost/ });
is(InvsyncTest::answer($r),
   '503 application/json {"status":"error","error":"redis data lost"}',
   'a reload does not adopt it: still 503 "redis data lost"');

###############################################################################
# accepted: epoch reset, reload, worker restart

($rc, $out) = ctl($t, $conf, 'epoch', 'reset');
is($rc, 1, 'epoch reset without --yes: refused');
($rc, $out) = ctl($t, $conf, 'epoch', 'reset', '--yes', '--why', 'test');
like($out, qr/^epoch op-[0-9a-f]{32} \(new\)$/m, 'epoch reset') or diag($out);
my ($epoch) = $out =~ /^epoch (op-[0-9a-f]{32})/m;
is($t->redis('GET', 'invsync:{invsync:orders}:epoch'), $epoch,
   'with the markers of the streams');

$mark = length $t->error_log;
$t->reload;
ok($t->wait_ready($WORKERS, $mark), 'reloaded: ready');
stop_worker($t, 'w1');
run_worker($t, 'w1', $conf);

$t->accepted(webhook(), undef, 'a webhook accepted again');
ok(wait_for(10, sub { (heartbeat()->{state} // '') eq 'running'
                      && (heartbeat()->{counters}{read} // 0) >= 1 }),
   'the restarted worker runs and reads it');
($rc, $out) = ctl($t, $conf, 'status');
ok($rc == 0 && $out =~ /^epoch\s+\Q$epoch\E$/m,
   'invsyncctl status: 0, the new epoch') or diag("$rc $out");
is(status_json()->{redis}{epoch}, 'ok', 'status page: the epoch ok');

###############################################################################
# Redis restarted without persistence, then restored

my $saved = { map { ($_ => $t->redis('GET', $_)) }
              @{$t->redis('KEYS', '*:epoch')} };
$mark = length $t->error_log;
$t->stop_redis;
delete $t->{redis_sock};
$t->run_redis;                          # no persistence: empty
wait_for(10, sub { (eval { $t->redis('PING') } // '') eq 'PONG' });

wait_for(15, sub { $r = webhook(); ($r->{content} // '') =~ /data lost/ });
is(InvsyncTest::answer($r),
   '503 application/json {"status":"error","error":"redis data lost"}',
   'restarted empty: 503 "redis data lost"');
ok(wait_for(15, sub { (heartbeat()->{state} // '') eq 'halted' }),
   'the worker halted');
is($t->redis('EXISTS', 'invsync:orders', 'invsync:other'), 0,
   'no group or stream recreated');

# a restore from backup brings the epoch back: both resume by themselves
$t->redis('SET', $_, $saved->{$_}) for keys %$saved;
ok(wait_for(15, sub { $r = webhook(); ($r->{status} // 0) == 200 }),
   'restored: webhooks accepted without a reload');
ok(wait_for(15, sub { (heartbeat()->{state} // '') eq 'running' }),
   'restored: the worker runs again');
like(substr($t->error_log, $mark),
     qr/\[notice\] .*invsync: redis \S+: epoch found again/,
     'nginx said it found the epoch again');

###############################################################################
# a reload to another prefix is another deployment: its epoch made anew

stop_worker($t, 'w1');
my $conf_text = $t->read_file('conf/nginx.conf');
$conf_text =~ s/invsync_redis_timeout 2s;/invsync_redis_timeout 2s;\n    invsync_prefix shop2;/;
$t->write_file('conf/nginx.conf', $conf_text);
$mark = length $t->error_log;
$t->reload;
ok(wait_for(15, sub { $r = webhook(); ($r->{status} // 0) == 200 }),
   'another prefix after a reload: accepted');
ok($t->redis('GET', 'shop2:{shop2}:epoch'), 'with its own epoch');

$t->done;
