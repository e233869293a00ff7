#!/usr/bin/perl

# The invsync_status location: exact counters per channel, per result and
# per refusal reason after a known mix of requests on two channels, as JSON
# and as Prometheus text; with four worker processes every worker adds to
# the same counters (40 events on 40 connections show 40), and the counters
# survive a reload.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);

my $secret = 'hush';

my $t = InvsyncTest->setup(
    secrets => { 'hook.secret' => $secret },
    workers => 4,
    http => <<'HTTP', locations => <<'EOF');
    log_format pids '$pid $invsync_result';
HTTP
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-a;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            access_log %%TESTDIR%%/logs/access.log pids;
        }

        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-b;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location = /status {
            invsync_status;
        }
EOF

$t->run;
$t->wait_ready(4) or die "redis not ready in 4 workers\n";
$t->plan(18);

my $n = 0;

sub shop {
    my (%o) = @_;
    my $body = $o{body} // sprintf '{"id":%d}', ++$n;
    my $id = $o{id} // "wh-$n";
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => $o{sig}
                        // hmac_b64($body, $secret),
                    'X-Shopify-Topic' => 'orders/create',
                    'X-Shopify-Webhook-Id' => $id);
}

sub woo {
    my ($body) = @_;
    return $t->post('/hooks/woo', $body,
                    'X-WC-Webhook-Signature' => hmac_b64($body, $secret),
                    'X-WC-Webhook-Topic' => 'order.updated',
                    'X-WC-Webhook-Resource' => 'order');
}

sub status {
    my $r = $t->get('/status');
    return $r->{content} if $r->{status} == 200;
    return "$r->{status} $r->{content}";
}

# the counters of one channel
sub counters {
    my (%c) = @_;
    my %z = map { $_ => 0 } qw(method signature timestamp format redis_down
                               redis_timeout redis_error internal
                               unusable redis_epoch);
    return { accepted => 0, duplicate => 0, ignored => 0, rejected => 0,
             error => 0, %c, reasons => { %z, %{$c{reasons} || {}} } };
}

###############################################################################
# a known mix

my @codes;
push @codes, shop()->{status} for 1 .. 3;                      # accepted
push @codes, shop(body => '{"id":1}', id => 'wh-1')->{status}; # duplicate
push @codes, shop(body => '{"id":2}', id => 'wh-2')->{status}; # duplicate
push @codes, shop(sig => hmac_b64('x', $secret))->{status};    # signature
push @codes, shop(sig => 'AAAA')->{status};                    # signature
push @codes, shop(body => 'not json')->{status};               # format
push @codes, $t->get('/hooks/shopify')->{status};              # method

push @codes, $t->post('/hooks/woo', 'webhook_id=5', 'Content-Type' =>
                      'application/x-www-form-urlencoded')->{status}; # ping
push @codes, woo('{"id":9,"date_modified_gmt":"2024-01-01T00:00:00"}')
                 ->{status};                                    # accepted
push @codes, woo('[1,')->{status};                              # format

is("@codes", '200 200 200 200 200 401 401 400 405 200 200 400',
   'the mix answered as expected');

my $r = $t->get('/status');
is($r->{headers}{'content-type'}, 'application/json', 'status is JSON');
my $j = eval { decode_json($r->{content}) } // {};
is_deeply($j->{channels}, {
    'shop-a' => counters(accepted => 3, duplicate => 2, rejected => 4,
                         reasons => { signature => 2, format => 1,
                                      method => 1 }),
    'woo-b' => counters(accepted => 1, ignored => 1, rejected => 1,
                        reasons => { format => 1 }),
}, 'JSON counters per channel, result and reason') or diag($r->{content});
is_deeply($j->{redis}, { connects => 4, disconnects => 0, noscript => 0,
                         epoch_lost => 0, epoch => 'ok' },
          'redis counters: one connection per worker, the epoch seen');
like($r->{content}, qr/^\{"redis":\{.*\},"channels":\{"shop-a":\{.*\},"woo-b":\{.*\}\},"workers":\[\]\}\n$/,
     'channels in configuration order');

$r = $t->get('/status?format=prometheus');
is($r->{status}, 200, 'prometheus answered');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'prometheus content type');
my %p = map { /^(\S+) (\d+)$/ ? ($1 => $2) : () } split /\n/, $r->{content};
my $req = 'invsync_requests_total';
is_deeply([map { $p{qq($req\{channel="shop-a",result="$_"\})} // '-' }
           qw(accepted duplicate ignored rejected error)],
          [3, 2, 0, 4, 0], 'prometheus requests of shop-a')
    or diag($r->{content});
is_deeply([map { $p{qq($req\{channel="woo-b",result="$_"\})} // '-' }
           qw(accepted duplicate ignored rejected error)],
          [1, 0, 1, 1, 0], 'prometheus requests of woo-b');
is($p{'invsync_refusals_total{channel="shop-a",reason="signature"}'}, 2,
   'prometheus refusals');
like($r->{content}, qr/^# TYPE invsync_requests_total counter$/m,
     'prometheus TYPE line');
is_deeply([@p{qw(invsync_redis_connects_total invsync_redis_epoch_lost_total
               invsync_redis_epoch_lost)}], [4, 0, 0],
          'prometheus redis connects, the epoch never lost');

###############################################################################
# four workers, one set of counters

my @a = $t->parallel(map {
    my $b = sprintf '{"id":%d}', 1000 + $_;
    [['POST', '/hooks/shopify', $b, {
        'X-Shopify-Hmac-Sha256' => hmac_b64($b, $secret),
        'X-Shopify-Topic' => 'orders/create',
        'X-Shopify-Webhook-Id' => "par-$_" }]]
} 1 .. 40);
is(scalar(grep { $_->{status} == 200 && $_->{content} =~ /"accepted"/ } @a),
   40, '40 parallel events accepted');
$j = eval { decode_json(status()) } // {};
is($j->{channels}{'shop-a'}{accepted}, 43,
   'status shows all 40 more, whichever worker took them');

my %pids = map { (split / /)[0] => 1 }
           grep { / accepted$/ } split /\n/, $t->read_file('logs/access.log');
note('workers that accepted: ' . scalar keys %pids);
cmp_ok(scalar keys %pids, '>=', 1, 'access log names the workers');

###############################################################################
# reload

my $from = length $t->error_log;
$t->reload;
$t->wait_ready(4, $from) or diag('new workers not ready');
$j = eval { decode_json(status()) } // {};
is_deeply($j->{channels}{'shop-a'},
          counters(accepted => 43, duplicate => 2, rejected => 4,
                   reasons => { signature => 2, format => 1, method => 1 }),
          'counters survive a reload');
is($j->{redis}{connects}, 8, 'new workers connected');

shop();
$j = eval { decode_json(status()) } // {};
is($j->{channels}{'shop-a'}{accepted}, 44, 'and keep counting');

$t->done;
