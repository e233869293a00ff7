#!/usr/bin/perl

# invsyncctl, black box: Redis seeded with what the worker writes (streams
# and the consumer group, audit entries and their indexes, dead letters,
# exceptions, heartbeats, the retry schedule), then every command and
# option, as text and as --json: exit codes, output, and what Redis holds
# afterwards (replayed copies, dead letters back in their stream,
# exception states, the operator's audit entries).  Also the program's
# and each command's --help, usage errors, a bad -c file and Redis down.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time);
use InvsyncTest;

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $bin = $t->root . ($ENV{INVSYNC_ASAN} ? '/build/asan/invsyncctl'
                                         : '/build/invsyncctl');
plan(skip_all => 'invsyncctl not built') unless -x $bin;

$t->run_redis;
$t->plan(129);

my $P = 'invsync';
my $K = "$P:{$P}:";
my $conf = $t->write_file('worker.json', encode_json({
    redis => { address => '127.0.0.1:' . $t->port('redis') },
    prefix => $P,
    channels => [ { id => 'shop-eu', type => 'shopify' } ],
}));
my $json = JSON::PP->new->canonical;

# Runs invsyncctl -c worker.json @args; returns (exit code, stdout, stderr).
# A leading hash sets conf => another file (undef: no -c) and env.
sub ctl {
    my (@args) = @_;
    my %o = ref $args[0] eq 'HASH' ? %{shift @args} : ();
    my $c = exists $o{conf} ? $o{conf} : $conf;
    my @cmd = ($bin, defined $c ? ('-c', $c) : (), @args);
    my $dir = $t->dir;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        %ENV = (%ENV, USER => 'tester', %{$o{env} || {}});
        $ENV{ASAN_OPTIONS} = "detect_leaks=1:log_path=$dir/logs/asan-ctl"
            if $ENV{INVSYNC_ASAN};
        open STDOUT, '>', "$dir/ctl.out" or POSIX::_exit(126);
        open STDERR, '>', "$dir/ctl.err" or POSIX::_exit(126);
        exec @cmd or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return ($? >> 8, $t->read_file('ctl.out'), $t->read_file('ctl.err'));
}

# The same with --json: (exit code, decoded stdout or undef, stderr).
sub jctl {
    my ($rc, $out, $err) = ctl('--json', @_);
    my $doc = eval { $json->decode($out) };
    diag("not JSON: $out$err") unless $doc || $rc;
    return ($rc, $doc, $err);
}

sub entry {
    my ($key, $id) = @_;
    my $r = $t->redis('XRANGE', $key, $id, $id);
    return @$r ? { @{$r->[0][1]} } : undef;
}

sub audits {
    my ($action) = @_;
    return [grep { $_->{action} eq $action }
            map { { _id => $_->[0], %{$_->[1]} } } @{$t->stream("${K}audit")}];
}

###############################################################################
# the seed: exactly the shapes the worker writes

my $now = int(time * 1000);
my $h2 = $now - 2 * 3600 * 1000;            # two hours ago
my $h1 = $now - 3600 * 1000;                # one hour ago

sub envelope {
    my ($topic, $event, $body) = @_;
    return (v => 1, channel => 'shop-eu', scheme => 'shopify',
            account => 'shop-eu.myshopify.com', topic => $topic,
            event => $event, received => $h2, body => $body);
}

my @orders = ("$h2-0", "$h2-1", "$h1-0");
$t->redis('XADD', "$P:orders", $orders[0],
          envelope('orders/create', 'evt-1', '{"id":1001}'));
$t->redis('XADD', "$P:orders", $orders[1],
          envelope('orders/updated', 'evt-2', '{"id":1001,"v":2}'));
$t->redis('XADD', "$P:orders", $orders[2],
          envelope('orders/create', 'evt-3', '{"id":1002}'));
$t->redis('XGROUP', 'CREATE', "$P:orders", 'invsync', '0');
$t->redis('XREADGROUP', 'GROUP', 'invsync', 'w-fresh', 'COUNT', 1,
          'STREAMS', "$P:orders", '>');
$t->redis('XADD', "$P:refunds", "$h2-5",
          envelope('refunds/create', 'evt-r1', '{"order_id":4040}'));
$t->redis('XGROUP', 'CREATE', "$P:refunds", 'invsync', '$');

# audit: two entries of order 1001 (the second also under SKU-2), one of
# order 1002, an exception, and an index member trimmed from the stream
my @audit = ("$h2-0", "$h2-1", "$h1-0", "$h1-1");
$t->redis('XADD', "${K}audit", $audit[0], result => 'applied', ts => $h2,
          action => 'order.record', channel => 'shop-eu', event => 'evt-1',
          topic => 'orders/create', stream => 'orders', entry => $orders[0],
          order => 'shop-eu:1001', skus => 'SKU-1',
          inputs => '{"status":"paid"}', consumer => 'w-fresh');
$t->redis('XADD', "${K}audit", $audit[1], result => 'applied', ts => $h2 + 1,
          action => 'order.record', channel => 'shop-eu', event => 'evt-2',
          topic => 'orders/updated', stream => 'orders',
          entry => $orders[1], order => 'shop-eu:1001',
          skus => 'SKU-1,SKU-2', inputs => '{"status":"fulfilled"}',
          consumer => 'w-fresh');
$t->redis('XADD', "${K}audit", $audit[2], result => 'stale', ts => $h1,
          action => 'order.record', channel => 'shop-eu', event => 'evt-3',
          topic => 'orders/create', stream => 'orders', entry => $orders[2],
          order => 'shop-eu:1002', skus => 'SKU-1', inputs => '{}',
          consumer => 'w-old');
$t->redis('XADD', "${K}audit", $audit[3], result => 'exception',
          action => 'exception.open',
          exception => 'refund_unknown_order:shop-eu:evt-r1',
          kind => 'refund_unknown_order', summary => 'a refund for an order '
          . 'this system has not recorded', channel => 'shop-eu',
          event => 'evt-r1', topic => 'refunds/create', stream => 'refunds',
          entry => "$h2-5", order => '4040');
$t->redis('ZADD', "${K}audit:order:shop-eu:1001", $h2, $audit[0]);
$t->redis('ZADD', "${K}audit:order:shop-eu:1001", $h2 + 1, $audit[1]);
$t->redis('ZADD', "${K}audit:order:shop-eu:1002", $h1, $audit[2]);
$t->redis('ZADD', "${K}audit:sku:SKU-1", $h2 - 5000, "${\($h2 - 5000)}-0");
$t->redis('ZADD', "${K}audit:sku:SKU-1", $h2, $audit[0]);
$t->redis('ZADD', "${K}audit:sku:SKU-1", $h2 + 1, $audit[1]);
$t->redis('ZADD', "${K}audit:sku:SKU-1", $h1, $audit[2]);
$t->redis('ZADD', "${K}audit:sku:SKU-2", $h2 + 1, $audit[1]);
$t->redis('ZADD', "${K}audit:event:shop-eu:evt-$_->[0]", $_->[1], $_->[2])
    for [1, $h2, $audit[0]], [2, $h2 + 1, $audit[1]], [3, $h1, $audit[2]];

# dead letters
my @dlq = ("$h1-0", "$h1-1", "$h1-2");
my $history = '[{"ts":' . ($h1 - 2000) . ',"consumer":"w-fresh","err":'
              . '"channel push failed: 503"},{"ts":' . ($h1 - 1000)
              . ',"consumer":"w-fresh","err":"channel push failed: 503"}]';
for my $i (0 .. 2) {
    $t->redis('XADD', "${K}dlq", $dlq[$i], stream => 'orders',
              entry => "$h2-9$i", channel => 'shop-eu', scheme => 'shopify',
              account => 'shop-eu.myshopify.com', topic => 'orders/create',
              event => "evt-d$i", received => $h2, reason => 'channel push '
              . 'failed: 503', attempts => 2, history => $history,
              failed => $h1, consumer => 'w-fresh',
              body => qq({"id":50$i,"note":"dead $i"}));
}

# exceptions: open with its cause in the stream, open with its cause
# trimmed away, resolved, retried
my %exc = (
    ex1 => ['refund_unknown_order:shop-eu:evt-r1', 'open', "$h2-5", 'evt-r1',
            $h2],
    ex2 => ['refund_unknown_order:shop-eu:evt-r2', 'open', "$h2-6", 'evt-r2',
            $h2 + 10],
    ex3 => ['refund_unknown_order:shop-eu:evt-r3', 'resolved', "$h2-7",
            'evt-r3', $h2 + 20],
    ex4 => ['refund_unknown_order:shop-eu:evt-r4', 'retried', "$h2-8",
            'evt-r4', $h2 + 30],
);
for my $e (sort keys %exc) {
    my ($id, $state, $entry, $event, $created) = @{$exc{$e}};
    $t->redis('HSET', "${K}exception:$id", id => $id, state => $state,
              created => $created, updated => $created,
              kind => 'refund_unknown_order',
              summary => 'a refund for an order this system has not '
              . 'recorded', channel => 'shop-eu', event => $event,
              topic => 'refunds/create', stream => 'refunds',
              entry => $entry, order => '4040',
              data => '{"kind":"refund","order_id":"4040",'
              . '"amount_minor":1999}',
              $state eq 'resolved' ? (resolved_by => 'ann',
                                      resolution => 'refunded by hand')
                                   : ());
    $t->redis('ZADD', "${K}exceptions:all", $created, $id);
    $t->redis('ZADD', "${K}exceptions:open", $created, $id)
        unless $state eq 'resolved';
}
my ($ex1, $ex2, $ex3, $ex4) = map { $exc{$_}[0] } qw(ex1 ex2 ex3 ex4);

# heartbeats: one fresh, one an hour old; the retry schedule
sub heartbeat {
    my ($name, $at) = @_;
    return encode_json({
        name => $name, host => 'box', pid => 42, state => 'running',
        started => $at - 60000, heartbeat => $at, interval => 2000,
        counters => { read => 10, applied => 7, duplicate => 1, stale => 1,
                      ignored => 0, exceptions => 1, retried => 2,
                      dead => 3, claimed => 0, trimmed => 0 },
        lag => { orders => 2, refunds => 0 },
    });
}
$t->redis('HSET', "${K}workers", 'w-fresh', heartbeat('w-fresh', $now),
          'w-old', heartbeat('w-old', $h1));
$t->redis('ZADD', "${K}retry", $now - 1000, "orders|$orders[0]",
          $now + 60000, "orders|$orders[1]");

###############################################################################
# help and usage

my ($rc, $out, $err, $doc);

($rc, $out) = ctl({ conf => undef }, '--help');
ok($rc == 0 && $out =~ /^usage: invsyncctl / && $out =~ /exceptions/,
   'program --help');

for my $cmd (qw(status audit replay dlq exceptions)) {
    ($rc, $out) = ctl({ conf => '/nonexistent.json' }, $cmd, '--help');
    ok($rc == 0 && $out =~ /^usage: invsyncctl $cmd/, "$cmd --help");
}

($rc, $out) = ctl({ conf => undef }, 'help', 'replay');
like($out, qr/^usage: invsyncctl replay/, 'help replay');

($rc, $out, $err) = ctl({ conf => undef });
ok($rc == 1 && $err =~ /usage:/, 'no command: usage, exit 1');

($rc, $out, $err) = ctl('frobnicate');
ok($rc == 1 && $err =~ /unknown command "frobnicate"/,
   'unknown command: exit 1');

($rc, $out, $err) = ctl('audit', '--bogus', 'x');
ok($rc == 1 && $err =~ /unknown option "--bogus"/, 'unknown option: exit 1');

###############################################################################
# configuration

($rc, $out, $err) = ctl({ conf => $t->dir . '/missing.json' }, 'status');
ok($rc == 1 && $err =~ /\Q${\$t->dir}\E\/missing\.json/,
   'missing -c file: exit 1, names the file') or diag($err);

my $bad = $t->write_file('bad.json', '{"redis": {"address": 7}}');
($rc, $out, $err) = ctl({ conf => $bad }, 'status');
ok($rc == 1 && $err =~ /\Qbad.json\E.*redis/, 'bad -c file: exit 1, file '
   . 'and place') or diag($err);

($rc, $out) = ctl({ conf => undef, env => { INVSYNC_CONFIG => $conf } },
                  'status');
ok($rc == 0 && $out =~ /orders/, '$INVSYNC_CONFIG is the default');

($rc, $out, $err) = ctl({ conf => undef,
                          env => { INVSYNC_CONFIG => '' } }, 'status');
ok($rc == 1 && $err =~ m{/etc/invsync/worker\.json}, 'then '
   . '/etc/invsync/worker.json') or diag($err);

###############################################################################
# status

($rc, $out) = ctl('status');
is($rc, 0, 'status: exit 0');
like($out, qr/^orders\s+3\s+2\s+1\s+2h00m$/m, 'status: orders line');
like($out, qr/^stock\s+0\s+no group/m, 'status: a stream never written');
like($out, qr/^dead letters\s+3$/m, 'status: dead letters');
like($out, qr/^open exceptions\s+3$/m, 'status: open exceptions');
like($out, qr/^retries scheduled\s+2 \(1 due\)$/m, 'status: retries');
like($out, qr/^workers\s+1 alive of 2$/m, 'status: workers');
like($out, qr/^w-fresh\s+yes\s+running\s+\d+s ago\s+10\s+7\s+1\s+1\s+0\s+1\s+2\s+3\s+0\s+0$/m,
     'status: fresh worker with counters');
like($out, qr/^w-old\s+no\s+gone\s+1h00m ago/m, 'status: old worker, gone');

($rc, $doc) = jctl('status');
my ($orders) = grep { $_->{name} eq 'orders' } @{$doc->{streams} || []};
is_deeply([@$orders{qw(key length group lag pending oldest_pending)}],
          ["$P:orders", 3, JSON::PP::true, 2, 1, $orders[0]],
          'status --json: orders');
ok(abs($orders->{oldest_pending_age_ms} - ($now - $h2)) < 60000,
   'status --json: oldest pending age');
is_deeply([@$doc{qw(dead_letters exceptions_open retries_scheduled
                    retries_due)}], [3, 3, 2, 1],
          'status --json: counts');
is_deeply([$doc->{workers}{alive}, $doc->{workers}{total},
           map { [$_->{name}, $_->{alive} ? 1 : 0, $_->{counters}{applied}] }
           @{$doc->{workers}{list}}],
          [1, 2, ['w-fresh', 1, 7], ['w-old', 0, 7]],
          'status --json: workers');
ok($doc->{workers}{list}[1]{heartbeat_age_ms} >= 3600000,
   'status --json: heartbeat age');

###############################################################################
# audit

($rc, $out) = ctl('audit', '--order', 'shop-eu:1001');
ok($rc == 0 && $out =~ /^time\s+id\s+result/
   && $out =~ /\Q$audit[0]\E.*applied.*order\.record.*evt-1.*\n.*\Q$audit[1]\E.*evt-2/,
   'audit --order: oldest first') or diag($out);

($rc, $doc) = jctl('audit', '--order', 'shop-eu:1001');
is_deeply([map { $_->{id} } @{$doc->{entries}}], [@audit[0, 1]],
          'audit --order --json: ids');
is_deeply([$doc->{count}, $doc->{truncated} ? 1 : 0, $doc->{query}{order},
           $doc->{entries}[0]{inputs}, $doc->{entries}[0]{ts}],
          [2, 0, 'shop-eu:1001', { status => 'paid' }, $h2],
          'audit --order --json: entry decoded');

($rc, $doc) = jctl('audit', '--sku', 'SKU-1');
is_deeply([map { $_->{id} } @{$doc->{entries}}], [@audit[0, 1, 2]],
          'audit --sku: a trimmed entry is skipped');

($rc, $doc) = jctl('audit', '--sku', 'SKU-1', '--since', $h1 - 1000);
is_deeply([map { $_->{id} } @{$doc->{entries}}], [$audit[2]],
          'audit --sku --since narrows by time');

($rc, $doc) = jctl('audit', '--event', 'shop-eu:evt-2');
is_deeply([map { $_->{id} } @{$doc->{entries}}], [$audit[1]],
          'audit --event');

($rc, $doc) = jctl('audit', '--since', $h2, '--until', $h2 + 1);
is_deeply([map { $_->{id} } @{$doc->{entries}}], [@audit[0, 1]],
          'audit --since --until, Unix ms');

my @g = gmtime(($h1 - 60000) / 1000);
my $iso = POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', @g);
($rc, $doc) = jctl('audit', '--since', $iso);
is_deeply([map { $_->{id} } @{$doc->{entries}}], [@audit[2, 3]],
          'audit --since ISO-8601');

($rc, $doc) = jctl('audit', '--since', '90m');
is_deeply([map { $_->{id} } @{$doc->{entries}}], [@audit[2, 3]],
          'audit --since 90m (an age)');

($rc, $out) = ctl('audit', '--since', '1d');
ok($rc == 0 && $out =~ /exception\.open.*a refund for an order/,
   'audit: the exception entry, its summary') or diag($out);

($rc, $doc) = jctl('audit', '--since', '1d', '--limit', 2);
is_deeply([$doc->{count}, $doc->{truncated} ? 1 : 0,
           map { $_->{id} } @{$doc->{entries}}],
          [2, 1, @audit[0, 1]], 'audit --limit: truncated');

($rc, $out) = ctl('audit', '--since', '1d', '--limit', 2);
like($out, qr/the first 2 shown/, 'audit --limit: says so');

($rc, $out, $err) = ctl('audit', '--order', 'shop-eu:9999');
ok($rc == 0 && $out =~ /no audit entries for order shop-eu:9999/,
   'audit: nothing found is exit 0');

($rc, $out, $err) = ctl('audit');
ok($rc == 1 && $err =~ /give --order/, 'audit: a selector is required');

($rc, $out, $err) = ctl('audit', '--order', 'shop-eu:1', '--sku', 'x');
is($rc, 1, 'audit: one selector only');

($rc, $out, $err) = ctl('audit', '--order', '1001');
ok($rc == 1 && $err =~ /CHANNEL:ID/, 'audit --order needs CHANNEL:ID');

($rc, $out, $err) = ctl('audit', '--since', 'yesterday');
ok($rc == 1 && $err =~ /--since: "yesterday"/, 'audit: a bad time');

($rc, $out, $err) = ctl('audit', '--since', '1h', '--until', '2h');
ok($rc == 1 && $err =~ /before/, 'audit: --until before --since');

($rc, $out, $err) = ctl('audit', '--since', '1d', '--limit', 0);
ok($rc == 1 && $err =~ /--limit/, 'audit: a bad --limit');

###############################################################################
# replay

my $len = $t->redis('XLEN', "$P:orders");

($rc, $out) = ctl('replay', '--stream', 'orders', '--entry', $orders[0],
                  '--dry-run');
ok($rc == 0 && $out =~ /would replay 1 entry of invsync:orders/
   && $out =~ /\Q$orders[0]\E -> \(not written\)/, 'replay --dry-run');
is($t->redis('XLEN', "$P:orders"), $len, 'replay --dry-run: nothing added');

($rc, $doc) = jctl('replay', '--stream', 'orders', '--entry', $orders[0],
                   '--why', 'lost push');
is_deeply([$rc, $doc->{count}, $doc->{dry_run} ? 1 : 0, $doc->{stream},
           $doc->{entries}[0]{of}, $doc->{entries}[0]{event}],
          [0, 1, 0, 'orders', $orders[0], 'evt-1'],
          'replay --entry --json');
my $copy = entry("$P:orders", $doc->{entries}[0]{id} // '0');
is_deeply($copy, { envelope('orders/create', 'evt-1', '{"id":1001}'),
                   replay_of => $orders[0] },
          'replay: the copy holds the fields and replay_of');

my $ra = audits('operator.replay');
is_deeply([scalar @$ra, @{$ra->[0] || {}}{qw(result by why stream channel
                                             event)},
           $ra->[0] && decode_json($ra->[0]{ids})],
          [1, 'done', 'tester', 'lost push', 'orders', 'shop-eu', 'evt-1',
           { $orders[0] => $doc->{entries}[0]{id} }],
          'replay: audited, by $USER');
is($doc->{audit}, $ra->[0]{_id}, 'replay --json: the audit id');

($rc, $doc) = jctl('audit', '--event', 'shop-eu:evt-1');
is_deeply([map { $_->{action} } @{$doc->{entries}}],
          ['order.record', 'operator.replay'],
          'replay: listed under its event');

($rc, $out) = ctl('replay', '--stream', "$P:orders", '--from', $orders[0],
                  '--to', $orders[1], '--by', 'bob');
ok($rc == 0 && $out =~ /replayed 2 entries of invsync:orders/,
   'replay --from --to') or diag($out);
is($t->redis('XLEN', "$P:orders"), $len + 3, 'replay: copies added');

($rc, $doc) = jctl('replay', '--stream', 'orders', '--since', $h1,
                   '--until', $h1);
is_deeply([$rc, map { $_->{of} } @{$doc->{entries}}], [0, $orders[2]],
          'replay --since --until');

($rc, $doc) = jctl('replay', '--stream', 'orders', '--from', $orders[0],
                   '--to', $orders[2], '--limit', 2);
ok($rc == 1 && !$doc, 'replay: over --limit is refused');

($rc, $out, $err) = ctl('replay', '--stream', 'orders', '--entry', '1-0');
ok($rc == 2 && $err =~ /no entry of invsync:orders matches entry 1-0/,
   'replay: nothing matched, exit 2');

($rc, $out, $err) = ctl('replay', '--stream', 'nope', '--entry', '1-0');
ok($rc == 1 && $err =~ /no stream "nope"/, 'replay: unknown stream');

($rc, $out, $err) = ctl('replay', '--stream', 'orders');
is($rc, 1, 'replay: a selection is required');

($rc, $out, $err) = ctl('replay', '--stream', 'orders', '--entry', 'abc');
ok($rc == 1 && $err =~ /not a stream id/, 'replay: a bad id');

###############################################################################
# dead letters

($rc, $out) = ctl('dlq', 'list');
my $lines = () = $out =~
    /^\Q$h1\E-\d\s.*orders.*evt-d\d\s+2\s+channel push failed: 503$/mg;
ok($rc == 0 && $out =~ /^id\s+failed\s+stream/ && $lines == 3, 'dlq list')
    or diag($out);

($rc, $doc) = jctl('dlq', 'list', '--limit', 2);
is_deeply([$doc->{total}, $doc->{count}, map { $_->{id} } @{$doc->{entries}}],
          [3, 2, @dlq[0, 1]], 'dlq list --json --limit');
is_deeply([$doc->{entries}[0]{attempts}, $doc->{entries}[0]{failed},
           $doc->{entries}[0]{history}[1]{err},
           exists $doc->{entries}[0]{body} ? 1 : 0],
          [2, $h1, 'channel push failed: 503', 0],
          'dlq list --json: numbers, history decoded, no body');

($rc, $out) = ctl('dlq', 'list', '--limit', 1);
like($out, qr/1 of 3 shown/, 'dlq list --limit: says so');

($rc, $out) = ctl('dlq', 'show', $dlq[0]);
ok($rc == 0 && $out =~ /^dead letter \Q$dlq[0]\E$/m
   && $out =~ /^  reason\s+channel push failed: 503$/m
   && $out =~ /^history\n  \S+Z  w-fresh  channel push failed: 503$/m
   && $out =~ /^body \(\d+ bytes\)\n\{"id":500,"note":"dead 0"\}$/m,
   'dlq show') or diag($out);

($rc, $doc) = jctl('dlq', 'show', $dlq[0]);
is_deeply([@$doc{qw(id event body)}, scalar @{$doc->{history}}],
          [$dlq[0], 'evt-d0', '{"id":500,"note":"dead 0"}', 2],
          'dlq show --json');

($rc, $out, $err) = ctl('dlq', 'show', '1-1');
ok($rc == 2 && $err =~ /no dead letter 1-1/, 'dlq show: unknown, exit 2');

($rc, $doc) = jctl('dlq', 'retry', $dlq[0], '--by', 'ann', '--why',
                   'channel back');
my $back = $doc->{retried}[0] || {};
is_deeply([$rc, $doc->{count}, @$back{qw(dlq stream entry)}],
          [0, 1, $dlq[0], 'orders', "$h2-90"], 'dlq retry --json');
is_deeply(entry("$P:orders", $back->{id} // '0'),
          { envelope('orders/create', 'evt-d0', '{"id":500,"note":"dead 0"}'),
            retry_of => $dlq[0] },
          'dlq retry: the envelope is back in its stream, with retry_of');
is(entry("${K}dlq", $dlq[0]), undef, 'dlq retry: the dead letter is gone');
my $da = audits('operator.dlq.retry');
is_deeply([scalar @$da, @{$da->[0] || {}}{qw(_id result by why dlq stream
                                             entry new_entry channel
                                             event)}],
          [1, $back->{audit}, 'done', 'ann', 'channel back', $dlq[0],
           'orders', "$h2-90", $back->{id}, 'shop-eu', 'evt-d0'],
          'dlq retry: audited');

($rc, $out, $err) = ctl('dlq', 'drop', $dlq[1]);
ok($rc == 1 && $err =~ /--why/, 'dlq drop: --why is required');
ok(entry("${K}dlq", $dlq[1]), 'dlq drop without --why: kept');

($rc, $out) = ctl('dlq', 'drop', $dlq[1], '--why', 'test order');
ok($rc == 0 && $out =~ /^dropped dead letter \Q$dlq[1]\E \(audit \S+\)$/,
   'dlq drop');
is(entry("${K}dlq", $dlq[1]), undef, 'dlq drop: the dead letter is gone');
$da = audits('operator.dlq.drop');
is_deeply([scalar @$da, @{$da->[0] || {}}{qw(result by why dlq entry
                                             reason)}],
          [1, 'done', 'tester', 'test order', $dlq[1], "$h2-91",
           'channel push failed: 503'], 'dlq drop: audited');

($rc, $out, $err) = ctl('dlq', 'drop', $dlq[1], '--why', 'again');
is($rc, 2, 'dlq drop: already gone, exit 2');

($rc, $out) = ctl('dlq', 'retry', '--all');
ok($rc == 0 && $out =~ /^retried dead letter \Q$dlq[2]\E: invsync:orders \S+ \(audit \S+\)$/,
   'dlq retry --all') or diag($out);
is($t->redis('XLEN', "${K}dlq"), 0, 'dlq retry --all: none left');

($rc, $out, $err) = ctl('dlq', 'retry', '--all');
ok($rc == 2 && $err =~ /no dead letters to retry/,
   'dlq retry --all: none, exit 2');

($rc, $out) = ctl('dlq', 'list');
is($out, "no dead letters\n", 'dlq list: empty');

($rc, $out, $err) = ctl('dlq', 'retry', $dlq[0], '--all');
is($rc, 1, 'dlq retry: an id or --all, not both');

($rc, $out, $err) = ctl('dlq');
is($rc, 1, 'dlq: a subcommand is required');

($rc, $out, $err) = ctl('dlq', 'purge');
ok($rc == 1 && $err =~ /unknown subcommand "purge"/, 'dlq: unknown one');

###############################################################################
# exceptions

($rc, $out) = ctl('exceptions', 'list');
ok($rc == 0 && $out =~ /^id\s+state\s+created/
   && $out =~ /\Q$ex1\E\s+open.*\n\Q$ex2\E\s+open.*\n\Q$ex4\E\s+retried/
   && $out !~ /\Q$ex3\E/, 'exceptions list: open and retried')
    or diag($out);

($rc, $doc) = jctl('exceptions', 'list');
is_deeply([$doc->{state}, $doc->{count},
           map { $_->{id} } @{$doc->{exceptions}}],
          ['open,retried', 3, $ex1, $ex2, $ex4], 'exceptions list --json');
is_deeply([@{$doc->{exceptions}[0]}{qw(state created kind order)},
           $doc->{exceptions}[0]{data}],
          ['open', $h2, 'refund_unknown_order', '4040',
           { kind => 'refund', order_id => '4040', amount_minor => 1999 }],
          'exceptions list --json: fields and the data, decoded');

for (['open', $ex1, $ex2], ['retried', $ex4], ['resolved', $ex3],
     ['all', $ex1, $ex2, $ex3, $ex4])
{
    my ($state, @want) = @$_;
    ($rc, $doc) = jctl('exceptions', 'list', '--state', $state);
    is_deeply([map { $_->{id} } @{$doc->{exceptions}}], \@want,
              "exceptions list --state $state");
}

($rc, $doc) = jctl('exceptions', 'list', '--state', 'all', '--limit', 1);
is_deeply([map { $_->{id} } @{$doc->{exceptions}}], [$ex1],
          'exceptions list --limit');

($rc, $out, $err) = ctl('exceptions', 'list', '--state', 'closed');
is($rc, 1, 'exceptions list: a bad --state');

($rc, $out) = ctl('exceptions', 'show', $ex1);
ok($rc == 0 && $out =~ /^id\s+\Q$ex1\E$/m && $out =~ /^state\s+open$/m
   && $out =~ /^data\n\{\n  "kind": "refund",/m, 'exceptions show')
    or diag($out);

($rc, $doc) = jctl('exceptions', 'show', $ex1);
is_deeply([@$doc{qw(id state entry created)}, $doc->{data}{amount_minor}],
          [$ex1, 'open', "$h2-5", $h2, 1999], 'exceptions show --json');

($rc, $out, $err) = ctl('exceptions', 'show', 'nope');
ok($rc == 2 && $err =~ /no exception "nope"/, 'exceptions show: unknown');

$len = $t->redis('XLEN', "$P:refunds");
($rc, $doc) = jctl('exceptions', 'retry', $ex1, '--why', 'order 4040 is in');
is_deeply([$rc, @$doc{qw(exception state stream entry)}],
          [0, $ex1, 'retried', 'refunds', "$h2-5"],
          'exceptions retry --json');
is_deeply(entry("$P:refunds", $doc->{id} // '0'),
          { envelope('refunds/create', 'evt-r1', '{"order_id":4040}'),
            retry_of => $ex1 },
          'exceptions retry: a copy of the cause, with retry_of');
is_deeply([@{{ @{$t->redis('HGETALL', "${K}exception:$ex1")} }}{qw(state
           retried_entry)}], ['retried', $doc->{id}],
          'exceptions retry: state retried');
ok($t->redis('HGET', "${K}exception:$ex1", 'updated') > $h2,
   'exceptions retry: updated');
my $ea = audits('operator.exception.retry');
is_deeply([scalar @$ea, @{$ea->[0] || {}}{qw(_id result by why exception
                                             order event new_entry)}],
          [1, $doc->{audit}, 'done', 'tester', 'order 4040 is in', $ex1,
           'shop-eu:4040', 'evt-r1', $doc->{id}],
          'exceptions retry: audited');

($rc, $out, $err) = ctl('exceptions', 'retry', $ex2);
ok($rc == 2 && $err =~ /entry \Q$h2\E-6 of invsync:refunds, is gone/,
   'exceptions retry: the cause is gone, exit 2') or diag($err);
is($t->redis('HGET', "${K}exception:$ex2", 'state'), 'open',
   'exceptions retry: gone cause, state kept');
is($t->redis('XLEN', "$P:refunds"), $len + 1,
   'exceptions retry: nothing else added');

($rc, $out, $err) = ctl('exceptions', 'retry', $ex3);
ok($rc == 1 && $err =~ /is resolved \(by ann: refunded by hand\)/,
   'exceptions retry: a resolved one is refused');

($rc, $out) = ctl('exceptions', 'retry', $ex1, '--by', 'cid');
ok($rc == 0 && $out =~ /^retried exception \Q$ex1\E: invsync:refunds \Q$h2\E-5 delivered again as \S+ \(audit \S+\)$/,
   'exceptions retry: a retried one again') or diag($out);

($rc, $out, $err) = ctl('exceptions', 'resolve', $ex1);
ok($rc == 1 && $err =~ /--why/, 'exceptions resolve: --why is required');

($rc, $doc) = jctl('exceptions', 'resolve', $ex1, '--why',
                   'refunded by hand', '--by', 'dee');
is_deeply([$rc, @$doc{qw(exception state resolved_by resolution)},
           $doc->{changed} ? 1 : 0],
          [0, $ex1, 'resolved', 'dee', 'refunded by hand', 1],
          'exceptions resolve --json');
my %h = @{$t->redis('HGETALL', "${K}exception:$ex1")};
is_deeply([@h{qw(state resolved_by resolution)}],
          ['resolved', 'dee', 'refunded by hand'],
          'exceptions resolve: the hash');
ok($h{updated} >= $now && $h{resolved} >= $now,
   'exceptions resolve: updated and resolved times');
is($t->redis('ZSCORE', "${K}exceptions:open", $ex1), undef,
   'exceptions resolve: no longer open');
is($t->redis('ZSCORE', "${K}exceptions:all", $ex1), $h2,
   'exceptions resolve: still among all');
$ea = audits('operator.exception.resolve');
is_deeply([scalar @$ea, @{$ea->[0] || {}}{qw(_id by why exception previous
                                             order)}],
          [1, $doc->{audit}, 'dee', 'refunded by hand', $ex1, 'retried',
           'shop-eu:4040'], 'exceptions resolve: audited');

($rc, $out) = ctl('exceptions', 'resolve', $ex1, '--why', 'again');
ok($rc == 0 && $out =~ /resolved already, by dee: refunded by hand/,
   'exceptions resolve: twice is a no-op');
is(scalar @{audits('operator.exception.resolve')}, 1,
   'exceptions resolve: audited once');

($rc, $out) = ctl('exceptions', 'resolve', $ex2, '--why', 'duplicate');
ok($rc == 0 && $out =~ /^resolved exception \Q$ex2\E \(was open; audit \S+\)$/,
   'exceptions resolve') or diag($out);

($rc, $out, $err) = ctl('exceptions', 'resolve', 'nope', '--why', 'x');
is($rc, 2, 'exceptions resolve: unknown, exit 2');

($rc, $doc) = jctl('audit', '--order', 'shop-eu:4040');
is_deeply([map { $_->{action} } @{$doc->{entries}}],
          ['operator.exception.retry', 'operator.exception.retry',
           'operator.exception.resolve', 'operator.exception.resolve'],
          'audit --order: the operator entries of an exception');

($rc, $doc) = jctl('audit', '--event', 'shop-eu:evt-d0');
is_deeply([map { $_->{action} } @{$doc->{entries}}], ['operator.dlq.retry'],
          'audit --event: the operator entry of a dead letter');

($rc, $doc) = jctl('status');
is($doc->{exceptions_open}, 1, 'status: open exceptions after resolving');

($rc, $out) = ctl('exceptions', 'resolve', $ex4, '--why', 'refunded by hand');
ok($rc == 0 && $out =~ /^resolved exception \Q$ex4\E \(was retried; audit \S+\)$/,
   'exceptions resolve: a retried one') or diag($out);
is_deeply([$t->redis('ZSCORE', "${K}exceptions:open", $ex4),
           $t->redis('HGET', "${K}exception:$ex4", 'state')],
          [undef, 'resolved'], 'exceptions resolve: out of the open set');

###############################################################################
# a Redis that wants a password; Redis down

$t->redis('CONFIG', 'SET', 'requirepass', 'sesame');
($rc, $out, $err) = ctl('status');
ok($rc == 3 && $err =~ /Redis at 127\.0\.0\.1:\d+ .*NOAUTH/,
   'redis wants a password: exit 3') or diag($err);
$t->write_file('redis.auth', "sesame\n");
my $authed = $t->write_file('auth.json', encode_json({
    redis => { address => '127.0.0.1:' . $t->port('redis'),
               auth_file => $t->dir . '/redis.auth' },
    prefix => $P, channels => [ { id => 'shop-eu', type => 'shopify' } ],
}));
($rc, $out) = ctl({ conf => $authed }, 'status');
ok($rc == 0 && $out =~ /^dead letters\s+0$/m, 'auth_file: AUTH works');

$t->stop_redis;

($rc, $out, $err) = ctl('status');
ok($rc == 3 && $err =~ /cannot reach Redis at 127\.0\.0\.1:\d+ .*refused/i,
   'redis down: exit 3, says so') or diag($err);

($rc, $out, $err) = ctl('--json', 'dlq', 'retry', '--all');
ok($rc == 3 && $out eq '', 'redis down: --json prints nothing');

($rc, $out, $err) = ctl('dlq', 'drop', '1-0');
is($rc, 1, 'redis down: usage errors come first');

$t->done;
