#!/usr/bin/perl

# The carrier simulator (t/lib/InvsyncSim/Carrier.pm, EasyPost-shaped)
# through real HTTP: Basic auth with the key as user, a shipment's rates,
# field errors, buying a rate (label URL, tracking code, cost), buying twice
# refused, refund and its repeat, the list by purchased/time/page that a
# client uses to find a label it bought but lost the answer of (a "delay"
# fault: bought at once, answered late), 429 and 5xx bodies, the control
# state of what was bought and refunded.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use MIME::Base64 qw(encode_base64);
use POSIX qw(strftime);
use InvsyncTest;
use InvsyncSim;

my $J = JSON::PP->new->canonical;

my $t = InvsyncTest->new;
$t->plan(51);

my $base = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');
my $http = HTTP::Tiny->new(timeout => 5);

sub ep {
    my ($method, $path, $data, %o) = @_;
    my $key = exists $o{key} ? $o{key} : 'EZTK_sim';
    my %h = ('Content-Type' => 'application/json');
    $h{Authorization} = 'Basic ' . encode_base64("$key:", '') if defined $key;
    my $r = $http->request($method, "$base$path", {
        headers => \%h,
        (defined $data ? (content => ref $data ? $J->encode($data) : $data)
                       : ()) });
    my $d = eval { $J->decode($r->{content}) };
    return ($r, $d);
}

my %to = (name => 'Dr. Steve Brule', street1 => '179 N Harbor Dr',
          city => 'Redondo Beach', state => 'CA', zip => '90277',
          country => 'US');
my %from = (company => 'Warehouse East', street1 => '417 Montgomery Street',
            city => 'San Francisco', state => 'CA', zip => '94104',
            country => 'US');
my %parcel = (length => 20.2, width => 10.9, height => 5, weight => 65.9);

sub shipment {
    my (%o) = @_;
    return { shipment => { to_address => \%to, from_address => \%from,
                           parcel => \%parcel, %o } };
}

# auth

my ($r, $d) = ep('POST', '/v2/shipments', shipment(), key => undef);
is($r->{status}, 401, 'no credentials: 401');
is($d->{error}{code}, 'APIKEY.REQUIRED', '401 body in EasyPost shape');
($r, $d) = ep('POST', '/v2/shipments', shipment(), key => 'EZTK_wrong');
is($r->{status}, 401, 'wrong key: 401');
is(scalar @{InvsyncSim::state($t, 'carrier')->{shipments}}, 0,
   'nothing created without auth');

# create: rates

($r, $d) = ep('POST', '/v2/shipments', shipment(reference => 'ord-1-L1'));
is($r->{status}, 201, 'shipment created: 201');
like($d->{id}, qr/^shp_[0-9a-f]{32}$/, 'shipment id shp_…');
is($d->{reference}, 'ord-1-L1', 'reference kept');
is(scalar @{$d->{rates}}, 4, 'one rate per configured service');
my ($prio) = grep { $_->{service} eq 'Priority' } @{$d->{rates}};
is($prio->{rate}, sprintf('%.2f', 7.52 + 0.08 * 65.9),
   'rate: base + per ounce, a decimal string');
is_deeply([@$prio{qw(carrier currency shipment_id)}], ['USPS', 'USD', $d->{id}],
          'rate carrier, currency, shipment id');
ok(!defined $d->{postage_label} && !defined $d->{tracking_code},
   'no label before buying');
my $shp = $d;

# create: field errors

($r, $d) = ep('POST', '/v2/shipments',
              { shipment => { to_address => { %to, street1 => '' },
                              from_address => \%from,
                              parcel => { weight => 0 } } });
is($r->{status}, 422, 'invalid shipment: 422');
is($d->{error}{code}, 'SHIPMENT.INVALID_PARAMS', 'error code');
is_deeply([sort map { $_->{field} } @{$d->{error}{errors}}],
          ['shipment.parcel.weight', 'shipment.to_address.street1'],
          'FieldErrors name the fields');
($r, $d) = ep('POST', '/v2/shipments', '{not json');
is($r->{status}, 422, 'not JSON: 422');

# buy

($r, $d) = ep('POST', "/v2/shipments/$shp->{id}/buy", { rate => { id => 'rate_x' } });
is($r->{status}, 422, 'a rate of another shipment: 422');
is($d->{error}{code}, 'SHIPMENT.RATE.INVALID', 'rate invalid code');

($r, $d) = ep('POST', "/v2/shipments/$shp->{id}/buy", { rate => { id => $prio->{id} } });
is($r->{status}, 200, 'bought: 200');
like($d->{tracking_code}, qr/^9400\d{18}$/, 'USPS tracking code');
like($d->{postage_label}{label_url}, qr{^https://.*/pl_[0-9a-f]{32}\.png$},
     'label URL');
is($d->{selected_rate}{id}, $prio->{id}, 'selected rate');
like($d->{tracker}{public_url}, qr{^https://track\.easypost\.com/trk_},
     'tracker public URL');
my $code = $d->{tracking_code};

($r, $d) = ep('POST', "/v2/shipments/$shp->{id}/buy", { rate => { id => $prio->{id} } });
is($r->{status}, 422, 'buying again: 422');
is($d->{error}{code}, 'SHIPMENT.POSTAGE.EXISTS', 'postage exists');

($r, $d) = ep('GET', "/v2/shipments/$shp->{id}");
is($d->{tracking_code}, $code, 'GET shows the label');
($r, $d) = ep('GET', '/v2/shipments/shp_nope');
is($r->{status}, 404, 'unknown shipment: 404');
is($d->{error}{code}, 'NOT_FOUND', '404 code');

my $s = InvsyncSim::state($t, 'carrier');
is(scalar @{$s->{bought}}, 1, 'control: one purchase');
is_deeply([@{$s->{bought}[0]}{qw(reference carrier service tracking_code)}],
          ['ord-1-L1', 'USPS', 'Priority', $code], 'control: what was bought');

# a buy whose answer never arrives (the client gave up), found by reference

($r, $d) = ep('POST', '/v2/shipments', shipment(reference => 'ord-2-L1'));
my $shp2 = $d;
my ($ups) = grep { $_->{carrier} eq 'UPS' } @{$shp2->{rates}};
ep('POST', '/v2/shipments', shipment(reference => 'ord-3-L1'));
InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 6000,
                 match => '/buy$');
my $quick = HTTP::Tiny->new(timeout => 2);
$r = $quick->request('POST', "$base/v2/shipments/$shp2->{id}/buy", {
    headers => { Authorization => 'Basic ' . encode_base64('EZTK_sim:', ''),
                 'Content-Type' => 'application/json' },
    content => $J->encode({ rate => { id => $ups->{id} } }) });
is($r->{status}, 599, 'the client timed out on the buy');
($r, $d) = ep('GET', '/v2/shipments?purchased=true&page_size=100&start_datetime='
              . strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time - 3600)));
my @mine = grep { ($_->{reference} // '') eq 'ord-2-L1' } @{$d->{shipments}};
is(scalar @mine, 1, 'listed purchased shipments hold the lost one');
like($mine[0]{tracking_code}, qr/^1Z[0-9A-Z]{16}$/, 'with its UPS tracking code');
is(scalar(grep { $_->{reference} eq 'ord-3-L1' } @{$d->{shipments}}), 0,
   'unpurchased shipments left out by purchased=true');

($r, $d) = ep('GET', '/v2/shipments/ord-2-L1');
is($d->{id}, $shp2->{id}, 'the reference in place of the id finds it');
ok($d->{selected_rate} && $d->{tracking_code} eq $mine[0]{tracking_code},
   'bought, with its label: no second buy needed');
ep('POST', '/v2/shipments', shipment(reference => 'ord-2-L1'));
($r, $d) = ep('GET', '/v2/shipments/ord-2-L1');
is($d->{id}, $shp2->{id}, 'a newer unbought shipment with that reference: '
   . 'the bought one still answers');
($r, $d) = ep('POST', '/v2/shipments/ord-2-L1/buy', { rate => { id => $ups->{id} } });
is($d->{error}{code}, 'SHIPMENT.POSTAGE.EXISTS', 'buy by reference: refused');
is(scalar @{InvsyncSim::state($t, 'carrier')->{bought}}, 2,
   'control: two purchases in all');

($r, $d) = ep('GET', '/v2/shipments?page_size=3');
is(scalar @{$d->{shipments}}, 3, 'page_size');
ok($d->{has_more}, 'has_more');
is_deeply([map { $_->{reference} } @{$d->{shipments}}],
          ['ord-2-L1', 'ord-3-L1', 'ord-2-L1'], 'newest first');
($r, $d) = ep('GET', "/v2/shipments?page_size=3&before_id=$d->{shipments}[2]{id}");
is_deeply([map { $_->{reference} } @{$d->{shipments}}], ['ord-1-L1'],
          'before_id: the next page');
ok(!$d->{has_more}, 'last page');
($r, $d) = ep('GET', '/v2/shipments?page_size=500');
is($r->{status}, 422, 'page_size over 100: 422');

# refund (void)

($r, $d) = ep('POST', "/v2/shipments/$shp->{id}/refund");
is($r->{status}, 200, 'refund: 200');
is($d->{refund_status}, 'submitted', 'refund submitted');
($r, $d) = ep('POST', "/v2/shipments/$shp->{id}/refund");
is($r->{status}, 422, 'second refund: 422');
is(InvsyncSim::call($t, 'carrier', 'refund_status', shipment_id => $shp->{id},
                    status => 'refunded')->{refund_status}, 'refunded',
   'control: the carrier confirms the refund');
$s = InvsyncSim::state($t, 'carrier');
is_deeply([map { $_->{reference} } @{$s->{refunded}}], ['ord-1-L1'],
          'control: one refund');

# faults

InvsyncSim::fail($t, 'carrier', mode => '429', retry_after => 2);
($r, $d) = ep('GET', '/v2/shipments');
ok($r->{status} == 429 && $d->{error}{code} eq 'RATE_LIMITED'
   && $r->{headers}{'retry-after'} eq '2', '429 RATE_LIMITED with Retry-After');
InvsyncSim::fail($t, 'carrier', mode => '5xx', status => 500);
($r, $d) = ep('GET', '/v2/shipments');
ok($r->{status} == 500 && $d->{error}{code} eq 'INTERNAL_SERVER_ERROR',
   '500 in EasyPost shape');

$t->done;
