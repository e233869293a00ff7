-- One exception: its fields, its data (JSON text) and the audit trail of
-- its event, newest first.
--
-- ARGV[1]  K, ARGV[2] exception id

local e = fields(redis.call('HGETALL', K .. 'exception:' .. ARGV[2]))

if e['id'] == nil then
    return json({ error = 'no such exception' })
end

-- data stays JSON text: Lua numbers would round long ids

return json({
    exception = e,
    audit = list(audit(K .. 'audit:event:' .. (e['channel'] or '') .. ':'
                  .. (e['event'] or ''), 50))
})
