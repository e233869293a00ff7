-- The units a refund's lines take back of the order's lines, counted
-- once per refund line however often the refund comes, in parallel or
-- not: what a refund may restock is what was sold less what earlier
-- refunds already named (docs/returns.md, "Exceptions").
--
-- KEYS[1]  the order's hash <p>:{<p>}:refunded:<channel>:<order id>
-- ARGV[1]  its TTL, seconds
-- ARGV[2]  the refund, "<channel>:<refund id>"
-- ARGV[3]  and on: n, line, quantity, sold, one such four per refund
--          line (n: its place in the refund; line: the order line's
--          channel_line_id, else its SKU)
--
-- Returns, per four, {allowed, before, first}: the units of it that
-- may be restocked, the units refunded of the line before it, and 1 when
-- this call counted it (0: counted by an earlier delivery).

if #ARGV < 2 or (#ARGV - 2) % 4 ~= 0 then
    return redis.error_reply('refundqty: needs a TTL, a refund and '
                             .. 'n, line, quantity, sold fours')
end

local out = {}

for i = 3, #ARGV, 4 do
    local by = 'by:' .. ARGV[2] .. ':' .. ARGV[i]
    local seen = redis.call('HGET', KEYS[1], by)

    if seen then
        local allowed, before = string.match(seen, '^(%d+):(%d+)$')
        out[#out + 1] = {tonumber(allowed), tonumber(before), 0}
    else
        local units = 'units:' .. ARGV[i + 1]
        local qty = tonumber(ARGV[i + 2])
        local sold = tonumber(ARGV[i + 3])
        local had = redis.call('HGET', KEYS[1], units)
        local before = tonumber(had or '0')
        local allowed = math.max(0, math.min(qty, sold - before))

        redis.call('HINCRBY', KEYS[1], units, qty)
        redis.call('HSET', KEYS[1], by, allowed .. ':' .. before)
        out[#out + 1] = {allowed, before, 1}
    end
end

redis.call('EXPIRE', KEYS[1], ARGV[1])

return out
