#!/usr/bin/perl

# The invsync_console location without a browser: its JSON endpoints on a
# Redis seeded with what the worker writes (overview, exceptions with
# their filters and pages, one exception, dead letters with their pages,
# one letter, a SKU, an order), the headers that keep the page to itself,
# arguments refused with their reason; the session cookie and its CSRF
# token; the actions (resolve and retry an exception, retry and drop a
# dead letter) refused without a POST, without the token, with a wrong
# one, without an operator, without a reason, and what Redis holds after
# each that went through (states, streams, the operator's audit entries).
# No answer ever holds a letter's or a cause's body.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncConsole qw(console_locations seed seed_order);

my $t = InvsyncTest->setup(
    secrets => { 'hook.secret' => 'hush', 'htpasswd' => 'bob:{PLAIN}pw' },
    locations => console_locations(operator => 'ops-ann') . <<'EOF');
        location /anon/ {
            invsync_console;
        }

        location /ops/ {
            auth_basic "invsync";
            auth_basic_user_file %%TESTDIR%%/htpasswd;
            invsync_console;
            invsync_console_operator $remote_user;
        }
EOF

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(81);

my $ids = seed($t);
my $oids = seed_order($t);
my ($ex1, $ex2, $ex3, $ex4) = @{$ids->{exceptions}};
my @dead = @{$ids->{dead}};
my $K = 'invsync:{invsync}:';
my @answers;

sub api {
    my ($path, %h) = @_;
    my $r = $t->get("/console/api/$path", %h);
    push @answers, $r->{content};
    my $doc = eval { decode_json($r->{content}) };
    return ($r->{status}, $doc, $r);
}

sub esc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

###############################################################################
# reads

my ($st, $doc, $r) = api('overview');
my %w = map { $_->{name} => $_ } @{$doc->{workers}};
ok($st == 200 && $w{'w-fresh'}{alive} && !$w{'w-old'}{alive},
   'overview: workers, alive as the status page says');
is_deeply([@$doc{qw(dead_letters exceptions_open)}], [3, 3],
          'overview: dead letters, open exceptions');
my %s = map { $_->{name} => $_ } @{$doc->{streams}};
is_deeply([@{$s{orders}}{qw(length pending lag)}], [1, 1, 3],
          'overview: a stream\'s length, pending entries, lag');
my ($ch) = @{$doc->{channels}};
ok($ch->{name} eq 'shop-eu' && $ch->{dirty} == 1
   && $ch->{reconcile}{drifted} == 1 && $ch->{reconcile}{complete} == 1,
   'overview: a channel\'s push state and last reconciliation');
ok(ref $doc->{ingest} eq 'ARRAY' && $doc->{ingest}[0]{channel} eq 'shop-eu'
   && exists $doc->{ingest}[0]{accepted}, 'overview: ingest counters');
like($r->{headers}{'cache-control'}, qr/no-store/, 'api: not cached');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'api: nosniff');

($st, $doc) = api('exceptions');
is_deeply([map { $_->{id} } @{$doc->{rows}}], [$ex4, $ex3, $ex2, $ex1],
          'exceptions: newest first');
($st, $doc) = api('exceptions?state=open');
is_deeply([map { $_->{id} } @{$doc->{rows}}], [$ex2, $ex1],
          'exceptions: by state');
($st, $doc) = api('exceptions?kind=oversold');
is_deeply([map { $_->{id} } @{$doc->{rows}}], [$ex2], 'exceptions: by kind');
($st, $doc) = api('exceptions?sku=SKU-1');
is_deeply([map { $_->{id} } @{$doc->{rows}}], [$ex2], 'exceptions: by SKU');
($st, $doc) = api('exceptions?channel=elsewhere');
ok($st == 200 && @{$doc->{rows} || []} == 0, 'exceptions: by channel, none');
($st, $doc) = api('exceptions?limit=3');
ok(@{$doc->{rows}} == 3 && $doc->{next} == 3 && $doc->{total} == 4,
   'exceptions: a page, with the next cursor');
($st, $doc) = api('exceptions?limit=3&cursor=3');
ok(@{$doc->{rows}} == 1 && $doc->{rows}[0]{id} eq $ex1 && !$doc->{next},
   'exceptions: the last page');

($st, $doc) = api('exception?id=' . esc($ex2));
ok($st == 200 && $doc->{exception}{kind} eq 'oversold'
   && decode_json($doc->{exception}{data})->{short} == 2,
   'exception: its fields and data');
ok(ref $doc->{audit} eq 'ARRAY'
   && $doc->{audit}[0]{action} eq 'exception.open',
   'exception: its audit trail');
($st, $doc) = api('exception?id=nope');
ok($st == 404 && $doc->{error} =~ /no such exception/, 'exception: unknown');
($st, $doc) = api('exception');
ok($st == 400 && $doc->{error} =~ /missing/, 'exception: no id');
($st, $doc) = api('exception?id=a%01b');
ok($st == 400 && $doc->{error} =~ /control character/,
   'exception: a control character refused');
($st, $doc) = api('exception?id=' . ('x' x 600));
ok($st == 400 && $doc->{error} =~ /too long/, 'exception: too long an id');

($st, $doc) = api('dlq?limit=2');
is_deeply([map { $_->{id} } @{$doc->{rows}}], [@dead[2, 1]],
          'dlq: a page, newest first');
ok($doc->{next} eq $dead[1] && $doc->{rows}[0]{body_bytes} > 0
   && !exists $doc->{rows}[0]{body}, 'dlq: next cursor, body length only');
($st, $doc) = api("dlq?limit=2&cursor=$dead[1]");
ok(@{$doc->{rows}} == 1 && $doc->{rows}[0]{id} eq $dead[0] && !$doc->{next},
   'dlq: the last page');
($st, $doc) = api("dead?id=$dead[0]");
ok($st == 200 && @{decode_json($doc->{dead}{history})} == 2
   && !exists $doc->{dead}{body} && $doc->{dead}{body_bytes} > 0,
   'dead: attempt history, no body');
($st, $doc) = api('dead?id=1-1');
is($st, 404, 'dead: unknown');

($st, $doc) = api('sku?sku=SKU-1');
is_deeply($doc->{ledger}, [{ location => 'east', on_hand => 5, reserved => 0 },
                           { location => 'main', on_hand => 10,
                             reserved => 2 }], 'sku: ledger per location');
my ($c) = @{$doc->{channels}};
ok($c->{channel} eq 'shop-eu' && $c->{shows} == 9 && $c->{push_due}
   && $c->{drift}{should_show} == 7, 'sku: what the channel shows, should');
ok($doc->{unrouted} == 1 && @{$doc->{audit}} == 3
   && $doc->{attributes}{name} eq 'Mug <i>blue</i>', 'sku: its audit, name');
($st, $doc) = api('sku?sku=NOPE');
ok($st == 200 && !$doc->{known}, 'sku: unknown, said so');

($st, $doc) = api('order?order=shop-eu:1001');
ok($doc->{known} && decode_json($doc->{record}{data})->{id} eq '1001'
   && $doc->{audit}[0]{action} eq 'order.record', 'order: record, audit');

ok(ref $doc->{routing} eq 'HASH' && !$doc->{routing}{allocated}
   && !$doc->{routing}{unroutable} && ref $doc->{shipments} eq 'ARRAY'
   && !@{$doc->{shipments}} && ref $doc->{refunds} eq 'ARRAY'
   && !@{$doc->{refunds}}, 'order: not routed, no shipments, no refunds');

# what became of an order (t/console_order.t has it through the worker)
($st, $doc) = api('order?order=shop-eu:2002');
my $rt = $doc->{routing};
ok($rt->{allocated} && $rt->{decision}{rule} eq 'near <i>first</i>'
   && $rt->{decision}{strategy} eq 'nearest' && $rt->{audit} eq $oids->{route}
   && $rt->{held} =~ /"main"/ && $rt->{seq} == 1 && !$rt->{backorder},
   'order: its routing, by the rule of its decision') or diag(explain($rt));
is_deeply([map { [$_->{location}, map { "$_->{line}:$_->{sku}:$_->{qty}" }
                  @{$_->{lines}}] } @{$rt->{locations}}],
          [['east', '2:SKU-2:1'], ['main', '1:SKU-1:2']],
          'order: the allocation per location, in name order');
is_deeply([map { "$_->{id} $_->{state}" } @{$doc->{shipments}}],
          ['shop-eu:2002@east failed', 'shop-eu:2002@main shipped'],
          'order: its shipments, by id');
my $sh = $doc->{shipments}[1];
ok($sh->{tracking_url} eq 'javascript:alert(1)' && $sh->{cost_minor} == 650
   && $doc->{shipments}[0]{last_error} =~ /^HTTP 422/,
   'order: each shipment\'s hash, as it is');
my ($rfx, $rf9) = @{$doc->{refunds}};    # newest first
ok(@{$doc->{refunds}} == 2 && $rf9->{id} eq 'rf-9'
   && $rf9->{amount_minor} == 1250 && $rf9->{audit} eq $oids->{refund}
   && decode_json($rf9->{record}{data})->{lines}[0]{sku} eq 'SKU-1',
   'order: a refund, its id from its restock\'s cause, its state')
    or diag(explain($doc->{refunds}));
ok(@{$rf9->{restock}} == 1 && $rf9->{restock}[0]{reason} eq 'channel_restocked'
   && $rf9->{restock}[0]{location} eq 'main'
   && $rf9->{restock}[0]{audit} eq $oids->{restock},
   'order: the refund\'s restock decision');
ok(@{$rf9->{journal}} == 1 && $rf9->{journal}[0]{id} eq $oids->{journal}
   && $rf9->{journal}[0]{cause} eq 'refund:shop-eu:rf-9',
   'order: the refund\'s journal entry, by its cause');
ok(!defined $rfx->{id} && $rfx->{event} eq 'evt-2002b'
   && $rfx->{lines_from} eq 'none' && !@{$rfx->{restock}}
   && !@{$rfx->{journal}}, 'order: a refund without an id, by its event');

($st, $doc) = api('order?order=shop-eu:2003');
$rt = $doc->{routing};
ok($rt->{unroutable} && !$rt->{allocated}
   && $rt->{exception}{id} eq 'unroutable:shop-eu:2003'
   && $rt->{waiting_since} > 0 && $rt->{reasons}[0]{reason} eq 'no_stock',
   'order: unroutable, why, its exception, waiting') or diag(explain($rt));
$t->redis('HSET', "${K}exception:unroutable:shop-eu:2003", state => 'resolved');
($st, $doc) = api('order?order=shop-eu:2003');
ok($doc->{routing}{unroutable} && $doc->{routing}{exception}{state}
   eq 'resolved', 'order: unroutable by its last decision, the exception '
   . 'resolved');

$r = $t->get('/console/console_order.js');
ok($r->{status} == 200 && $r->{headers}{'content-type'} =~ m{^text/javascript}
   && $r->{content} =~ /invsyncPages/, 'page: its order script');
$r = $t->get('/console/lua/order');
is($r->{status}, 404, 'page: a Lua script is never served');

($st, $doc) = api('nothing');
is($st, 404, 'an unknown endpoint');
$r = $t->post('/console/api/overview', '{}');
ok($r->{status} == 405 && $r->{headers}{allow} eq 'GET, HEAD',
   'a read refuses a POST');

$r = $t->get('/console/');
like($r->{headers}{'content-security-policy'}, qr/default-src 'none'.*frame-ancestors 'none'/,
     'page: its content security policy');
my ($cookie) = ($r->{headers}{'set-cookie'} // '')
    =~ /^invsync_console=([0-9a-f]{64}); Path=\/console\/; HttpOnly; SameSite=Strict$/;
ok($cookie, 'page: sets a session cookie') or diag($r->{headers}{'set-cookie'});
$r = $t->get('/console/', Cookie => "invsync_console=$cookie");
ok(!$r->{headers}{'set-cookie'}, 'page: keeps a session cookie');

###############################################################################
# the session and its token

my $ck = "invsync_console=$cookie";
($st, $doc) = api('session', Cookie => $ck);
my $csrf = $doc->{csrf};
ok($doc->{operator} eq 'ops-ann' && $csrf =~ /^[0-9a-f]{64}$/,
   'session: operator and token');
($st, $doc) = api('session', Cookie => $ck);
is($doc->{csrf}, $csrf, 'session: the same token for the same session');
($st, $doc) = api('session', Cookie => 'invsync_console=' . ('0' x 64));
isnt($doc->{csrf}, $csrf, 'session: another token for another session');

$r = $t->get('/ops/api/session', Authorization => 'Basic Ym9iOnB3');
is(decode_json($r->{content})->{operator}, 'bob',
   'session: the operator is the auth_basic user');
$r = $t->get('/anon/api/session', Authorization => 'Basic Ym9iOnB3');
ok(!defined decode_json($r->{content})->{operator},
   'session: no $remote_user unless configured');
$r = $t->get('/anon/api/session');
ok(!defined decode_json($r->{content})->{csrf},
   'session: no operator, no token');

###############################################################################
# actions

sub act {
    my ($what, $body, %h) = @_;
    my $r = $t->post("/console/api/$what", encode_json($body),
                     'Content-Type' => 'application/json', %h);
    push @answers, $r->{content};
    return ($r->{status}, eval { decode_json($r->{content}) } || {}, $r);
}

sub field { $t->redis('HGET', "${K}exception:$_[0]", $_[1]) }

sub audits {
    my ($action) = @_;
    return [grep { $_->[1]{action} eq $action } @{$t->stream("${K}audit")}];
}

my %ok = (Cookie => $ck, 'X-Invsync-Csrf' => $csrf);

$r = $t->get('/console/api/exception/resolve?id=' . esc($ex1), Cookie => $ck,
             'X-Invsync-Csrf' => $csrf);
ok($r->{status} == 405 && $r->{headers}{allow} eq 'POST'
   && field($ex1, 'state') eq 'open', 'action: a GET refused, nothing done');

($st, $doc) = act('exception/resolve', { id => $ex1, reason => 'x' },
                  Cookie => $ck);
ok($st == 403 && $doc->{error} =~ /csrf/, 'action: no token, refused');
my $wrong = $csrf =~ /^0/ ? '1' . substr($csrf, 1) : '0' . substr($csrf, 1);
($st, $doc) = act('exception/resolve', { id => $ex1, reason => 'x' },
                  Cookie => $ck, 'X-Invsync-Csrf' => $wrong);
is($st, 403, 'action: a wrong token, refused');
($st, $doc) = act('exception/resolve', { id => $ex1, reason => 'x' },
                  'X-Invsync-Csrf' => $csrf);
is($st, 403, 'action: a token without its session cookie, refused');
$r = $t->post('/anon/api/exception/resolve',
              encode_json({ id => $ex1, reason => 'x' }),
              'Content-Type' => 'application/json');
ok($r->{status} == 403 && $r->{content} =~ /no operator/,
   'action: no operator name, refused');
$r = $t->post('/console/api/exception/resolve',
              encode_json({ id => $ex1, reason => 'x' }),
              'Content-Type' => 'text/plain', %ok);
is($r->{status}, 415, 'action: not JSON, refused');
($st, $doc) = act('exception/resolve', { id => $ex1 }, %ok);
ok($st == 400 && $doc->{error} =~ /reason/, 'action: resolve needs a reason');
is(field($ex1, 'state'), 'open', 'action: nothing done by a refusal');

($st, $doc) = act('exception/resolve', { id => $ex1,
                                          reason => 'refunded by hand' }, %ok);
ok($st == 200 && $doc->{done} eq 'operator.exception.resolve'
   && $doc->{by} eq 'ops-ann', 'resolve: done') or diag(explain($doc));
ok(field($ex1, 'state') eq 'resolved' && field($ex1, 'resolved_by') eq 'ops-ann'
   && field($ex1, 'resolution') eq 'refunded by hand'
   && !defined $t->redis('ZSCORE', "${K}exceptions:open", $ex1),
   'resolve: the exception resolved, out of the open ones');
my ($a) = @{audits('operator.exception.resolve')};
ok($a && $a->[0] eq $doc->{audit} && $a->[1]{by} eq 'ops-ann'
   && $a->[1]{why} eq 'refunded by hand' && $a->[1]{previous} eq 'open'
   && $a->[1]{exception} eq $ex1 && $a->[1]{order} eq 'shop-eu:4040',
   'resolve: the operator\'s audit entry');
ok(defined $t->redis('ZSCORE', "${K}audit:event:shop-eu:evt-r1", $a->[0]),
   'resolve: the entry in its event\'s index');
($st, $doc) = act('exception/resolve', { id => $ex1, reason => 'again' }, %ok);
ok($st == 409 && $doc->{resolved_by} eq 'ops-ann', 'resolve: resolved already');
($st, $doc) = act('exception/resolve', { id => 'nope', reason => 'x' }, %ok);
is($st, 404, 'resolve: unknown');

my $before = @{$t->stream('invsync:refunds')};
($st, $doc) = act('exception/retry', { id => $ex2, reason => 'restocked' },
                  %ok);
ok($st == 200 && $doc->{done} eq 'operator.exception.retry', 'retry: done');
my $copy = $t->stream('invsync:refunds')->[-1];
ok(@{$t->stream('invsync:refunds')} == $before + 1
   && $copy->[1]{retry_of} eq $ex2 && $copy->[1]{event} eq 'evt-r2',
   'retry: the cause again in its stream');
ok(field($ex2, 'state') eq 'retried' && field($ex2, 'retried_entry')
   eq $copy->[0], 'retry: the exception retried');
($a) = @{audits('operator.exception.retry')};
ok($a && $a->[1]{new_entry} eq $copy->[0] && $a->[1]{why} eq 'restocked',
   'retry: the operator\'s audit entry');
($st, $doc) = act('exception/retry', { id => $ex3 }, %ok);
ok($st == 409 && $doc->{error} =~ /resolved/, 'retry: not a resolved one');

($st, $doc) = act('dead/retry', { id => $dead[0] }, %ok);
my $back = $t->stream('invsync:orders')->[-1];
ok($st == 200 && $doc->{new_entry} eq $back->[0]
   && $back->[1]{retry_of} eq $dead[0] && $back->[1]{body} =~ /RAWBODY 0/,
   'dead retry: the envelope back in its stream');
ok($t->redis('XLEN', "${K}dlq") == 2
   && @{audits('operator.dlq.retry')} == 1, 'dead retry: out, audited');
($st, $doc) = act('dead/retry', { id => $dead[0] }, %ok);
is($st, 404, 'dead retry: gone');
($st, $doc) = act('dead/drop', { id => $dead[1] }, %ok);
is($st, 400, 'dead drop: needs a reason');
($st, $doc) = act('dead/drop', { id => $dead[1], reason => 'test order' },
                  %ok);
($a) = @{audits('operator.dlq.drop')};
ok($st == 200 && $t->redis('XLEN', "${K}dlq") == 1 && $a
   && $a->[1]{why} eq 'test order' && $a->[1]{dlq} eq $dead[1],
   'dead drop: out, audited');

ok(!grep({ /RAWBODY/ } @answers), 'no answer holds a body');
# the webhook secret nginx holds, the operator's password, and the CSRF
# token outside api/session's answers
my @leak = grep { /hush|\{PLAIN\}|\Q$csrf\E/ }
           grep { !/"csrf":/ } @answers;
is(scalar @leak, 0, 'no answer holds a secret') or diag(explain \@leak);

###############################################################################
# Redis gone

$t->stop_redis;
($st, $doc) = api('overview');
ok($st == 503 && $doc->{error} =~ /redis/, 'redis down: 503, said so')
    or diag("$st");

$t->done;
