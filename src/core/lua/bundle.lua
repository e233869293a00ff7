-- A bundle defined (or redefined), with its audit entry, in one step.
--
-- KEYS[1]  sku:<bundle>
-- KEYS[2]  audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  the bundle's SKU
-- ARGV[5]  its components, JSON {sku: qty}, kept as given
-- ARGV[6]  the name, "" to keep it
-- ARGV[7]  who defines it, ARGV[8] why
--
-- The ledger expands a bundle one level, so no bundle is a component and
-- no component a bundle; a bundle has no stock of its own (none would
-- ever be shown).  Each component is a SKU the ledger knows: in K skus,
-- or with a definition or stock.  bundles:<component> lists the bundles
-- made of it; the bundle joins K skus and is marked dirty on every channel
-- it is mapped on.
--
-- Returns {'stock'} (the bundle has stock), {'component'} (it is one),
-- {'unknown', sku} or {'nested', sku} for the first such component in
-- sorted order, else {'done', audit id}.

local K = ARGV[1]
local sku, spec, name = ARGV[4], ARGV[5], ARGV[6]

if sku == '' or not tonumber(ARGV[2]) or not tonumber(ARGV[3])
   or #ARGV ~= 8 then
    return redis.error_reply('bundle: needs a SKU, components, a name, '
                             .. 'who and why, a time and an audit '
                             .. 'bound')
end
local ok, comps = pcall(cjson.decode, spec)
if not ok or type(comps) ~= 'table' then
    return redis.error_reply('bundle: the components are not a JSON '
                             .. 'object')
end
local skus = {}
for s, q in pairs(comps) do
    if type(s) ~= 'string' or s == '' or s == sku or type(q) ~= 'number'
       or q < 1 or q ~= math.floor(q) then
        return redis.error_reply('bundle: a component is another SKU '
                                 .. 'with a positive integer quantity')
    end
    skus[#skus + 1] = s
end
if #skus == 0 then
    return redis.error_reply('bundle: no components')
end
table.sort(skus)

local h = redis.call('HGETALL', K .. 'stock:' .. sku)
for i = 2, #h, 2 do
    if (tonumber(h[i]) or 0) ~= 0 then
        return {'stock'}
    end
end
if redis.call('SCARD', K .. 'bundles:' .. sku) > 0 then
    return {'component'}
end
for _, s in ipairs(skus) do
    if redis.call('SISMEMBER', K .. 'skus', s) == 0
       and redis.call('EXISTS', K .. 'sku:' .. s,
                      K .. 'stock:' .. s) == 0 then
        return {'unknown', s}
    end
    local c = redis.call('HGET', K .. 'sku:' .. s, 'components')
    if c and c ~= '' then
        return {'nested', s}
    end
end

local was = redis.call('HGET', KEYS[1], 'components')
if was and was ~= '' then
    local ok2, prev = pcall(cjson.decode, was)
    if ok2 and type(prev) == 'table' then
        for s in pairs(prev) do
            if comps[s] == nil then
                redis.call('SREM', K .. 'bundles:' .. s, sku)
            end
        end
    end
end

if name ~= '' then
    redis.call('HSET', KEYS[1], 'components', spec, 'name', name)
else
    redis.call('HSET', KEYS[1], 'components', spec)
end
for _, s in ipairs(skus) do
    redis.call('SADD', K .. 'bundles:' .. s, sku)
end
redis.call('SADD', K .. 'skus', sku)
for _, ch in ipairs(redis.call('HKEYS', K .. 'skumap:' .. sku)) do
    redis.call('SADD', K .. 'dirty:' .. ch, sku)
end

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*',
    'result', 'done', 'ts', ARGV[2], 'action', 'operator.sku.bundle',
    'by', ARGV[7], 'why', ARGV[8], 'channel', '', 'event', '',
    'order', '', 'sku', sku, 'components', spec, 'previous', was or '')
redis.call('ZADD', K .. 'audit:sku:' .. sku, ARGV[2], id)

return {'done', id}
