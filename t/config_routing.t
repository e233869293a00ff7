#!/usr/bin/perl

# invsync-worker -t reads "locations" and "routing" (docs/routing.md):
# each mistake is refused with its JSON path and the reason, a complete
# configuration passes.  (t/config.t checks nginx -t; worker.json's
# refusals live beside t/config_channels.t's.)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use InvsyncTest;
use InvsyncWorker qw(worker_conf worker_bin);

my $t = InvsyncTest->new;
$t->write_file('carrier.key', "k\n");

my $key = $t->dir . '/carrier.key';
my @two = ({ id => 'wh-a' }, { id => 'wh-b' });
my @with_3pl = ({ id => 'shop-eu', type => 'shopify' },
                { id => 'woo-main', type => 'woocommerce' },
                { id => 'sb-us', type => 'shipbob',
                  api_base => 'https://api.shipbob.com/2026-07',
                  credentials_file => $key, options => { channel_id => 4242 } });

# [ name, locations, routing (undef: none), expected exit, output ]
my @cases = (
    [ 'locations not an array', { id => 'x' }, undef, 1,
      qr/\$\.locations: must be an array/ ],
    [ 'a location without id', [ { kind => 'manual' } ], undef, 1,
      qr/\$\.locations\[0\]\.id: is required/ ],
    [ 'two locations with one id', [ { id => 'a' }, { id => 'a' } ], undef,
      1, qr/\$\.locations\[1\]\.id: "a" is used by an earlier location/ ],
    [ 'an unknown location key', [ { id => 'a', colour => 'red' } ], undef,
      1, qr/\$\.locations\[0\]: unknown key "colour"/ ],
    [ 'an unknown kind', [ { id => 'a', kind => 'depot' } ], undef, 1,
      qr/\$\.locations\[0\]\.kind: unknown kind "depot"; one of warehouse, 3pl, manual/ ],
    [ 'a lowercase country', [ { id => 'a', address => { country => 'de' } } ],
      undef, 1,
      qr/\$\.locations\[0\]\.address\.country: "de" is no ISO 3166-1 alpha-2/ ],
    [ 'lat without lon', [ { id => 'a', address => { lat => 1 } } ], undef, 1,
      qr/\$\.locations\[0\]\.address\.lat: needs "lon" too/ ],
    [ 'lat out of range', [ { id => 'a', address => { lat => 91, lon => 0 } } ],
      undef, 1, qr/\$\.locations\[0\]\.address\.lat: must be between -90 and 90/ ],
    [ 'a bad cut-off', [ { id => 'a', cutoff => '25:00' } ], undef, 1,
      qr/\$\.locations\[0\]\.cutoff: "25:00" is no time of day/ ],
    [ 'an unknown time zone', [ { id => 'a', timezone => 'Mars/Olympus' } ],
      undef, 1, qr/\$\.locations\[0\]\.timezone: "Mars\/Olympus" is not in the time zone database/ ],
    [ 'a folder of the zone database', [ { id => 'a', timezone => 'Europe' } ],
      undef, 1, qr/\$\.locations\[0\]\.timezone: "Europe" is not in the time zone database/ ],
    [ 'an unknown channel', [ { id => 'a', channels => ['shop-xx'] } ], undef,
      1, qr/\$\.locations\[0\]\.channels: unknown channel "shop-xx"/ ],
    [ 'a capability twice', [ { id => 'a', capabilities => ['cold', 'cold'] } ],
      undef, 1, qr/\$\.locations\[0\]\.capabilities\[1\]: "cold" is listed twice/ ],
    [ 'fulfilment on a manual location',
      [ { id => 'a', fulfilment => { api_base => 'http://x/' } } ], undef, 1,
      qr/\$\.locations\[0\]\.fulfilment: a manual location takes no fulfilment keys/ ],
    [ 'an unreadable credentials file',
      [ { id => 'a', kind => 'warehouse',
          fulfilment => { credentials_file => '/nonexistent/key' } } ], undef,
      1, qr/\$\.locations\[0\]\.fulfilment\.credentials_file: "\/nonexistent\/key" cannot be read/ ],
    [ 'an unknown label provider',
      [ { id => 'a', kind => 'warehouse',
          fulfilment => { provider => 'pigeon' } } ], undef, 1,
      qr/\$\.locations\[0\]\.fulfilment\.provider: "pigeon" is not one of easypost/ ],
    [ 'a from address that is not an object',
      [ { id => 'a', kind => 'warehouse', fulfilment => { from => 'Lyon' } } ],
      undef, 1, qr/\$\.locations\[0\]\.fulfilment\.from: must be an object/ ],
    [ 'routing not an object', \@two, [], 1, qr/\$\.routing: must be an object/ ],
    [ 'routing without locations', undef, {}, 1,
      qr/\$\.routing: routes to the locations of \$\.locations, which has none/ ],
    [ 'an unknown routing key', \@two, { rule => [] }, 1,
      qr/\$\.routing: unknown key "rule"/ ],
    [ 'an unknown strategy', \@two,
      { rules => [ { name => 'a', when => { country => 'DE' } },
                   { name => 'b', when => { country => 'AT' } },
                   { name => 'c', strategy => 'x' } ] }, 1,
      qr/\$\.routing\.rules\[2\]\.strategy: unknown strategy "x"; one of priority, fewest_shipments, nearest, most_stock/ ],
    [ 'a rule without name', \@two, { rules => [ {} ] }, 1,
      qr/\$\.routing\.rules\[0\]\.name: is required/ ],
    [ 'two rules with one name', \@two,
      { rules => [ { name => 'a', when => { country => 'DE' } },
                   { name => 'a' } ] }, 1,
      qr/\$\.routing\.rules\[1\]\.name: "a" is used by rules\[0\]/ ],
    [ 'an unknown filter key', \@two,
      { rules => [ { name => 'a', when => { colour => 'red' } } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.when: unknown key "colour"/ ],
    [ 'country and countries', \@two,
      { rules => [ { name => 'a', when => { country => 'DE',
                                            countries => ['AT'] } } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.when\.country: give "country" or "countries", not both/ ],
    [ 'a default rule before the last', \@two,
      { rules => [ { name => 'all' }, { name => 'de', when => { country => 'DE' } } ] },
      1, qr/\$\.routing\.rules\[0\]\.when: matches every order, so the rules after it would never be reached/ ],
    [ 'an unknown required location', \@two,
      { rules => [ { name => 'a', require => ['wh-z'] } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.require: unknown location "wh-z"/ ],
    [ 'excluded and required', \@two,
      { rules => [ { name => 'a', require => ['wh-a'], exclude => ['wh-a'] } ] },
      1, qr/\$\.routing\.rules\[0\]\.exclude: "wh-a" is also in "require"/ ],
    [ 'max splits without splits', \@two,
      { rules => [ { name => 'a', split => { allowed => JSON::PP::false, max => 2 } } ] },
      1, qr/\$\.routing\.rules\[0\]\.split\.max: is above 1 but splits are not allowed/ ],
    [ 'max splits 0', \@two,
      { rules => [ { name => 'a', split => { max => 0 } } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.split\.max: must be between 1 and 1000/ ],
    [ 'min value above max value', \@two,
      { rules => [ { name => 'a', when => { min_value => 10, max_value => 5 } } ] },
      1, qr/\$\.routing\.rules\[0\]\.when\.min_value: is above max_value/ ],
    [ 'a fractional value', \@two,
      { rules => [ { name => 'a', when => { min_value => 9.99 } } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.when\.min_value: must be an integer >= 0, in the currency's minor units/ ],
    [ 'a rule for an unknown channel', \@two,
      { rules => [ { name => 'a', when => { channel => 'nope' } } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.when\.channels: unknown channel "nope"/ ],
    [ 'a bad rate', \@two,
      { rules => [ { name => 'a', rate => 'ups:' } ] }, 1,
      qr/\$\.routing\.rules\[0\]\.rate: "ups:": one of cheapest, fastest/ ],
    [ 'a postal point without prefix', \@two,
      { postal_coordinates => [ { country => 'DE', lat => 1, lon => 2 } ] }, 1,
      qr/\$\.routing\.postal_coordinates\[0\]\.prefix: is required/ ],
    [ 'a complete configuration', [
          { id => 'wh-berlin', kind => 'warehouse', name => 'Berlin',
            address => { country => 'DE', region => 'BE',
                         postal_code => '10115', lat => 52.53, lon => 13.38 },
            channels => ['shop-eu'], capabilities => ['hazmat'],
            priority => 10, cutoff => '14:30', timezone => 'Europe/Berlin',
            fulfilment => { api_base => 'http://127.0.0.1:9/',
                            credentials_file => $key } },
          { id => '3pl-us', kind => '3pl', active => JSON::PP::false,
            fulfilment => { channel => 'sb-us',
                            ask_after_s => 600, deadline_s => 86400 } },
          { id => 'shop-floor' } ],
      { rules => [
          { name => 'hazmat', when => { sku_tag => 'hazmat' },
            require => ['wh-berlin'], split => { allowed => JSON::PP::false } },
          { name => 'eu', when => { countries => ['DE', 'AT'],
                                    postal_prefixes => ['1', '20'],
                                    min_value => 0, max_value => 100000,
                                    channel => 'shop-eu',
                                    shipping_methods => ['express'] },
            prefer => ['wh-berlin'], exclude => ['shop-floor'],
            strategy => 'nearest', split => { max => 2 }, backorder => JSON::PP::true,
            rate => 'dhl:express' },
          { name => 'rest', strategy => 'fewest_shipments', rate => 'cheapest' } ],
        postal_coordinates => [ { country => 'DE', prefix => '10',
                                  lat => 52.5, lon => 13.4 } ] },
      0, qr/is valid/, \@with_3pl ],
    [ 'a 3pl location\'s unknown channel',
      [ { id => '3pl', kind => '3pl', fulfilment => { channel => 'nope' } } ],
      {}, 1,
      qr/\$\.locations\[0\]\.fulfilment\.channel: unknown channel "nope" \(not in \$\.channels\)/ ],
    [ 'a 3pl location through a store',
      [ { id => '3pl', kind => '3pl', fulfilment => { channel => 'woo-main' } } ],
      {}, 1,
      qr/\$\.locations\[0\]\.fulfilment\.channel: channel "woo-main" is of type "woocommerce", not a 3PL \(3PL types: shipbob\)/ ],
    [ 'a 3pl account without its API',
      [ { id => '3pl', kind => '3pl', fulfilment => { channel => 'sb-us' } } ],
      {}, 1,
      qr/\$\.locations\[0\]\.fulfilment\.channel: channel "sb-us" needs "api_base" and "credentials_file" to take orders/,
      [ { id => 'sb-us', type => 'shipbob', options => { channel_id => 1 } } ] ],
    [ 'a 3pl account without its channel_id',
      [ { id => '3pl', kind => '3pl' } ], undef, 1,
      qr/\$\.channels\[0\]: "options": "channel_id" is required/,
      [ { id => 'sb-us', type => 'shipbob' } ] ],
    [ 'a 3pl location with the API on the location',
      [ { id => '3pl', kind => '3pl',
          fulfilment => { api_base => 'https://3pl.example/' } } ], undef, 1,
      qr/\$\.locations\[0\]\.fulfilment: unknown key "api_base"/ ],
    [ 'locations without routing', [ { id => 'wh1' } ], undef, 0, qr/is valid/ ],
    # issue 10's routing bar runs 50; the ledger's arithmetic holds 256
    [ '50 locations routed', [ map { { id => "loc-$_" } } 1 .. 50 ], {}, 0,
      qr/is valid/ ],
    [ '257 locations', [ map { { id => "loc-$_" } } 1 .. 257 ], {}, 1,
      qr/\$\.locations: has 257 locations, at most 256 are supported/ ],
);

plan(tests => 2 * @cases);

my $n = 0;

for my $c (@cases) {
    my ($name, $locs, $routing, $want, $say, $chans) = @$c;
    my %over;
    $over{channels} = [ @{$chans // \@with_3pl} ];
    $over{locations} = $locs if defined $locs;
    $over{routing} = $routing if defined $routing;
    my $file = worker_conf($t, 'case' . $n++ . '.json', %over);
    my $out = `@{[worker_bin($t)]} -t -c $file 2>&1`;

    is($? >> 8, $want, "-t: $name: exit $want") or diag($out);
    like($out, $say, "-t: $name: says why") or diag($out);
}
