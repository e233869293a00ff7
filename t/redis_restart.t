#!/usr/bin/perl

# Redis stopped and started again on the same port, under several nginx
# worker processes (issue 13, defect 5).  Each worker process has its own
# connection and its own backoff (up to 2 s); a webhook that finds its
# worker's connection down makes it reconnect at once, rate-limited, and
# waits for it up to invsync_redis_timeout.  So once Redis answers PING,
# every webhook is accepted, whichever worker process it reaches (new
# connections with reuseport spread them); while Redis stays down a
# webhook gets 503 "redis unavailable" after invsync_redis_timeout, and
# the webhooks waiting make no more than one attempt per 200 ms per worker
# process.  Redis keeps its data across the restarts (an append-only
# file); one that comes back empty is t/redis_epoch.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use InvsyncTest qw(hmac_b64);

my $WORKERS = 3;
my $secret = 'hush';

my $t = InvsyncTest->setup(secrets => { 'hook.secret' => $secret });
my @AOF = ('--appendonly', 'yes', '--appendfsync', 'always');
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
            add_header X-Worker $pid always;
        }
    }
EOF

$t->plan(14);

$t->run;
ok($t->wait_ready($WORKERS, 0), "$WORKERS worker processes connected");

my $n = 0;

sub request {
    my $body = sprintf '{"id":%d}', ++$n;
    return ['POST', '/hooks/shopify', $body,
            { 'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
              'X-Shopify-Topic' => 'orders/create',
              'X-Shopify-Webhook-Id' => "wh-$n" }];
}

# $groups clients at once, each sending $each webhooks on new connections
sub burst {
    my ($groups, $each) = @_;
    return $t->parallel(map { [map { request() } 1 .. $each] } 1 .. $groups);
}

sub summary {
    my %by;
    $by{$_->{status} // 'none'}++ for @_;
    return join ', ', map { "$_: $by{$_}" } sort keys %by;
}

# stops Redis and waits until every worker process has backed off to the
# longest wait (100 ms doubling to 2 s, randomised: past 3.5 s)
sub redis_gone {
    my $mark = length $t->error_log;
    $t->stop_redis;
    delete $t->{redis_sock};
    $t->wait_log(qr/invsync: redis \S+: connection lost/, from => $mark,
                 count => $WORKERS, timeout => 10);
    sleep 4;
}

sub redis_back {
    $t->run_redis(@AOF);
    my $end = time + 10;
    while (time < $end) {
        my $pong = eval { $t->redis('PING') } // '';
        return 1 if $pong eq 'PONG';
        delete $t->{redis_sock};
        sleep 0.02;
    }
    return 0;
}

###############################################################################
# Redis down: a webhook waits for the reconnection, then 503

redis_gone();

my $mark = length $t->error_log;
my $t0 = time;
my @down = burst(6, 2);
my $el = time - $t0;
is(summary(@down), '503: 12', 'redis down: every webhook 503');
is(scalar(grep { ($_->{content} // '') =~ /"error":"redis unavailable"/ }
           @down), 12, 'answered "redis unavailable"');
ok($el >= 3.5 && $el < 15, 'after waiting invsync_redis_timeout each')
    or diag("elapsed $el s for two rounds");
my $attempts = () = substr($t->error_log, $mark)
                    =~ /invsync: redis \S+: connect failed/g;
# per worker process: one attempt per 200 ms while webhooks wait (4 s or
# so), its own backoff's, and some slack for a loaded machine
cmp_ok($attempts, '<=', $WORKERS * (int($el / 0.2) + 4),
       "reconnections rate-limited ($attempts attempts in "
       . sprintf('%.1f', $el) . ' s)');
cmp_ok($attempts, '>', $WORKERS, 'waiting webhooks made attempts')
    or diag("$attempts attempts");

###############################################################################
# Redis back on the same port: every webhook after PING is accepted

for my $round (1 .. 2) {
    redis_gone() if $round > 1;
    ok(redis_back(), "round $round: redis answers PING again");
    my @r = burst(8, 4);
    is(summary(@r), '200: 32', "round $round: every webhook accepted");
    my %pids = map { ($_->{headers}{'x-worker'} // '?') => 1 } @r;
    cmp_ok(scalar(keys %pids), '>=', 2,
           "round $round: answered by several worker processes")
        or diag(join ' ', keys %pids);
    # the append-only file keeps those of the rounds before
    is(scalar @{$t->stream('invsync:orders')}, 32 * $round,
       "round $round: every accepted one stored");
}

$t->done;
