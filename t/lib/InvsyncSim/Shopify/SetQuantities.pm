package InvsyncSim::Shopify;

# The Shopify simulator's inventorySetQuantities mutation (§2.4): the input
# checked as GraphQL variables, @idempotent keys replayed or refused, user
# errors, and the quantities set.  Part of InvsyncSim::Shopify (loaded by
# InvsyncSim/Shopify.pm, whose helpers it uses), in a file of its own for
# its size.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Time::HiRes qw(time);

my @SHOPIFY_REASONS = qw(correction cycle_count_available damaged
    movement_canceled movement_created movement_received movement_updated
    other promotion quality_control received reservation_created
    reservation_deleted reservation_updated restock safety_stock shrinkage);


sub _varerr {
    my ($var, $type, $path, $why, $value) = @_;
    my $p = join '.', @$path;
    return { errors => [{
        message => "Variable \$$var of type $type was provided invalid value"
                   . (length $p ? " for $p" : '') . " ($why)",
        locations => [{ line => 1, column => 1 }],
        extensions => { value => $value,
                        problems => [{ path => $path, explanation => $why }] },
    }] };
}

sub _set_result {
    my ($group, @errors) = @_;
    return { data => { inventorySetQuantities => {
        inventoryAdjustmentGroup => $group, userErrors => \@errors } } };
}

sub _uerr {
    my ($field, $msg, $code) = @_;
    return { field => $field, message => $msg, code => $code };
}

my %SET_INPUT = map { $_ => 1 } qw(name reason referenceDocumentUri quantities);
my %SET_QTY = map { $_ => 1 }
              qw(inventoryItemId locationId quantity changeFromQuantity);

# inventorySetQuantities(input: $input) @idempotent(key: ...)
sub _gql_set {
    my ($S, $q, $v) = @_;
    my $c = $S->{conf};
    my $now = time;

    my ($args, $dir) = $q =~
        /\binventorySetQuantities\s*\(([^()]*)\)\s*(\@idempotent\s*\([^()]*\))?/s;
    return _gerr('simulator: cannot parse the inventorySetQuantities call',
                 'SIMULATOR_UNSUPPORTED') unless defined $args;
    my ($ivar) = $args =~ /^\s*input\s*:\s*\$(\w+)\s*$/;
    return _gerr('simulator: pass the input as a variable ($input); inline '
                 . 'input objects are not parsed', 'SIMULATOR_UNSUPPORTED')
        unless $ivar;
    return _gerr('The @idempotent directive is required for this mutation.',
                 'BAD_REQUEST') unless $dir;

    my $key;
    if ($dir =~ /\bkey\s*:\s*"((?:[^"\\]|\\.)*)"/) {
        $key = $1;
    } elsif ($dir =~ /\bkey\s*:\s*\$(\w+)/) {
        my $kv = $1;
        $key = $v->{$kv};
        return _varerr($kv, 'String!', [], 'Expected value to not be null',
                       $key) if !defined $key || ref $key;
    } else {
        return _gerr('The @idempotent directive is required for this mutation.',
                     'BAD_REQUEST');
    }
    return _gerr('Idempotency key must not be blank.', 'BAD_REQUEST')
        unless length $key;

    my $T = 'InventorySetQuantitiesInput!';
    my $input = $v->{$ivar};
    return _varerr($ivar, $T, [], 'Expected value to not be null', $input)
        unless ref $input eq 'HASH';
    for my $k (sort keys %$input) {
        return _varerr($ivar, $T, [$k], 'Field is not defined on '
                       . 'InventorySetQuantitiesInput', $input)
            unless $SET_INPUT{$k};
    }
    for my $k (qw(name reason quantities)) {
        return _varerr($ivar, $T, [$k], 'Expected value to not be null',
                       $input) unless defined $input->{$k};
    }
    return _varerr($ivar, $T, ['quantities'], 'Expected an array', $input)
        unless ref $input->{quantities} eq 'ARRAY';
    my $qs = $input->{quantities};
    for my $i (0 .. $#$qs) {
        my $e = $qs->[$i];
        return _varerr($ivar, $T, ['quantities', $i], 'Expected an object',
                       $input) unless ref $e eq 'HASH';
        for my $k (sort keys %$e) {
            return _varerr($ivar, $T, ['quantities', $i, $k], 'Field is not '
                           . 'defined on InventoryQuantityInput', $input)
                unless $SET_QTY{$k};
        }
        for my $k (qw(inventoryItemId locationId quantity)) {
            return _varerr($ivar, $T, ['quantities', $i, $k],
                           'Expected value to not be null', $input)
                unless defined $e->{$k};
        }
        for my $k (qw(quantity changeFromQuantity)) {
            next unless defined $e->{$k};
            return _varerr($ivar, $T, ['quantities', $i, $k], 'Could not '
                           . 'coerce value to Int', $input)
                if ref $e->{$k} || $e->{$k} !~ /^-?\d+$/;
        }
    }
    if (@$qs > $c->{max_quantities}) {
        return _gerr('The input array size of ' . @$qs . ' is greater than '
                     . "the maximum allowed of $c->{max_quantities}.",
                     'MAX_INPUT_SIZE_EXCEEDED');
    }

    # idempotency: keyed per shop, the input compared canonically
    my $fp = $JSON->encode($input);
    my $ent = $S->{idem}{$key};
    if ($ent && $now - $ent->{at} > $c->{idempotency_ttl}) {
        delete $S->{idem}{$key};
        $ent = undef;
    }
    if ($ent) {
        if ($ent->{fp} ne $fp) {
            $S->{note} = 'idempotency key mismatch';
            return _set_result(undef, _uerr(undef, 'The same idempotency key '
                . 'cannot be used with different operation parameters.',
                'IDEMPOTENCY_KEY_PARAMETER_MISMATCH'));
        }
        if ($ent->{pending_until} > $now) {
            $S->{note} = 'idempotency concurrent';
            return _set_result(undef, _uerr(undef, 'This request is currently '
                . 'in progress, please try again.',
                'IDEMPOTENCY_CONCURRENT_REQUEST'));
        }
        $S->{note} = 'idempotent replay';
        return $JSON->decode($ent->{out});
    }

    my $out = _set_apply($S, $input, $now);
    $S->{idem}{$key} = { fp => $fp, at => $now, out => $JSON->encode($out),
                         pending_until => $now + $S->{delay} };
    return $out;
}

sub _set_apply {
    my ($S, $input, $now) = @_;
    my $name = $input->{name};
    my @err;
    push @err, _uerr(['input', 'name'], "The quantity name must be either "
                     . "'available' or 'on_hand'.", 'INVALID_NAME')
        unless !ref $name && ($name eq 'available' || $name eq 'on_hand');
    push @err, _uerr(['input', 'reason'], 'The specified reason is invalid.',
                     'INVALID_REASON')
        unless !ref $input->{reason}
               && grep { $_ eq $input->{reason} } @SHOPIFY_REASONS;
    my $doc = $input->{referenceDocumentUri};
    push @err, _uerr(['input', 'referenceDocumentUri'], 'The specified '
                     . 'reference document is invalid.',
                     'INVALID_REFERENCE_DOCUMENT')
        if defined $doc && (ref $doc || $doc !~ m{^[a-z][a-z0-9+.-]*://\S+$}i);

    my (%seen, @todo);
    my $input_errors = @err;
    my $qs = $input->{quantities};
    for my $i (0 .. $#$qs) {
        my $e = $qs->[$i];
        my $before = @err;
        my $f = sub { ['input', 'quantities', "$i", $_[0]] };
        my $item = _gid('InventoryItem', $e->{inventoryItemId});
        my $loc = _gid('Location', $e->{locationId});
        if (!defined $item || !$S->{by_item}{$item}) {
            push @err, _uerr($f->('inventoryItemId'), 'The specified '
                . 'inventory item could not be found.',
                'INVALID_INVENTORY_ITEM');
            next;
        }
        if (!defined $loc || !$S->{locations}{$loc}) {
            push @err, _uerr($f->('locationId'), 'The specified location '
                . 'could not be found.', 'INVALID_LOCATION');
            next;
        }
        my $l = $S->{levels}{"$item/$loc"};
        if (!$l) {
            push @err, _uerr($f->('locationId'), 'The specified inventory '
                . 'item is not stocked at the location.',
                'ITEM_NOT_STOCKED_AT_LOCATION');
            next;
        }
        if ($seen{"$item/$loc"}++) {
            push @err, _uerr($f->('inventoryItemId'), 'The combination of '
                . 'inventoryItemId and locationId must be unique.',
                'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR');
            next;
        }
        my $qty = $e->{quantity};
        if ($qty > 1_000_000_000) {
            push @err, _uerr($f->('quantity'), "The quantity can't be higher "
                . 'than 1,000,000,000.', 'INVALID_QUANTITY_TOO_HIGH');
        } elsif ($qty < -1_000_000_000) {
            push @err, _uerr($f->('quantity'), "The quantity can't be lower "
                . 'than -1,000,000,000.', 'INVALID_QUANTITY_TOO_LOW');
        } elsif ($qty < 0 && ($name // '') eq 'on_hand') {
            push @err, _uerr($f->('quantity'), "The quantity can't be "
                . 'negative.', 'INVALID_QUANTITY_NEGATIVE');
        }
        if (!exists $e->{changeFromQuantity}) {
            push @err, _uerr($f->('changeFromQuantity'),
                'changeFromQuantity is required', 'INVALID');
        } elsif (defined $e->{changeFromQuantity} && !ref $name
                 && exists $l->{$name}
                 && $e->{changeFromQuantity} != $l->{$name}) {
            push @err, _uerr($f->('changeFromQuantity'), 'The specified '
                . 'changeFromQuantity does not match the current quantity.',
                'CHANGE_FROM_QUANTITY_STALE');
        }
        push @todo, [$l, $qty] if @err == $before;
    }
    if (@err) {
        $S->{note} = 'user errors: ' . join ',', map { $_->{code} } @err;
        # atomic (the default): one error refuses the whole mutation
        return _set_result(undef, @err)
            if $S->{conf}{atomic} || $input_errors || !@todo;
    }

    my $other = $name eq 'available' ? 'on_hand' : 'available';
    my @changes;
    for (@todo) {
        my ($l, $qty) = @$_;
        my $delta = $qty - $l->{$name};
        $l->{$name} = $qty + 0;
        $l->{$other} += $delta;
        push @changes,
            { name => $name, delta => $delta + 0,
              quantityAfterChange => $l->{$name} + 0 },
            { name => $other, delta => $delta + 0,
              quantityAfterChange => $l->{$other} + 0 };
        if ($delta) {
            $l->{updated_at} = _local_time($S, $now);
            _shopify_level_hook($S, $l, $now);
        }
    }
    my $gid = 'gid://shopify/InventoryAdjustmentGroup/' . ++$S->{groups};
    return _set_result({ id => $gid, createdAt => _utc_micro($now) =~ s/\.\d+Z$/Z/r,
                         reason => $input->{reason},
                         referenceDocumentUri => $doc, changes => \@changes },
                       @err);
}

1;
