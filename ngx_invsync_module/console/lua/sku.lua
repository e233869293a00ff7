-- One SKU: its ledger per location, its own data, each channel it is
-- mapped on with what that channel last acknowledged showing, whether a
-- push is due, the last drift a reconciliation saw there and the
-- channel's stock rules (K stockrules, as its worker wrote them; the
-- module computes from them what the channel should show), the ledgers
-- of a bundle's components, and its recent audit.
--
-- ARGV[1]  K, ARGV[2] SKU

local sku = ARGV[2]

-- a K stock:<sku> hash as [{location, on_hand, reserved}] in name order,
-- and its unrouted
local function ledger_of(name)
    local stock = fields(redis.call('HGETALL', K .. 'stock:' .. name))
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
    local out = {}
    for _, loc in ipairs(names) do
        out[#out + 1] = locations[loc]
    end
    return out, tonumber(stock['unrouted']) or 0
end

local ledger, unrouted = ledger_of(sku)

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
        forced = redis.call('SISMEMBER', K .. 'force:' .. ch, sku) == 1,
        rules = redis.call('HGET', K .. 'stockrules', ch) or nil
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

local own = fields(redis.call('HGETALL', K .. 'sku:' .. sku))

-- a bundle: each component's quantity in it and its ledger
local components = {}
local comp = decoded(own['components'])

if type(comp) == 'table' then
    local cnames = {}
    for c in pairs(comp) do
        cnames[#cnames + 1] = c
    end
    table.sort(cnames)
    for _, c in ipairs(cnames) do
        local l, u = ledger_of(c)
        components[#components + 1] = { sku = c, qty = tonumber(comp[c]),
                                         ledger = list(l), unrouted = u }
    end
end

local known = redis.call('SISMEMBER', K .. 'skus', sku) == 1
              or #ledger > 0 or #chnames > 0

return json({
    sku = sku, known = known, ledger = list(ledger),
    unrouted = unrouted, attributes = own,
    channels = list(channels), components = list(components),
    audit = list(trail)
})
