#!/usr/bin/perl

# Redis authentication and transports: a password from
# invsync_redis_auth_file is accepted; a wrong one gives 503 and an [error]
# "AUTH refused" line that does not hold the password; an ACL user
# ("user password") is accepted; no secret ever reaches error.log, debug
# level included; invsync_redis unix:<path> talks to Redis over a unix
# socket.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(sleep time);
use InvsyncTest qw(hmac_b64);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $secret = 'hush';
$t->write_file('hook.secret', "$secret\n");

$t->plan(20);

my $n = 0;

sub setup {
    my ($redis, $auth) = @_;
    my $conf = <<'EOF';
    invsync_redis %%ADDR%%;
    %%AUTH%%

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }
    }
EOF
    $conf =~ s/%%ADDR%%/$redis/;
    $conf =~ s/%%AUTH%%/$auth ? "invsync_redis_auth_file $auth;" : ''/e;
    $t->nginx_conf($conf);
}

# (re)starts nginx; returns the error log offset before the start
sub start {
    $t->stop_nginx;
    my $from = length $t->error_log;
    $t->run;
    return $from;
}

sub webhook {
    my $body = sprintf '{"id":%d}', ++$n;
    my $r = $t->post('/hooks/shopify', $body,
                     'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                     'X-Shopify-Topic' => 'orders/create',
                     'X-Shopify-Webhook-Id' => "wh-$n");
    return join ' ', $r->{status}, $r->{headers}{'content-type'} // '-',
                     $r->{content};
}

my $ACCEPTED = qr/^200 application\/json \{"status":"accepted","stream":"invsync:orders","id":"\d+-\d+"\}$/;

sub restart_redis {
    $t->stop_redis;
    delete $t->{redis_sock};
    $t->run_redis(@_);
}

###############################################################################
# requirepass

$t->run_redis('--requirepass', 's3cret');
$t->write_file('redis.auth', "s3cret\n");
setup('%%REDIS%%', '%%TESTDIR%%/redis.auth');
my $from = start();
ok($t->wait_ready(1, $from), 'password: connection ready');
like(webhook(), $ACCEPTED, 'password: accepted');
is($t->redis('AUTH', 's3cret'), 'OK', 'test client authenticated');
is(scalar @{$t->stream('invsync:orders')}, 1, 'password: stored');

# wrong password
$t->write_file('wrong.auth', "wr0ngpass\n");
setup('%%REDIS%%', '%%TESTDIR%%/wrong.auth');
$from = start();
ok($t->wait_log(qr/AUTH refused/, from => $from, timeout => 5),
   'wrong password: refused');
is(webhook(), '503 application/json {"status":"error","error":"redis unavailable"}',
   'wrong password: 503 redis unavailable');
my $log = substr($t->error_log, $from);
my ($line) = $log =~ /^(.*AUTH refused.*)$/m;
like($line // '', qr/\[error\] .*invsync: redis 127\.0\.0\.1:\d+: AUTH refused: WRONGPASS/,
     'AUTH refused logged at error with the server\'s reason');
unlike($log, qr/wr0ngpass/, 'the wrong password is not logged');

###############################################################################
# ACL user

restart_redis('--user', 'ingest', 'on', '>pw123', '~*', '+@all');
$t->write_file('acl.auth', "ingest pw123\n");
setup('%%REDIS%%', '%%TESTDIR%%/acl.auth');
$from = start();
ok($t->wait_ready(1, $from), 'ACL user: connection ready');
like(webhook(), $ACCEPTED, 'ACL user: accepted');
my $clients = $t->redis('CLIENT', 'LIST');
like($clients, qr/\buser=ingest\b/, 'nginx is connected as user ingest');

# a wrong ACL password
$t->write_file('acl-wrong.auth', "ingest pw999\n");
setup('%%REDIS%%', '%%TESTDIR%%/acl-wrong.auth');
$from = start();
ok($t->wait_log(qr/AUTH refused/, from => $from, timeout => 5),
   'wrong ACL password: refused');
like(webhook(), qr/^503 /, 'wrong ACL password: 503');

# the default user of this Redis needs no password: SCRIPT LOAD, pipelined
# behind the refused AUTH, succeeds on a connection already being dropped
sleep 1.5;
$log = substr($t->error_log, $from);
my $tries = () = $log =~ /AUTH refused/g;
{
    ok($log !~ /redis \S+: ready/, 'a refused AUTH never logs ready');
    cmp_ok($tries, '<=', 8, 'reconnections back off (AUTH tries in 1.5 s)');
}

###############################################################################
# unix socket

$t->stop_redis;
delete $t->{redis_sock};
my $sock = $t->dir . '/redis/redis.sock';
make_path($t->dir . '/redis');
$t->run_daemon('redis', 'redis-server', '--port', '0', '--unixsocket', $sock,
               '--save', '', '--appendonly', 'no', '--daemonize', 'no',
               '--dir', $t->dir . '/redis');
my $end = time + 5;
sleep 0.05 until -S $sock || time > $end;
ok(-S $sock, 'redis listens on a unix socket only');

setup("unix:$sock", undef);
$from = start();
ok($t->wait_ready(1, $from), 'unix socket: connection ready');
like(webhook(), $ACCEPTED, 'unix socket: accepted');
$t->redis_unix($sock);
is(scalar @{$t->stream('invsync:orders')}, 1, 'unix socket: stored');

$t->stop_nginx;
$log = $t->error_log;
my @leaks = grep { $log =~ /\Q$_\E/ } qw(s3cret wr0ngpass pw123 pw999 hush);
is("@leaks", '', 'no secret in error.log at debug level');

$t->done;
