#!/usr/bin/perl

# Redis unreachable, stalling, refusing or talking nonsense: nginx starts
# and serves other locations without Redis; a webhook then gets 503 with
# Retry-After and an [error] line; the module reconnects by itself when
# Redis comes (back), reloads its script after SCRIPT FLUSH; a fake Redis
# that never answers EVALSHA gives "redis timed out" after
# invsync_redis_timeout, one that answers an error "redis refused the
# write", one that answers garbage 503; clients that leave while their
# command is in flight leave nginx working.  Redis keeps its data across
# its restarts here (an append-only file): one that comes back empty is
# t/redis_epoch.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Digest::SHA qw(sha1_hex);
use Time::HiRes qw(time sleep);
use InvsyncTest qw(hmac_b64);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $secret = 'hush';
$t->write_file('hook.secret', "$secret\n");

$t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;
    invsync_redis_timeout 300ms;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location = /status {
            invsync_status;
        }

        location = /other {
            return 204;
        }
    }
EOF

# Redis is not running yet
$t->plan(41);
my ($rc, $out) = $t->nginx_test;
# under ASan the exit code also counts the leaks nginx itself leaves at exit
ok(($rc == 0 || $ENV{INVSYNC_ASAN}) && $out =~ /test is successful/,
   'nginx -t passes while redis is down') or diag($out);
forget_nginx_t_leaks();
$t->run;
pass('nginx starts while redis is down');

my $n = 0;

# nginx -t exits without freeing its configuration cycle, so under ASan
# every block of it (some allocated from our create_loc_conf) is reported
# as a leak of that short-lived process: keep its memory errors, drop its
# leak reports.
sub forget_nginx_t_leaks {
    opendir my $dh, $t->dir . '/logs' or return;
    for my $f (grep { /^asan/ } readdir $dh) {
        my $p = $t->dir . "/logs/$f";
        unlink $p unless $t->read_file($p) =~ /ERROR: AddressSanitizer|runtime error/;
    }
}

sub answer {
    my ($r) = @_;
    return join ' ', $r->{status}, $r->{headers}{'content-type'} // '-',
                     $r->{content};
}

sub webhook {
    my $body = sprintf '{"id":%d}', ++$n;
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                    'X-Shopify-Topic' => 'orders/create',
                    'X-Shopify-Webhook-Id' => "wh-$n");
}

sub raw_webhook {
    my $body = sprintf '{"id":%d}', ++$n;
    return $t->http_request('POST', '/hooks/shopify', $body,
                            'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                            'X-Shopify-Topic' => 'orders/create',
                            'X-Shopify-Webhook-Id' => "wh-$n");
}

my $ACCEPTED = qr/^200 application\/json \{"status":"accepted","stream":"invsync:orders","id":"\d+-\d+"\}$/;

sub err503 { qq(503 application/json {"status":"error","error":"$_[0]"}) }

# polls with webhooks until one is accepted
sub until_accepted {
    my $end = time + 10;
    while (time < $end) {
        my $r = webhook();
        return $r if answer($r) =~ $ACCEPTED;
        sleep 0.1;
    }
    return undef;
}

###############################################################################
# down from the start

my $mark = length $t->error_log;
my $r = webhook();
is(answer($r), err503('redis unavailable'), 'redis down: 503 unavailable');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, 'with Retry-After');
like(substr($t->error_log, $mark),
     qr/\[error\] .*invsync: redis unavailable, channel "shop-eu", answering 503/,
     'logged at error');
is($t->get('/other')->{status}, 204, 'other location answers');
is($t->get('/status')->{status}, 200, 'status location answers');

# the same append-only file across restarts: Redis comes back with its data
my @AOF = ('--appendonly', 'yes', '--appendfsync', 'always');

$t->run_redis(@AOF);
$r = until_accepted();
ok($r, 'redis started: accepted again without reload');
is(scalar @{$t->stream('invsync:orders')}, 1, 'stored');

like(answer(webhook()), $ACCEPTED, 'next accepted too');

###############################################################################
# stopped mid-run, then back

$t->stop_redis;
delete $t->{redis_sock};
$mark = length $t->error_log;
$r = webhook();
like(answer($r), qr/^\Q${\ err503('redis unavailable')}\E$|^\Q${\ err503('redis connection lost')}\E$/,
     'redis stopped: 503');
ok($r->{headers}{'retry-after'}, 'with Retry-After');
like(substr($t->error_log, $mark), qr/\[error\] .*answering 503/,
     'logged at error');
is($t->get('/other')->{status}, 204, 'other location answers');

$t->run_redis(@AOF);
ok(until_accepted(), 'redis back: accepted without reload');

# a flushed script cache: EVALSHA fails with NOSCRIPT, EVAL follows
is($t->redis('SCRIPT', 'FLUSH'), 'OK', 'SCRIPT FLUSH');
$mark = length $t->error_log;
like(answer(webhook()), $ACCEPTED, 'after SCRIPT FLUSH still accepted');
is(scalar @{$t->stream('invsync:orders')}, 4,
   'both stored, beside the two redis kept');
unlike(substr($t->error_log, $mark), qr/\[error\]/, 'and no error logged');
like($t->get('/status')->{content}, qr/"noscript":1\b/,
     'status counts the NOSCRIPT fallback');

$t->stop_redis;
delete $t->{redis_sock};

###############################################################################
# fake Redis: loads the script, then answers EVALSHA as told

sub fake_redis {
    my ($mode, $port) = @_;
    my $srv = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port",
                                    Listen => 16, ReuseAddr => 1)
        or die "fake redis: $!";
    my $sel = IO::Select->new($srv);
    my %buf;

    while (1) {
        for my $c ($sel->can_read(1)) {
            if ($c == $srv) {
                my $new = $srv->accept or next;
                binmode $new;
                $sel->add($new);
                $buf{$new} = '';
                next;
            }
            my $got = sysread($c, my $chunk, 65536);
            if (!$got) {
                $sel->remove($c);
                delete $buf{$c};
                close $c;
                next;
            }
            $buf{$c} .= $chunk;
            while (my $cmd = resp_command(\$buf{$c})) {
                my $name = uc $cmd->[0];
                my $reply;
                if ($name eq 'SCRIPT' && uc($cmd->[1] // '') eq 'LOAD') {
                    $reply = "\$40\r\n" . sha1_hex($cmd->[2]) . "\r\n";
                } elsif ($name eq 'AUTH' || $name eq 'PING') {
                    $reply = "+OK\r\n";
                } elsif ($name eq 'EVAL' && ($cmd->[1] // '') =~ /local mode, want/) {
                    # the epoch call: the one asked for (created or checked)
                    $reply = '$' . length($cmd->[-1]) . "\r\n$cmd->[-1]\r\n";
                } elsif ($name eq 'EVALSHA' || $name eq 'EVAL') {
                    $reply = $mode eq 'error' ? "-ERR something\r\n"
                           : $mode eq 'garbage' ? ":5\r\n"
                           : undef;                 # stall
                } else {
                    $reply = "-ERR unknown command\r\n";
                }
                syswrite($c, $reply) if defined $reply;
            }
        }
    }
}

# one complete RESP array of bulk strings off the front of $$b, or undef
sub resp_command {
    my ($b) = @_;
    return undef unless $$b =~ /^\*(\d+)\r\n/;
    my ($argc, $pos) = ($1, length($&));
    my @args;
    for (1 .. $argc) {
        return undef unless substr($$b, $pos) =~ /^\$(\d+)\r\n/;
        my $len = $1;
        $pos += length($&);
        return undef if length($$b) < $pos + $len + 2;
        push @args, substr($$b, $pos, $len);
        $pos += $len + 2;
    }
    substr($$b, 0, $pos) = '';
    return \@args;
}

sub start_fake {
    my ($mode) = @_;
    $t->stop_daemon('fake');
    my $from = length $t->error_log;
    $t->run_daemon('fake', \&fake_redis, $mode, $t->port('redis'));
    $t->waitforsocket('127.0.0.1:' . $t->port('redis'));
    $t->wait_ready(1, $from) or diag("no ready after fake $mode");
}

# stall
start_fake('stall');
$mark = length $t->error_log;
my $t0 = time;
$r = webhook();
my $el = time - $t0;
is(answer($r), err503('redis timed out'), 'stalled redis: 503 timed out');
ok($el >= 0.25 && $el < 3, 'after about invsync_redis_timeout')
    or diag("elapsed $el");
ok($r->{headers}{'retry-after'}, 'with Retry-After');
like(substr($t->error_log, $mark),
     qr/\[error\] .*invsync: redis timed out, channel "shop-eu", answering 503/,
     'logged at error');

# clients that leave while their command waits on the stalled redis
$t->wait_ready(1, $mark);
$mark = length $t->error_log;
# ten leave once their command is in flight, ten right after sending (when
# the close comes with the request, nginx may notice it only on writing)
for (1 .. 10) {
    my $s = $t->raw(raw_webhook(), keep => 1);
    sleep 0.03;
    close $s;
}
ok($t->wait_log(qr/client closed the connection while waiting for redis/,
                from => $mark, count => 10, timeout => 3),
   'clients leaving were noticed');
for (1 .. 10) {
    my $s = $t->raw(raw_webhook(), keep => 1);
    close $s;
}
sleep 0.5;
is($t->get('/other')->{status}, 204, 'nginx answers after 20 clients left');
$t->wait_ready(1, $mark);
$r = webhook();
like(answer($r), qr/^503 application\/json \{"status":"error","error":"redis (timed out|unavailable)"\}$/,
     'a later webhook: 503');
is($t->get('/other')->{status}, 204, 'other location still answers');
unlike($t->error_log, qr/\[(alert|crit)\]/, 'no alert so far');

# -ERR
start_fake('error');
$mark = length $t->error_log;
$r = webhook();
is(answer($r), err503('redis refused the write'),
   'redis answering an error: 503 refused the write');
is($r->{headers}{'retry-after'}, 1, 'with Retry-After: 1');
like(substr($t->error_log, $mark),
     qr/\[error\] .*invsync: redis refused the write for channel "shop-eu": ERR something/,
     'logged at error with the reply');

# garbage
start_fake('garbage');
$mark = length $t->error_log;
$r = webhook();
is(answer($r), err503('unexpected redis reply'),
   'redis answering garbage: 503');
ok($r->{headers}{'retry-after'}, 'with Retry-After');
like(substr($t->error_log, $mark),
     qr/\[error\] .*invsync: unexpected redis reply, channel "shop-eu", answering 503/,
     'logged at error');

$t->stop_daemon('fake');

###############################################################################
# the counters saw it all

my $st = $t->get('/status');
is($st->{headers}{'content-type'}, 'application/json', 'status is JSON');
my ($acc) = $st->{content} =~ /"shop-eu":\{"accepted":(\d+)/;
is($acc, 4, 'four accepted');
my ($reasons) = $st->{content} =~ /"reasons":\{([^}]*)\}/;
like($reasons, qr/"redis_timeout":[1-9]/, 'timeouts counted');
like($reasons, qr/"redis_error":2\b/, 'refusals and garbage counted');
like($reasons, qr/"redis_down":[1-9]/, 'redis down counted');

is($t->get('/other')->{status}, 204, 'other location answers at the end');

$t->done;
