-- One SKU: its ledger per location, its own data, each channel it is
-- mapped on with what that channel last acknowledged showing and whether
-- a push is due, the last drift a reconciliation saw there, and its
-- recent audit.
--
-- ARGV[1]  K, ARGV[2] SKU

local sku = ARGV[2]
local stock = fields(redis.call('HGETALL', K .. 'stock:' .. sku))
local locations, names = {}, {}

for f, v in pairs(stock) do
    local what, loc = string.match(f, '^([a-z_]+):(.+)$')
    if what == 'on_hand' or what == 'reserved' then
        if locations[loc] == nil then
            locations[loc] = { location = loc, on_hand = 0, reserved = 0 }
            names[#names + 1] = loc
        end
        locations[loc][what] = tonumber(v) or 0
    end
end

table.sort(names)

local ledger = {}
for _, loc in ipairs(names) do
    ledger[#ledger + 1] = locations[loc]
end

local trail = audit(K .. 'audit:sku:' .. sku, 50)
local channels = {}
local map = fields(redis.call('HGETALL', K .. 'skumap:' .. sku))
local chnames = {}

for ch in pairs(map) do
    chnames[#chnames + 1] = ch
end

table.sort(chnames)

for _, ch in ipairs(chnames) do
    local c = {
        channel = ch, ids = map[ch],
        shows = tonumber(redis.call('HGET', K .. 'shown:' .. ch, sku)),
        push_due = redis.call('SISMEMBER', K .. 'dirty:' .. ch, sku) == 1,
        forced = redis.call('SISMEMBER', K .. 'force:' .. ch, sku) == 1
    }
    for _, a in ipairs(trail) do
        if a['action'] == 'stock.drift' and a['channel'] == ch then
            c['drift'] = { ts = tonumber(a['ts']),
                           shows = tonumber(a['shows']),
                           should_show = tonumber(a['should_show']) }
            break
        end
    end
    channels[#channels + 1] = c
end

local known = redis.call('SISMEMBER', K .. 'skus', sku) == 1
              or #names > 0 or #chnames > 0

local own = fields(redis.call('HGETALL', K .. 'sku:' .. sku))

return json({
    sku = sku, known = known, ledger = list(ledger),
    unrouted = tonumber(stock['unrouted']) or 0, attributes = own,
    channels = list(channels), audit = list(trail)
})
