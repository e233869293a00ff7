-- A SKU's routing attributes set (or cleared), with the audit entry, in
-- one step: what order routing reads to match a location's capabilities
-- and to build a parcel.
--
-- KEYS[1]  sku:<sku>, the hash that also holds name and components
-- KEYS[2]  audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  the SKU
-- ARGV[5]  who sets them, ARGV[6] why
-- ARGV[7]  and on: field, value pairs; the fields are tags, weight_g,
--          length_mm, width_mm, height_mm; "" clears one
--
-- The fields, a contract with routing (docs/keys.md): tags is a comma-
-- separated list, sorted, without repeats, each tag 1 to 32 of a-z, 0-9,
-- "_" and "-" (given in any case, with blanks around, and stored
-- lowercase); weight_g (grams) and the dimensions (millimetres) are
-- whole numbers from 1 to 1000000000.  A SKU has the three dimensions or
-- none.  cost_minor (the unit cost the journal books restocked units
-- at, in the minor unit of cost_currency, an ISO 4217 code stored in
-- upper case) is a whole number from 0 to 1000000000; the two go
-- together or not at all.  Only a SKU the ledger knows (in K skus, or with a definition or
-- stock) takes attributes: writing its hash would make a mistyped one
-- known.
--
-- Returns {'unknown'}, {'bad', field, reason}, {'dims'} (not all three
-- dimensions would be set), {'cost'} (a cost without its currency or
-- the other way round), else {'same', the five values} when nothing
-- changes or {'done', audit id, the seven values} ("" where absent).

local K = ARGV[1]
local sku = ARGV[4]
local FIELDS = {'tags', 'weight_g', 'length_mm', 'width_mm',
                'height_mm', 'cost_minor', 'cost_currency'}
local MAX = 1000000000

if sku == '' or not tonumber(ARGV[2]) or not tonumber(ARGV[3])
   or #ARGV < 8 or #ARGV % 2 ~= 0 then
    return redis.error_reply('skuattr: needs a SKU, who and why, a '
                             .. 'time, an audit bound and field, value '
                             .. 'pairs')
end

local function tags(v)
    local seen, list = {}, {}
    for t in string.gmatch(v .. ',', '([^,]*),') do
        t = string.lower(string.match(t, '^%s*(.-)%s*$'))
        if t == '' then
            return nil, 'an empty tag (two commas, or one at an end)'
        end
        if #t > 32 or not string.match(t, '^[a-z0-9_%-]+$') then
            return nil, 'tag "' .. t .. '" is not 1 to 32 of a-z, '
                        .. '0-9, _ and -'
        end
        if not seen[t] then
            seen[t] = true
            list[#list + 1] = t
        end
    end
    if #list > 32 then
        return nil, 'more than 32 tags'
    end
    table.sort(list)
    return table.concat(list, ',')
end

local function whole(f, v)
    local n = string.match(v, '^%s*([0-9]+)%s*$')
    n = n and #n <= 12 and tonumber(n)
    if not n or n < 1 or n > MAX then
        return nil, f .. ' "' .. v .. '" is not a whole number '
                    .. 'from 1 to ' .. MAX
    end
    return string.format('%d', n)
end

local want = {}
for i = 7, #ARGV, 2 do
    local f, v = ARGV[i], ARGV[i + 1]
    local known = false
    for _, g in ipairs(FIELDS) do
        known = known or g == f
    end
    if not known or want[f] ~= nil then
        return redis.error_reply('skuattr: field "' .. f .. '" is '
                                 .. 'repeated or not one of '
                                 .. table.concat(FIELDS, ', '))
    end
    if v ~= '' then
        local err
        if f == 'tags' then
            v, err = tags(v)
        elseif f == 'cost_currency' then
            v = string.upper(string.match(v, '^%s*(.-)%s*$'))
            if not string.match(v, '^[A-Z][A-Z][A-Z]$') then
                err = 'currency "' .. ARGV[i + 1]
                      .. '" is not a three-letter ISO 4217 code'
                v = nil
            end
        elseif f == 'cost_minor' and string.match(v, '^%s*0+%s*$') then
            v = '0'
        else
            v, err = whole(f, v)
        end
        if not v then
            return {'bad', f, err}
        end
    end
    want[f] = v
end

if redis.call('SISMEMBER', K .. 'skus', sku) == 0
   and redis.call('EXISTS', KEYS[1], K .. 'stock:' .. sku) == 0 then
    return {'unknown'}
end

local was, now, changed = {}, {}, {}
for _, f in ipairs(FIELDS) do
    was[f] = redis.call('HGET', KEYS[1], f) or ''
    now[f] = want[f] or was[f]
    if now[f] ~= was[f] then
        changed[#changed + 1] = f
    end
end

local ndims = 0
for _, f in ipairs({'length_mm', 'width_mm', 'height_mm'}) do
    ndims = ndims + (now[f] ~= '' and 1 or 0)
end
if ndims ~= 0 and ndims ~= 3 then
    return {'dims'}
end
if (now['cost_minor'] == '') ~= (now['cost_currency'] == '') then
    return {'cost'}
end

local values = {}
for i, f in ipairs(FIELDS) do
    values[i] = now[f]
end

if #changed == 0 then
    return {'same', unpack(values)}
end

local audit = {'result', 'done', 'ts', ARGV[2], 'action',
               'operator.sku.set', 'by', ARGV[5], 'why', ARGV[6],
               'channel', '', 'event', '', 'order', '', 'sku', sku}
local prev = {}
for _, f in ipairs(changed) do
    if now[f] == '' then
        redis.call('HDEL', KEYS[1], f)
    else
        redis.call('HSET', KEYS[1], f, now[f])
    end
    audit[#audit + 1] = f
    audit[#audit + 1] = now[f]
    prev[f] = was[f]
end
audit[#audit + 1] = 'previous'
audit[#audit + 1] = cjson.encode(prev)

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*',
                      unpack(audit))
redis.call('ZADD', K .. 'audit:sku:' .. sku, ARGV[2], id)

return {'done', id, unpack(values)}
