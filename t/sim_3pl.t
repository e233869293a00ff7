#!/usr/bin/perl

# The 3PL simulator (t/lib/InvsyncSim/ThreePL.pm, after ShipBob's Orders
# API) through real HTTP: Bearer token, the shipbob_channel_id header,
# validation errors as ProblemDetails, an order created once per
# reference_id (422 the second time) and found again by ReferenceIds, get,
# cancel before and after shipping; the control call "ship" sending
# order.shipped back through a real nginx with the module, signed as
# Standard Webhooks (the "standard" scheme) and, configured, with the
# generic "hmac" scheme: on time, late, twice (one event: a duplicate),
# never (the client must ask); a wrong secret refused with 401; 429 and 5xx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncSim;

my $J = JSON::PP->new->canonical;
my $std = 'whsec_' . encode_base64('the 3pl webhook key, 32 bytes!!!', '');
my $raw = 'hmac-3pl-s3cret';

my $t = InvsyncTest->setup(
    secrets => { '3pl.secret' => $std, '3pl-hmac.secret' => $raw },
    locations => <<'EOF');
        location = /hooks/3pl {
            invsync_webhook standard;
            invsync_channel shipbob;
            invsync_secret_file %%TESTDIR%%/3pl.secret;
        }

        location = /hooks/3pl-hmac {
            invsync_webhook hmac;
            invsync_channel shipbob-hmac;
            invsync_secret_file %%TESTDIR%%/3pl-hmac.secret;
            invsync_hmac_header X-Signature;
            invsync_hmac_encoding hex;
            invsync_id_header webhook-id;
            invsync_topic_header x-webhook-topic;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(50);

my $hook = 'http://127.0.0.1:' . $t->port('http');
my $base = InvsyncSim::start($t, '3pl', token => 'sb_pat_sim',
    channel_id => 4242, webhook_secret => $std,
    webhook_url => "$hook/hooks/3pl",
    items => [{ reference_id => 'MUG', name => 'Mug' }]);
my $http = HTTP::Tiny->new(timeout => 5);

sub sb {
    my ($method, $path, $data, %o) = @_;
    my %h = ('Content-Type' => 'application/json');
    $h{Authorization} = "Bearer " . ($o{token} // 'sb_pat_sim')
        unless exists $o{token} && !defined $o{token};
    $h{shipbob_channel_id} = $o{channel} // 4242
        unless exists $o{channel} && !defined $o{channel};
    my $r = $http->request($method, "$base/2026-07$path", {
        headers => \%h,
        (defined $data ? (content => ref $data ? $J->encode($data) : $data)
                       : ()) });
    my $d = eval { $J->decode($r->{content}) };
    return ($r, $d);
}

sub order {
    my ($ref, %o) = @_;
    return { reference_id => $ref, order_number => "#$ref",
             shipping_method => 'Standard', type => 'DTC',
             recipient => { name => 'John Doe', email => 'jd@example.com',
                 address => { address1 => '100 N Racine Ave',
                              city => 'Chicago', state => 'IL',
                              country => 'US', zip_code => '60607' } },
             products => [{ reference_id => 'MUG', quantity => 2 }], %o };
}

sub other_len { $t->redis('XLEN', 'invsync:other') // 0 }

# auth and the channel header

my ($r, $d) = sb('POST', '/order', order('1001'), token => undef);
is($r->{status}, 401, 'no token: 401');
($r, $d) = sb('POST', '/order', order('1001'), token => 'sb_pat_wrong');
is($r->{status}, 401, 'wrong token: 401');
($r, $d) = sb('POST', '/order', order('1001'), channel => undef);
ok($r->{status} == 400 && $d->{errors}{shipbob_channel_id},
   'create without shipbob_channel_id: 400 naming it');
($r, $d) = sb('POST', '/order', order('1001'), channel => 7);
is($r->{status}, 403, 'another channel: 403');

# validation

my $bad = order('1001');
delete $bad->{recipient}{address}{address1};
$bad->{products} = [{ reference_id => 'NEW-SKU', quantity => 0 }];
($r, $d) = sb('POST', '/order', $bad);
is($r->{status}, 400, 'invalid order: 400');
is($d->{title}, 'One or more validation errors occurred.', 'ProblemDetails');
is_deeply([sort keys %{$d->{errors}}],
          ['products[0].name', 'products[0].quantity',
           'recipient.address.address1'], 'errors name each field');
is_deeply(InvsyncSim::state($t, '3pl')->{orders}, [], 'nothing created');

# create, once per reference_id

($r, $d) = sb('POST', '/order', order('1001'));
is($r->{status}, 201, 'order created: 201');
my $o1 = $d;
is_deeply([$d->{status}, $d->{shipments}[0]{status}, $d->{channel}{id}],
          ['Processing', 'Processing', 4242], 'processing, on our channel');
is($d->{products}[0]{reference_id}, 'MUG', 'the line');
($r, $d) = sb('POST', '/order', order('1001'));
is($r->{status}, 422, 'the same reference_id again: 422');
is($d->{title}, 'Duplicate reference ID', '422 says why');
($r, $d) = sb('GET', '/order?ReferenceIds=1001');
is(scalar @$d, 1, 'found again by ReferenceIds');
is($d->[0]{id}, $o1->{id}, 'the first order');
is($r->{headers}{'total-count'}, 1, 'total-count header');
is(InvsyncSim::state($t, '3pl')->{orders}[0]{creates}, 2,
   'control: created twice, one order');

($r, $d) = sb('GET', "/order/$o1->{id}", undef, channel => undef);
is($r->{status}, 200, 'get by id (no channel header needed)');
($r, $d) = sb('GET', '/order/1');
is($r->{status}, 404, 'unknown order: 404');

# a create whose answer is lost: the retry's 422, then the lookup

InvsyncSim::fail($t, '3pl', mode => 'delay', delay_ms => 6000,
                 match => '/order$');
my $quick = HTTP::Tiny->new(timeout => 2);
$r = $quick->request('POST', "$base/2026-07/order", {
    headers => { Authorization => 'Bearer sb_pat_sim', shipbob_channel_id => 4242,
                 'Content-Type' => 'application/json' },
    content => $J->encode(order('1000')) });
is($r->{status}, 599, 'the client timed out on the create');
($r, $d) = sb('POST', '/order', order('1000'));
is($r->{status}, 422, 'its retry: 422, the order exists');
($r, $d) = sb('GET', '/order?ReferenceIds=1000');
ok(@$d == 1 && $d->[0]{status} eq 'Processing', 'found by its reference');

# ship: the signed webhook through nginx

my $n0 = other_len();
my $w0 = 0;
InvsyncSim::call($t, '3pl', 'ship', reference_id => '1001',
                 tracking_number => '9400111', carrier => 'USPS');
my $w = InvsyncSim::wait_webhooks($t, '3pl', 1, since => $w0);
is(scalar @$w, 1, 'one order.shipped delivery');
is($w->[0]{status}, 200, 'nginx accepted it (standard scheme)');
is(other_len(), $n0 + 1, 'one event in Redis');
my $ev = $t->redis('XRANGE', 'invsync:other', '-', '+')->[-1][1];
my %ev = @$ev;
is($ev{event}, $w->[0]{headers}{'webhook-id'}, 'event id: webhook-id');
my $body = $J->decode($ev{body});
is_deeply([@{$body->{tracking}}{qw(carrier tracking_number)},
           $body->{reference_id}, $body->{status}],
          ['USPS', '9400111', '1001', 'Completed'],
          'payload: the shipment with its tracking');
($r, $d) = sb('GET', "/order/$o1->{id}");
is_deeply([$d->{status}, $d->{shipments}[0]{tracking}{tracking_number}],
          ['Fulfilled', '9400111'], 'GET shows it shipped');
($r, $d) = sb('POST', "/order/$o1->{id}/cancel");
ok($r->{status} == 200 && $d->{status} eq 'Failure'
   && !$d->{canceled_shipment_results}[0]{is_success},
   'cancel after shipping: Failure');

# twice: the same event delivered again is a duplicate

sb('POST', '/order', order('1002'));
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
$n0 = other_len();
InvsyncSim::call($t, '3pl', 'ship', reference_id => '1002', times => 2,
                 gap_ms => 200);
$w = InvsyncSim::wait_webhooks($t, '3pl', 2, since => $w0);
is(scalar @$w, 2, 'two deliveries');
is($w->[0]{headers}{'webhook-id'}, $w->[1]{headers}{'webhook-id'},
   'with one webhook-id');
is(other_len(), $n0 + 1, 'one event stored: the second was a duplicate');

sb('POST', '/order', order('1003'));
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
InvsyncSim::call($t, '3pl', 'ship', reference_id => '1003', times => 2,
                 same_id => JSON::PP::false);
$w = InvsyncSim::wait_webhooks($t, '3pl', 2, since => $w0);
isnt($w->[0]{headers}{'webhook-id'}, $w->[1]{headers}{'webhook-id'},
     'same_id false: two distinct events');

# late, and never

sb('POST', '/order', order('1004'));
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
my $t0 = time;
InvsyncSim::call($t, '3pl', 'ship', reference_id => '1004', delay_ms => 3000);
is(scalar @{InvsyncSim::webhooks($t, '3pl', $w0)}, 0, 'late: nothing yet');
$w = InvsyncSim::wait_webhooks($t, '3pl', 1, since => $w0, timeout => 10);
ok(@$w == 1 && $w->[0]{time} - $t0 >= 2.9 && $w->[0]{status} == 200,
   'late: delivered after the delay, signed when sent');

sb('POST', '/order', order('1005'));
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
my $a = InvsyncSim::call($t, '3pl', 'ship', reference_id => '1005',
                         notify => JSON::PP::false);
is($a->{deliveries}, 0, 'never: no delivery queued');
ok(InvsyncSim::settle($t, '3pl')
   && !@{InvsyncSim::webhooks($t, '3pl', $w0)}, 'never: none sent');
($r, $d) = sb('GET', '/order?ReferenceIds=1005');
is($d->[0]{shipments}[0]{status}, 'Completed', 'never: GET shows it shipped');

# cancel before shipping

($r, $d) = sb('POST', '/order', order('1006'));
my $o6 = $d;
($r, $d) = sb('POST', "/order/$o6->{id}/cancel");
ok($r->{status} == 200 && $d->{status} eq 'Success'
   && $d->{order}{status} eq 'Cancelled', 'cancel: Success, Cancelled');
($r, $d) = sb('POST', "/order/$o6->{id}/cancel");
is($d->{status}, 'Success', 'cancel again: Success');
ok(!eval { InvsyncSim::call($t, '3pl', 'ship', order_id => $o6->{id}); 1 }
   && $@ =~ /409/, 'control: a cancelled order cannot ship');

# the hmac scheme, and a wrong secret

InvsyncSim::configure($t, '3pl', signing => 'hmac', webhook_secret => $raw,
                      webhook_url => "$hook/hooks/3pl-hmac");
sb('POST', '/order', order('1007'));
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
InvsyncSim::call($t, '3pl', 'ship', reference_id => '1007');
$w = InvsyncSim::wait_webhooks($t, '3pl', 1, since => $w0);
is($w->[0]{status}, 200, 'hmac scheme: accepted');
$ev = $t->redis('XRANGE', 'invsync:other', '-', '+')->[-1][1];
%ev = @$ev;
is_deeply([@ev{qw(channel topic event)}],
          ['shipbob-hmac', 'order.shipped', $w->[0]{headers}{'webhook-id'}],
          'hmac: channel, topic from x-webhook-topic, id from webhook-id');

InvsyncSim::configure($t, '3pl', webhook_secret => 'not-the-secret',
                      webhook_retries => []);
sb('POST', '/order', order('1008'));
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
$n0 = other_len();
InvsyncSim::call($t, '3pl', 'ship', reference_id => '1008');
$w = InvsyncSim::wait_webhooks($t, '3pl', 1, since => $w0);
is($w->[0]{status}, 401, 'wrong secret: nginx refuses with 401');
is(other_len(), $n0, 'nothing stored');

# auto_ship: the warehouse ships each order after_ms after it came, its
# notice twice with two webhook ids (the fault run's 3PL)

InvsyncSim::configure($t, '3pl', auto_ship => { after_ms => 300, times => 2,
                                                same_id => JSON::PP::false });
$w0 = InvsyncSim::webhooks($t, '3pl')->[-1]{n};
($r, $d) = sb('POST', '/order', order('1009'));
ok($r->{status} == 201 && $d->{status} eq 'Processing',
   'auto_ship: created, not shipped yet');
$w = InvsyncSim::wait_webhooks($t, '3pl', 2, since => $w0);
ok(@$w == 2 && $w->[0]{headers}{'webhook-id'} ne $w->[1]{headers}{'webhook-id'},
   'auto_ship: two notices, two webhook ids');
my ($so) = grep { $_->{reference_id} eq '1009' }
           @{InvsyncSim::state($t, '3pl')->{orders}};
is_deeply([$so->{status}, $so->{products}],
          ['Fulfilled', [{ reference_id => 'MUG', quantity => 2 }]],
          'auto_ship: the order fulfilled; the state has its products');
InvsyncSim::configure($t, '3pl', auto_ship => undef);

# faults

InvsyncSim::fail($t, '3pl', mode => '429');
($r, $d) = sb('GET', '/order');
ok($r->{status} == 429 && $r->{headers}{'retry-after'} eq '60'
   && $d->{message} =~ /Rate limit/, '429 with Retry-After');
InvsyncSim::fail($t, '3pl', mode => '5xx', status => 502, body => 'html');
($r, $d) = sb('GET', '/order');
ok($r->{status} == 502 && $r->{headers}{'content-type'} =~ /html/,
   '502 as an HTML page');

$t->done;
