#!/usr/bin/perl

# The console in a real browser: Debian's chromium, headless, driven by
# chromedriver over the W3C WebDriver protocol (t/lib/InvsyncWebDriver.pm),
# against a running system: nginx with the module, Redis seeded with
# exceptions and dead letters (t/lib/InvsyncConsole.pm), and
# invsync-worker.  Each page is loaded, checked for what it must show and
# shot (laptop and phone sizes) into the test's directory (screenshots/;
# kept with INVSYNC_KEEP=1, or copied to $INVSYNC_SHOTS); one exception is
# resolved and one dead letter retried through the page, and Redis is
# checked after each.  Markup in the data must show as text.  Any entry
# at level SEVERE in the browser's console fails the test.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use File::Copy qw(copy);
use InvsyncTest;
use InvsyncConsole qw(console_locations seed);
use InvsyncWebDriver;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for);

plan(skip_all => 'chromium and chromium-driver not installed')
    unless InvsyncWebDriver::chromedriver() && InvsyncWebDriver::chromium();

my $t = InvsyncTest->setup(secrets => { 'hook.secret' => 'hush' },
                           programs => ['invsync-worker'],
                           locations => console_locations(
                               operator => 'ops-ann'));
$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(27);

my $ids = seed($t, worker => 1);
my ($ex1, $ex2) = @{$ids->{exceptions}};
my @dead = @{$ids->{dead}};
my $K = 'invsync:{invsync}:';

# the worker: its heartbeat is the third, alive
run_worker($t, 'worker', worker_conf($t, 'worker.json', channels => [
    { id => 'shop-eu', type => 'shopify' } ]));
wait_for(30, sub { $t->redis('HLEN', "${K}workers") == 3 })
    or die "no heartbeat from the worker\n";

my $shots = $t->dir . '/screenshots';
make_path($shots);

my $wd = InvsyncWebDriver->start(port => $t->port('webdriver'),
                                 dir => $t->dir);
my $base = $t->url('/console/');
my @severe;

sub esc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# loads #<route>, waits for what the page must show, shoots it
sub page {
    my ($name, $route, $ready) = @_;
    $wd->go("$base#$route");
    my $ok = $wd->wait_js(30, "return !!document.querySelector('main h1') "
                              . "&& ($ready);");
    $wd->screenshot("$shots/$name.png");
    console_clean($name);
    return $ok;
}

sub console_clean {
    my ($name) = @_;
    my $log = $wd->console_log;
    for my $e (@$log) {
        push @severe, "$name: $e->{message}" if $e->{level} eq 'SEVERE';
    }
}

sub main_text { $wd->text_of('main') // '' }

###############################################################################

ok(page('overview', '/', "document.querySelectorAll('.tile').length >= 4"),
   'overview: drawn');
my $text = main_text();
like($text, qr/2 \/ 3\s*workers alive/, 'overview: workers alive');
like($text, qr/3\s*open exceptions/, 'overview: open exceptions');
like($text, qr/3\s*dead letters/, 'overview: dead letters');
like($text, qr/shop-eu/, 'overview: the channel');

# it refreshes: a fourth dead letter shows without a reload
my $late = $t->redis('XADD', "${K}dlq", '*', stream => 'orders', entry => '1-1',
          channel => 'shop-eu', topic => 'orders/create', event => 'evt-x',
          reason => 'late', attempts => 1, failed => 1, body => '{}');
ok($wd->wait_js(30, "return /4\\s*dead letters/.test("
                    . "document.querySelector('main').textContent);"),
   'overview: refreshes by itself');
$t->redis('XDEL', "${K}dlq", $late);

ok(page('exceptions', '/exceptions?state=open',
        "document.querySelectorAll('main tbody tr').length == 2"),
   'exceptions: the open ones');
$text = main_text();
like($text, qr/a oversold <b>exception<\/b>/,
     'exceptions: markup in the data shows as text');
is($wd->script("return document.querySelectorAll('main b').length;"), 0,
   'exceptions: and is not markup');

ok(page('exceptions-sku', '/exceptions?state=&sku=SKU-1',
        "document.querySelectorAll('main tbody tr').length == 1"),
   'exceptions: filtered by SKU');
ok(page('exceptions-empty', '/exceptions?state=open&kind=nothing',
        "!!document.querySelector('.empty')"),
   'exceptions: an empty state');

ok(page('exception', '/exception/' . esc($ex1),
        "!!document.querySelector('#resolve')"), 'exception: detail');
like(main_text(), qr/amount_minor.*1999/s, 'exception: its data');

# resolve it through the page
$wd->type('#act textarea', 'refunded by hand, ticket 42');
$wd->click('#resolve');
ok($wd->wait_js(30, "return /Resolved/.test(document.getElementById("
                    . "'flash').textContent);"), 'exception: resolved')
    or diag($wd->text_of('#flash'));
$wd->screenshot("$shots/exception-resolved.png");
console_clean('exception-resolved');
is_deeply([map { $t->redis('HGET', "${K}exception:$ex1", $_) }
           qw(state resolved_by resolution)],
          ['resolved', 'ops-ann', 'refunded by hand, ticket 42'],
          'exception: resolved in Redis, by the operator, with the reason');
ok(!defined $t->redis('ZSCORE', "${K}exceptions:open", $ex1),
   'exception: out of the open ones');
my @audit = grep { $_->[1]{action} eq 'operator.exception.resolve' }
            @{$t->stream("${K}audit")};
ok(@audit == 1 && $audit[0][1]{by} eq 'ops-ann', 'exception: audited');

ok(page('dlq', '/dlq', "document.querySelectorAll('main tbody tr').length "
                       . "== 3"), 'dlq: the list');
ok(page('dead', "/dead/$dead[0]", "!!document.querySelector('#dead-retry')"),
   'dead: detail');
$text = main_text();
ok($text =~ /push failed: 503/ && $text !~ /RAWBODY/,
   'dead: attempt history, and no body');

$wd->click('#dead-retry');
ok($wd->wait_js(30, "return /Back in its stream/.test(document."
                    . "getElementById('flash').textContent);"),
   'dead: retried') or diag($wd->text_of('#flash'));
$wd->wait_js(30, "return !!document.querySelector('main tbody tr');");
$wd->screenshot("$shots/dlq-after-retry.png");
console_clean('dlq-after-retry');
my ($back) = grep { ($_->[1]{retry_of} // '') eq $dead[0] }
             @{$t->stream('invsync:orders')};
my @left = grep { $_->[0] eq $dead[0] } @{$t->stream("${K}dlq")};
ok($back && !@left && @{$t->stream("${K}audit")}
   && grep({ $_->[1]{action} eq 'operator.dlq.retry' }
           @{$t->stream("${K}audit")}),
   'dead: out of the dead letters, back in its stream, audited');

ok(page('sku', '/sku/SKU-1', "/Ledger/.test(document.querySelector('main')"
                             . ".textContent)"), 'sku: drawn');
like(main_text(), qr/main\s*10\s*2\s*8/, 'sku: the ledger per location');

ok(page('order', '/order/' . esc('shop-eu:1001'),
        "/order.record/.test(document.querySelector('main').textContent)"),
   'order: drawn');

# a phone's width: one column, every page still drawn
$wd->size(390, 844);
ok(page('overview-phone', '/', "document.querySelectorAll('.tile').length "
                               . ">= 4")
   && page('exceptions-phone', '/exceptions?state=', "document."
           . "querySelectorAll('main tbody tr').length == 4"),
   'phone: overview and exceptions');

ok(!@severe, 'no error in the browser console') or diag(join "\n", @severe);

$wd->stop;
stop_worker($t, 'worker');
if (my $to = $ENV{INVSYNC_SHOTS}) {
    make_path($to);
    copy($_, $to) for glob("$shots/*.png");
}

$t->done;
