#!/usr/bin/perl

# The console in a real browser: Debian's chromium, headless, driven by
# chromedriver over the W3C WebDriver protocol (t/lib/InvsyncWebDriver.pm),
# against a running system: nginx with the module, Redis seeded with
# exceptions and dead letters (t/lib/InvsyncConsole.pm), and
# invsync-worker.  Each page is loaded, checked for what it must show and
# shot (laptop and phone sizes) into the test's directory (screenshots/;
# kept with INVSYNC_KEEP=1, or copied to $INVSYNC_SHOTS); one exception is
# resolved and one dead letter retried through the page, and Redis is
# checked after each; an order's Routing, Shipments and Refunds are read
# and a SKU link followed.  Markup in the data must show as text.  Any entry
# at level SEVERE in the browser's console fails the test.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use File::Copy qw(copy);
use InvsyncTest;
use InvsyncConsole qw(console_locations seed seed_order);
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
$t->plan(39);

my $ids = seed($t, worker => 1);
seed_order($t);
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

# a PNG file with an image in it: the signature, then IHDR's width and
# height, both at least 300 (the phone's width is 390)
sub png_shot {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return 0;
    read($fh, my $head, 24) == 24 or return 0;
    my ($sig, $chunk, $w, $h) = unpack 'a8 x4 a4 N N', $head;
    return $sig eq "\x89PNG\r\n\x1a\n" && $chunk eq 'IHDR'
           && $w >= 300 && $h >= 300 && -s $file > 1000;
}

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
# the worker's rules for shop-eu are the defaults: 10 - 2 + 5 - 1 unrouted
like(main_text(), qr/shop-eu\s*9\s*12\s*(yes|no)\s*defaults/,
     'sku: what the channel shows (9) and should show (12), its rules');

ok(page('order', '/order/' . esc('shop-eu:1001'),
        "/order.record/.test(document.querySelector('main').textContent)"),
   'order: drawn');

# what became of an order: Routing, Shipments, Refunds
ok(page('order-routed', '/order/' . esc('shop-eu:2002'),
        "!!document.querySelector('#refunds .refund')"),
   'order: its routing, shipments and refunds drawn');
my $routing = $wd->text_of('#routing') // '';
ok($routing =~ /rule\s*near <i>first<\/i>/ && $routing =~ /nearest/,
   'order: the routing rule, its markup as text');
like($routing, qr/east\s*2\s*SKU-2\s*1.*main\s*1\s*SKU-1\s*2/s,
     'order: the allocation per location');
my $ships = $wd->text_of('#shipments') // '';
ok($ships =~ /shop-eu:2002\@main\s*main\s*warehouse\s*shipped\s*2 \x{d7} SKU-1/
   && $ships =~ /DHL Express\s*JD<script>1<\/script>\s*6\.50 EUR/
   && $ships =~ /failed/ && $ships =~ /HTTP 422: <img src=x onerror=alert\(1\)>/,
   'order: each shipment, its state, carrier, tracking, label cost, error')
    or diag($ships);
is($wd->script("return [document.querySelectorAll('main img, main script, "
               . "main i, main b').length, document.querySelectorAll("
               . "'main a[href^=\"javascript\"]').length, document."
               . "querySelector('#shipments a[href^=\"https:\"]').href]"
               . ".join(' ');"), '0 0 https://labels.example/1.pdf',
   'order: markup stays text, a javascript: URL no link, the label linked');
for my $part ('shipments', 'refunds') {
    $wd->script("document.getElementById('$part').scrollIntoView();");
    $wd->screenshot("$shots/order-$part.png");
}
my $refunds = $wd->text_of('#refunds') // '';
ok($refunds =~ /Refund rf-9/ && $refunds =~ /amount\s*12\.50 EUR/
   && $refunds =~ /channel_restocked/ && $refunds =~ /4010/
   && $refunds =~ /revenue <b>reversed<\/b>/
   && $refunds =~ /Refund of event evt-2002b/,
   'order: the refunds, their restock decisions and journal entries')
    or diag($refunds);
is($wd->script("return ['#routing', '#shipments', '#refunds'].map(function "
               . "(s) { return document.querySelectorAll(s + ' a[href=\""
               . "#/sku/SKU-1\"]').length > 0; }).join(' ');"),
   'true true true', 'order: each section links to the SKU');
$wd->click('#refunds a[href="#/sku/SKU-1"]');
ok($wd->wait_js(30, "return /SKU SKU-1/.test(document.querySelector("
                    . "'main h1').textContent) && /Ledger/.test(document."
                    . "querySelector('main').textContent);"),
   'order: a SKU link opens its page');
ok(page('order-unroutable', '/order/' . esc('shop-eu:2003'),
        "!!document.querySelector('#unroutable')"), 'order: unroutable');
like($wd->text_of('#routing') // '',
     qr/Unroutable.*unroutable:shop-eu:2003.*1\s*SKU-1\s*no_stock/s,
     'order: unroutable, its exception, the reason per line');

# a phone's width: one column, every page still drawn
$wd->size(390, 844);
ok(page('overview-phone', '/', "document.querySelectorAll('.tile').length "
                               . ">= 4")
   && page('exceptions-phone', '/exceptions?state=', "document."
           . "querySelectorAll('main tbody tr').length == 4")
   && page('order-phone', '/order/' . esc('shop-eu:2002'),
           "!!document.querySelector('#refunds .refund')"),
   'phone: overview, exceptions and an order');

ok(!@severe, 'no error in the browser console') or diag(join "\n", @severe);

# every page shot: a PNG of the window's size for each page named above
my @pages = qw(overview exceptions exceptions-sku exceptions-empty exception
               exception-resolved dlq dead dlq-after-retry sku order
               order-routed order-shipments order-refunds order-unroutable
               overview-phone exceptions-phone order-phone);
my @bad = grep { !png_shot("$shots/$_.png") } @pages;
is("@bad", '', scalar(@pages) . ' screenshots written under screenshots/, '
   . 'each a PNG');

$wd->stop;
stop_worker($t, 'worker');
if (my $to = $ENV{INVSYNC_SHOTS}) {
    make_path($to);
    copy($_, $to) for glob("$shots/*.png");
}

$t->done;
