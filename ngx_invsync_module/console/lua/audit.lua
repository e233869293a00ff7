-- An operator's action from the console, in the audit as invsyncctl
-- writes it (invsyncctl_audit_operator): result "done", who and why, and
-- the entry's id in the event's and the order's audit indexes.  Without
-- MAXLEN: the worker's own entries keep the stream bounded.
--
-- ARGV[1]  K, ARGV[2] now (ms), ARGV[3] action, ARGV[4] by, ARGV[5] why
-- ARGV[6]  channel, ARGV[7] event, ARGV[8] order ("<channel>:<id>")
-- ARGV[9]  and on: field, value pairs of the action
--
-- Returns the audit entry's id.

local now, channel, event, order = ARGV[2], ARGV[6], ARGV[7], ARGV[8]
local id = redis.call('XADD', K .. 'audit', '*', 'result', 'done',
                      'ts', now, 'action', ARGV[3], 'by', ARGV[4],
                      'why', ARGV[5], 'channel', channel, 'event', event,
                      'order', order, unpack(ARGV, 9))

if channel ~= '' and event ~= '' then
    redis.call('ZADD', K .. 'audit:event:' .. channel .. ':' .. event, now,
               id)
end

if order ~= '' then
    redis.call('ZADD', K .. 'audit:order:' .. order, now, id)
end

return id
