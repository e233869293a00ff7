-- A page of exceptions, newest first, filtered by state, kind, channel
-- and SKU.  The cursor is a position in the index; at most 2000 ids are
-- looked at per page, so a filter that matches little answers a short
-- page with the next cursor rather than reading the whole index.
--
-- ARGV[1]  K, ARGV[2] state ("open", "retried", "resolved", "" for all)
-- ARGV[3]  kind, ARGV[4] channel, ARGV[5] SKU ("" for any)
-- ARGV[6]  cursor, ARGV[7] page size

local state, kind, channel, sku = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local at = bounded(ARGV[6], 0, 0, 1e12)
local limit = bounded(ARGV[7], 25, 1, 200)
local index = K .. (state == 'open' and 'exceptions:open'
                    or 'exceptions:all')
local total = redis.call('ZCARD', index)
local rows, looked = {}, 0

-- the SKU an exception is about: data.sku, or one of data.skus/lines
local function names_sku(data)
    if type(data) ~= 'table' then
        return false
    end
    if data['sku'] == sku then
        return true
    end
    for _, list in ipairs({ data['skus'], data['lines'] }) do
        if type(list) == 'table' then
            for _, v in ipairs(list) do
                if v == sku or (type(v) == 'table' and v['sku'] == sku) then
                    return true
                end
            end
        end
    end
    return false
end

while #rows < limit and at < total and looked < 2000 do
    local ids = redis.call('ZREVRANGE', index, at, at + 99)
    if #ids == 0 then
        break
    end
    for _, id in ipairs(ids) do
        at = at + 1
        looked = looked + 1
        local e = fields(redis.call('HGETALL', K .. 'exception:' .. id))
        local data = decoded(e['data'])
        if e['id'] and (state == '' or e['state'] == state)
           and (kind == '' or e['kind'] == kind)
           and (channel == '' or e['channel'] == channel)
           and (sku == '' or names_sku(data)) then
            rows[#rows + 1] = {
                id = e['id'], state = e['state'], kind = e['kind'],
                channel = e['channel'], summary = e['summary'],
                created = tonumber(e['created']),
                updated = tonumber(e['updated']), order = e['order'],
                sku = type(data) == 'table' and data['sku'] or nil
            }
            if #rows == limit then
                break
            end
        end
    end
end

return json({ rows = list(rows), total = total,
                      next = at < total and at or false })
