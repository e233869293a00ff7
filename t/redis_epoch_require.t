#!/usr/bin/perl

# "invsync_epoch require" and the worker's redis.epoch "require": the gap
# of the default (everything restarted while Redis is empty makes a new
# epoch and goes on as if nothing happened) closed by making the epoch a
# deployment step, invsyncctl epoch init.  Until it is made, webhooks get
# 503 "redis data lost" and the worker halts, creating no group; once it
# is made, both go on by themselves.  Bad values fail nginx -t and
# invsync-worker -t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for worker_bin
                     ctl);

my $secret = 'hush';
my $t = InvsyncTest->setup(secrets => { 'hook.secret' => $secret },
                           programs => ['invsync-worker', 'invsyncctl']);

my $server = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }
    }
EOF

$t->nginx_conf("    invsync_redis %%REDIS%%;\n    invsync_epoch sometimes;\n"
               . $server);
$t->plan(13);

my ($rc, $out) = $t->nginx_test;
ok($rc != 0 && $out =~ /\[emerg\] .*invalid value "sometimes"/,
   'nginx -t: invsync_epoch takes create or require') or diag($out);

$t->nginx_conf("    invsync_redis %%REDIS%%;\n    invsync_epoch require;\n"
               . $server);
$t->run;

my $bad = worker_conf($t, 'bad.json',
                      redis => { address => '127.0.0.1:' . $t->port('redis'),
                                 epoch => 'maybe' });
$out = `${\ worker_bin($t)} -t -c $bad 2>&1`;
like($out, qr/\$\.redis\.epoch: must be "create" or "require"/,
     'invsync-worker -t: redis.epoch takes create or require');

my $conf = worker_conf($t, 'worker.json',
                       redis => { address => '127.0.0.1:' . $t->port('redis'),
                                  epoch => 'require' },
                       consumer => { name => 'w1', block_ms => 100,
                                     claim_idle_ms => 2000 },
                       limits => { heartbeat_ms => 200,
                                   trim_interval_ms => 3600000 });
run_worker($t, 'w1', $conf);

sub webhook {
    my ($id) = @_;
    my $body = qq({"id":"$id"});
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                    'X-Shopify-Topic' => 'orders/create',
                    'X-Shopify-Webhook-Id' => $id);
}

sub heartbeat {
    my $hb = eval { $t->redis('HGET', 'invsync:{invsync}:workers', 'w1') };
    return $hb ? decode_json($hb) : {};
}

###############################################################################
# no epoch yet: nothing accepted, nothing acted on

my $r;
wait_for(10, sub { $r = webhook('e-1'); ($r->{content} // '') =~ /data lost/ });
is(InvsyncTest::answer($r),
   '503 application/json {"status":"error","error":"redis data lost"}',
   'no epoch: 503 "redis data lost"');
like($t->error_log,
     qr/\[error\] .*epoch missing, and "invsync_epoch require" makes none \(a new deployment: invsyncctl epoch init\)/,
     'nginx says why, at error');
ok(wait_for(10, sub { (heartbeat()->{state} // '') eq 'halted' }),
   'the worker halted');
like(heartbeat()->{reason} // '', qr/redis\.epoch is "require"/,
     'its heartbeat says why');
is($t->redis('EXISTS', 'invsync:orders', 'invsync:{invsync}:epoch'), 0,
   'neither made a stream, a group or an epoch');
($rc, $out) = ctl($t, $conf, 'epoch');
ok($rc == 2 && $out =~ /^no epoch/, 'epoch show: none, exit 2')
    or diag("$rc $out");

###############################################################################
# epoch init: both go on by themselves

($rc, $out) = ctl($t, $conf, 'epoch', 'init');
like($out, qr/^epoch op-[0-9a-f]{32} \(created\)$/,
     'epoch init creates it, marked as an operator\'s');
my ($epoch) = $out =~ /(op-[0-9a-f]{32})/;
($rc, $out) = ctl($t, $conf, 'epoch', 'init');
like($out, qr/^epoch \Q$epoch\E \(there already\)$/,
     'a second init keeps it');
ok(wait_for(10, sub { ($r = webhook('e-2'))->{status} == 200 }),
   'webhooks accepted without a reload');
ok(wait_for(10, sub { (heartbeat()->{state} // '') eq 'running'
                      && (heartbeat()->{counters}{read} // 0) >= 1 }),
   'the worker resumed and reads');
($rc, $out) = ctl($t, $conf, '--json', 'epoch');
is(eval { decode_json($out)->{epoch} } // '', $epoch, 'epoch show --json');

stop_worker($t, 'w1');
$t->done;
