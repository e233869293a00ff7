#!/usr/bin/perl

# make demo end to end: t/demo/run on free ports and a directory of its
# own starts Redis, nginx with the module, invsync-worker, the Shopify,
# WooCommerce and Square simulators, the carrier's and the 3PL's, seeds the
# catalogue and plays its story.  Checked here from outside the story: what each
# simulator shows after it (the sale, the oversell to 0, the restock, the
# split order, the refund), the oversold exception and no other, the
# duplicate stored once; the split order's route, its two labels, their
# tracking on the Shopify simulator and the oversold order's on
# WooCommerce; on hand at each warehouse; the refund restocked where it
# shipped from, and its journal entries balanced; the poster, kept only at
# the 3PL, sent to it once, shipped by it, its tracking on WooCommerce.  A second run restarts
# cleanly; t/demo/run stop stops every process it started, and a pidfile
# naming another program is left alone.  Outcomes only: the wording and
# the milliseconds the story prints are not asserted.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX ();
use InvsyncTest;
use InvsyncSim;

plan(skip_all => 'the demo runs the plain build, not the ASan one')
    if $ENV{INVSYNC_ASAN};

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
for my $p (qw(invsync-worker invsyncctl ngx_http_invsync_module.so)) {
    plan(skip_all => "$p not built") unless -e $t->root . "/build/$p";
}
plan(tests => 42);

my $dir = $t->dir . '/demo';
my %env = (
    INVSYNC_DEMO_DIR          => $dir,
    INVSYNC_DEMO_PORT         => $t->port('http'),
    INVSYNC_DEMO_REDIS_PORT   => $t->port('redis'),
    INVSYNC_DEMO_SHOPIFY_PORT => $t->port('sim_shopify'),
    INVSYNC_DEMO_WOO_PORT     => $t->port('sim_woocommerce'),
    INVSYNC_DEMO_SQUARE_PORT  => $t->port('sim_square'),
    INVSYNC_DEMO_CARRIER_PORT => $t->port('sim_carrier'),
    INVSYNC_DEMO_SHIPBOB_PORT => $t->port('sim_3pl'),
);
my $run = $t->root . '/t/demo/run';
my @PIDFILES = map { "$_.pid" }
    qw(redis nginx worker sim_shopify sim_woocommerce sim_square
       sim_carrier sim_3pl);

sub demo {
    my (@args) = @_;
    local %ENV = (%ENV, %env);
    my $out = `'$run' @args 2>&1`;
    return ($? >> 8, $out);
}

# whatever happens, nothing of the demo outlives the test
END { demo('stop') if defined $dir && -d $dir }

sub pids {
    my %p;
    for my $f (@PIDFILES) {
        open my $fh, '<', "$dir/$f" or next;
        chomp($p{$f} = <$fh> // '');
    }
    return \%p;
}

# alive: a zombie is not (its parent, init, may not have reaped it yet)
sub alive {
    my ($pid) = @_;
    return 0 unless kill 0, $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my ($state) = (<$fh> // '') =~ /\) (\S)/;
    return ($state // 'Z') ne 'Z';
}

sub ctl_json {
    my (@args) = @_;
    my $cmd = join ' ', map { "'$_'" } $t->root . '/build/invsyncctl', '-c',
        "$dir/worker.json", @args, '--json';
    my $out = `$cmd 2>&1`;
    return $? ? { error => $out } : decode_json($out);
}

# ---- the first run: the story ----

my ($rc, $out) = demo();
is($rc, 0, 't/demo/run starts everything and plays the story') or diag($out);
# the story's steps, each with a time measured; what they say is checked
# from outside below
my @steps = $out =~ /^demo: (\d+)\. /mg;
is("@steps", '0 1 2 3 4 5 6 7', 'the story plays its eight steps');
like($out, qr/^demo: 1\. .*\n.* \d+ ms/m,
     'a step says what it measured, in milliseconds');
like($out, qr/answers 200 \{"status":"duplicate"/,
     'the same webhook again: nginx answers duplicate');
like($out, qr/^\s+order shop-demo:\d+, version \d+: routed$/m,
     'the split order\'s route explained (invsyncctl route explain)');
like($out, qr/^\s+\*Narration,\*Date,.*\*Amount/m,
     'the journal lines printed, as CSV');
like($out, qr/story is over; every outcome was reached/, 'to its end');
like($out, qr/invsyncctl -c \Q$dir\E\/worker\.json status/,
     'it ends with the commands to try next');
like($out, qr{http://127\.0\.0\.1:\d+/console/}, 'and the console\'s URL');

# ---- the outcomes, read from outside the story ----

# InvsyncSim's client asks an object for the simulators' ports
{ package DemoPorts; sub port { $_[0]{$_[1]} } }
my $sims = bless { map { ("sim_$_" => $t->port("sim_$_")) }
                   qw(shopify woocommerce square carrier 3pl) }, 'DemoPorts';
my %mug = (shopify => [1001, 1], woocommerce => [501],
           square => ['VARMUG', 'LOC1']);
my %set = (shopify => [1004, 1], woocommerce => [504],
           square => ['VARGIFTSET', 'LOC1']);
my %shirt = (shopify => [1002, 1], woocommerce => [502],
             square => ['VARTSHIRT', 'LOC1']);
my %cap = (shopify => [1003, 1], woocommerce => [503],
           square => ['VARCAP', 'LOC1']);
my %poster = (shopify => [1005, 1], woocommerce => [505],
              square => ['VARPOSTER', 'LOC1']);
for my $ch (sort keys %mug) {
    is_deeply([map { InvsyncSim::quantity($sims, $ch, @$_) }
               $mug{$ch}, $set{$ch}, $shirt{$ch}, $cap{$ch}, $poster{$ch}],
              [18, 6, 8, 6, 11], "$ch shows 18 mugs (the restock), 8 "
              . 'T-shirts (one sold, one refunded), 6 caps (one sold), 6 '
              . 'gift sets (2 mugs and a cap each), 11 posters (one the 3PL '
              . 'shipped)');
}

my %stock = map { $_ => ctl_json('stock', 'get', $_) }
            qw(MUG TSHIRT CAP POSTER);
is_deeply([map { $_->{should_show} } @{$stock{MUG}{channels} || []}],
          [18, 18, 18], 'which is what the ledger says they should show')
    or diag(explain $stock{MUG});
my %on_hand = map { my $s = $_; map { ("$s\@$_" =>
                  $stock{$s}{locations}{$_}{on_hand}) }
                  sort keys %{$stock{$s}{locations} || {}} } keys %stock;
is_deeply(\%on_hand, { 'MUG@wh1' => 14, 'MUG@wh2' => 4, 'TSHIRT@wh1' => 5,
                       'TSHIRT@wh2' => 3, 'CAP@wh2' => 6, 'POSTER@wh3' => 11 },
          'on hand at each warehouse: 2 and 10 mugs and a cap shipped, the '
          . 'T-shirt shipped and restocked at wh1, nothing left reserved')
    or diag(explain \%on_hand);
is_deeply([map { $stock{$_}{unrouted} } sort keys %stock], [0, 0, 0, 0],
          'and no order waits for routing');

# the labels: one per shipment, the shipment id as reference
my $bought = InvsyncSim::state($sims, 'carrier')->{bought} || [];
my %label = map { $_->{reference} => $_ } @$bought;
is(scalar @$bought, 4, 'four labels bought: the sale, the oversold order '
   . 'once it could ship, the split order\'s two') or diag(explain $bought);
my @split = grep { /^shop-demo:\d+\@wh2$/ } keys %label;
my ($split) = map { /^(shop-demo:\d+)\@/ } @split;
$split //= 'none';
(my $split_id = $split) =~ s/^shop-demo://;
is_deeply([sort grep { /^\Q$split\E\@/ } keys %label],
          ["$split\@wh1", "$split\@wh2"],
          'the split order: one label at each warehouse');
ok($label{'woo-demo:5001@wh1'}, 'the oversold order shipped from wh1');

my $route = ctl_json('route', 'explain', $split);
is_deeply([$route->{status}, map { "$_->{sku}\@$_->{location}" }
           sort { $a->{sku} cmp $b->{sku} } @{$route->{allocation} || []}],
          ['routed', 'CAP@wh2', 'TSHIRT@wh1'],
          'routed: the T-shirt from Paris (first by the rule), the cap from '
          . 'Lyon (the only one with caps)') or diag(explain $route);

# tracking on the channels: the labels' tracking codes
my $shop = InvsyncSim::state($sims, 'shopify');
my %ful;
for my $f (@{$shop->{fulfillments} || []}) {
    push @{$ful{$f->{order_id}}}, join ',',
        (map { "$_->{quantity}x$_->{sku}" } @{$f->{lines}}),
        $f->{tracking}[0]{number} // 'none';
}
my %code = map { $_ => ($label{"$split\@$_"} || {})->{tracking_code} // '' }
           qw(wh1 wh2);
is_deeply([sort @{$ful{$split_id} || []}],
          [sort "1xCAP,$code{wh2}", "1xTSHIRT,$code{wh1}"],
          'two fulfilments on the Shopify order, each with its label\'s '
          . 'tracking') or diag(explain $shop->{fulfillments});
is(scalar(map { @$_ } values %ful), 3, 'and one for the first sale');
my ($woo) = grep { $_->{id} == 5001 }
    @{InvsyncSim::state($sims, 'woocommerce')->{shipped} || []};
is_deeply([$woo->{status}, map { $_->{tracking_number} }
           @{$woo->{trackings} || []}],
          ['completed', $label{'woo-demo:5001@wh1'}{tracking_code}],
          'the WooCommerce order completed with its tracking')
    or diag(explain $woo);

# the 3PL: the poster's order sent to it once, shipped by it, its tracking
# on the WooCommerce order
my ($sb) = grep { $_->{reference_id} =~ /^woo-demo:\d+\@wh3$/ }
           @{InvsyncSim::state($sims, '3pl')->{orders} || []};
my ($sb_order) = ($sb->{reference_id} // '') =~ /^woo-demo:(\d+)\@/;
my $sb_track = ($sb->{tracking} || {})->{tracking_number};
ok($sb && $sb->{creates} == 1 && $sb->{status} eq 'Fulfilled' && $sb_track,
   'the poster\'s order sent to the 3PL once, and shipped by it')
    or diag(explain $sb);
my ($woo3) = grep { $_->{id} == ($sb_order // -1) }
    @{InvsyncSim::state($sims, 'woocommerce')->{shipped} || []};
is_deeply([$woo3->{status}, map { $_->{tracking_number} }
           @{$woo3->{trackings} || []}],
          ['completed', $sb_track // 'none'],
          'its WooCommerce order completed with the 3PL\'s tracking')
    or diag(explain $woo3);

# the refund: restocked where the line shipped from, once
my $audit = ctl_json('audit', '--order', $split);
my @restock = map { decode_json($_->{decision}) }
              grep { ($_->{action} // '') eq 'refund.restock' }
              @{$audit->{entries} || []};
is_deeply([map { @$_{qw(sku quantity restock location)} } @restock],
          ['TSHIRT', 1, JSON::PP::true, 'wh1'],
          'one refund.restock: the T-shirt back at wh1') or diag(explain $audit);
is($restock[0]{location_from}, 'shipped', 'because it shipped from there');

# the journal: the refund's entry and the restock's, balanced
my $day = POSIX::strftime('%Y-%m-%d', gmtime);
my $tb = ctl_json('journal', 'trial-balance', '--from', $day, '--to', $day);
my $eur = $tb->{currencies}{EUR} || {};
is_deeply([map { "$_->{account} $_->{balance_minor}" }
           sort { $a->{code} cmp $b->{code} } @{$eur->{accounts} || []}],
          ['inventory 800', 'refunds_payable -1900', 'sales_returns 1900',
           'cost_of_goods -800'],
          'the journal: 19.00 of revenue reversed and owed back, the T-shirt '
          . 'back in inventory at its cost of 8.00') or diag(explain $tb);
is_deeply([@$eur{qw(debit_minor credit_minor balance_minor)}],
          [2700, 2700, 0], 'it balances') or diag(explain $tb);

my $ex = ctl_json('exceptions', 'list');
my @over = grep { $_->{kind} eq 'oversold' } @{$ex->{exceptions} || []};
is(scalar @over, 1, 'one oversold exception is open') or diag(explain $ex);
is_deeply([map { $_->{kind} } @{$ex->{exceptions} || []}], ['oversold'],
          'and no other (the unroutable one closed when the order was '
          . 'routed; no label or tracking failed)') or diag(explain $ex);
my $shown = @over ? ctl_json('exceptions', 'show', $over[0]{id}) : {};
is($shown->{data}{short}, 2, 'short by 2 mugs') or diag(explain $shown);

# the console the story points to shows the same exception
my $api = $t->get('/console/api/exceptions?kind=oversold');
my $rows = $api->{status} == 200
           ? (eval { decode_json($api->{content})->{rows} } || []) : [];
is_deeply([map { $_->{id} } @$rows], [map { $_->{id} } @over],
          'the console lists it') or diag("$api->{status} $api->{content}");

# and the newcomer acts on it there, as the demo's operator: a session,
# its token, and a resolve with a reason
my $page = $t->get('/console/');
my ($cookie) = ($page->{headers}{'set-cookie'} // '')
    =~ /^(invsync_console=[0-9a-f]{64});/;
my $session = $cookie ? $t->get('/console/api/session', Cookie => $cookie)
                      : { content => '{}' };
my $csrf = (eval { decode_json($session->{content}) } || {})->{csrf} // '';
my $act = $t->post('/console/api/exception/resolve',
    encode_json({ id => $over[0]{id} // '', reason => 'restocked, shipped' }),
    'Content-Type' => 'application/json', Cookie => $cookie // '',
    'X-Invsync-Csrf' => $csrf);
my $after = @over ? ctl_json('exceptions', 'show', $over[0]{id}) : {};
is_deeply([$act->{status}, @$after{qw(state resolved_by resolution)}],
          [200, 'resolved', 'demo', 'restocked, shipped'],
          'the oversold exception resolved through the console, by the '
          . 'demo\'s operator, with the reason') or diag($act->{content});

# and its SKU view what each channel shows and should show, as invsyncctl
my %view;
for my $sku (qw(MUG GIFT-SET)) {
    my $r = $t->get("/console/api/sku?sku=$sku");
    my $d = $r->{status} == 200 ? (eval { decode_json($r->{content}) } || {})
                                : {};
    $view{$sku} = [sort map { "$_->{channel} $_->{shows} $_->{should_show}" }
                   @{$d->{channels} || []}];
}
my $gift = ctl_json('stock', 'get', 'GIFT-SET');
is_deeply(\%view, {
    MUG => [sort map { "$_->{channel} $_->{shown} $_->{should_show}" }
            @{$stock{MUG}{channels} || []}],
    'GIFT-SET' => [sort map { "$_->{channel} $_->{shown} $_->{should_show}" }
                   @{$gift->{channels} || []}] },
    'the console\'s SKU view: what each channel shows and should show, as '
    . 'invsyncctl stock get says') or diag(explain \%view);

my @created = grep { my %f = @{$_->[1]}; ($f{topic} // '') eq 'orders/create' }
               @{$t->redis('XRANGE', 'invsync:orders', '-', '+') || []};
is(scalar @created, 2, 'two Shopify orders stored: the duplicate was not');

# ---- a second run restarts cleanly ----

my $first = pids();
($rc, $out) = demo();
is($rc, 0, 'a second run restarts and plays the story again') or diag($out);
my $second = pids();
my @same = grep { ($first->{$_} // '') eq ($second->{$_} // '') } @PIDFILES;
is_deeply(\@same, [], 'with new processes');
ok(!(grep { alive($_) } values %$first), 'the first run\'s are gone');

# ---- stop: what it started, nothing else ----

($rc, $out) = demo('stop');
is($rc, 0, 't/demo/run stop') or diag($out);
ok(!(grep { alive($_) } values %$second), 'every process it started stopped')
    or diag(explain $second);
ok(!(grep { -e "$dir/$_" } @PIDFILES), 'and their pidfiles are removed');

# a pidfile left naming a process that is not the demo's (a pid reused)
my $other = fork // die "fork: $!";
if ($other == 0) { exec 'sleep', '60' or POSIX::_exit(127) }
$t->write_file('demo/redis.pid', "$other\n");
demo('stop');
ok(alive($other), 'a process that is not the demo\'s is left alone');
kill 'TERM', $other;
waitpid($other, 0);
