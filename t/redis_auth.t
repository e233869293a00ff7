#!/usr/bin/perl

# Redis authentication and transports: a password from
# invsync_redis_auth_file is accepted; a wrong one gives 503 and an [error]
# "AUTH refused" line that does not hold the password; an ACL user
# ("user password") is accepted; no secret ever reaches error.log, debug
# level included; invsync_redis unix:<path> talks to Redis over a unix
# socket.  The credentials file is read by one parser for nginx, the
# worker and invsyncctl (issue 13, defect 4): each case of the table gives
# the same verdict and the same reason at `nginx -t` and
# `invsync-worker -t`; a 512-byte password with its newline is used by all
# three against a real Redis.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(sleep time);
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for worker_bin
                     ctl);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $secret = 'hush';
$t->write_file('hook.secret', "$secret\n");

# file content => undef (accepted) or the reason both must give
my @CASES = (
    [ 'password, LF', "s3cret\n", undef ],
    [ 'password, CRLF', "s3cret\r\n", undef ],
    [ 'user password', "ingest pw123\n", undef ],
    [ '512-byte password, LF', ('p' x 512) . "\n", undef ],
    [ '128-byte user, 512-byte password', ('u' x 128) . ' ' . ('p' x 512)
      . "\r\n", undef ],
    [ '513-byte password', ('p' x 513) . "\n",
      qr/the password is longer than 512 bytes/ ],
    [ 'empty user', " password\n", qr/the user name is empty/ ],
    [ 'empty password', "ingest \n", qr/the password is empty/ ],
    [ 'empty', "\n", qr/the file is empty/ ],
    [ 'two lines', "s3cret\n\n", qr/more than one line/ ],
    [ 'a tab', "ingest\tpw\n", qr/control character/ ],
);

$t->plan(20 + 4 * @CASES + 4);

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
# the credentials file: one verdict, one reason, at nginx -t and worker -t

for my $c (@CASES) {
    my ($name, $content, $reason) = @$c;
    $t->write_file('case.auth', $content);
    setup('%%REDIS%%', '%%TESTDIR%%/case.auth');
    my ($rc, $out) = $t->nginx_test;
    my $conf = worker_conf($t, 'case.json',
                           redis => { address => '127.0.0.1:'
                                                 . $t->port('redis'),
                                      auth_file => $t->dir . '/case.auth' });
    my $wout = `@{[worker_bin($t)]} -t -c $conf 2>&1`;
    my $wrc = $? >> 8;
    if (defined $reason) {
        isnt($rc, 0, "$name: nginx -t refuses");
        like($out, qr/"invsync_redis_auth_file" "\S+case\.auth": [^\n]*$reason/,
             "$name: nginx -t names file and reason");
        is($wrc, 1, "$name: invsync-worker -t refuses");
        like($wout, qr/\$\.redis\.auth_file: "\S+case\.auth": [^\n]*$reason/,
             "$name: invsync-worker -t names file and reason");
    } else {
        # under ASan the exit code also counts nginx's own leaks at exit
        ok(($rc == 0 || $ENV{INVSYNC_ASAN}) && $out =~ /test is successful/,
           "$name: nginx -t accepts") or diag $out;
        unlike($out, qr/\[emerg\]/, "$name: nginx -t says nothing");
        is($wrc, 0, "$name: invsync-worker -t accepts") or diag $wout;
        unlike($wout, qr/auth_file/, "$name: invsync-worker -t says nothing");
    }
}

# a 512-byte password with its newline, used by nginx, the worker and
# invsyncctl against Redis
my $long = join '', map { ('a' .. 'z')[$_ % 26] } 1 .. 512;
restart_redis('--requirepass', $long);
$t->write_file('long.auth', "$long\n");
setup('%%REDIS%%', '%%TESTDIR%%/long.auth');
$from = start();
like(webhook(), $ACCEPTED, '512-byte password: nginx accepted');
my $wconf = worker_conf($t, 'long.json',
                        redis => { address => '127.0.0.1:' . $t->port('redis'),
                                   auth_file => $t->dir . '/long.auth' });
run_worker($t, 'w1', $wconf);
$t->redis('AUTH', $long);
ok(wait_for(10, sub {
       @{$t->redis('HKEYS', 'invsync:{invsync}:workers') // []} }),
   '512-byte password: the worker authenticated (heartbeat)');
is(stop_worker($t, 'w1'), 0, '512-byte password: the worker stops cleanly');
my ($crc, $cout) = ctl($t, $wconf, 'status');
is($crc, 0, '512-byte password: invsyncctl status authenticated')
    or diag $cout;

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
my @leaks = grep { $log =~ /\Q$_\E/ } qw(s3cret wr0ngpass pw123 pw999 hush),
                                        $long;
is("@leaks", '', 'no secret in error.log at debug level');

$t->done;
