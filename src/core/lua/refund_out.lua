-- A refund invsync makes on a channel (docs/refunds.md): the request
-- K refundout:<cause>, opened once per cause, and what becomes of it.
--
-- KEYS[1]  audit stream
-- ARGV[1]  op: open | told | seen
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the worker key prefix "<p>:{<p>}:"
-- ARGV[4]  the cause ("rma:<id>", "ctl:<id>")
-- ARGV[5]  approximate bound of the audit stream
--
-- open: ARGV[6] channel, [7] order id, [8] lines JSON [{sku, line_ref,
--   qty}], [9] shipping_minor, [10] currency, [11] reason, [12] note,
--   [13] our reference on the channel.  Returns {0, 'open'} opened (due
--   now), {1, state} when the cause was opened before (nothing changed).
-- told: the driver's outcome: ARGV[6] state (created, covered), [7] the
--   channel's refund id (covered: the ids of those that cover it, comma
--   separated), [8] consumer.  Off the due set; a created refund's id is
--   remembered in K refundref:<channel>:<id> so the channel's own event
--   of it is known as ours.  A request already recorded stays so.
--   Returns {1, state}.
-- seen: the channel's refund recorded as a canonical refund: ARGV[6]
--   channel, [7] refund id, [8] the event.  Returns {1, state}, or {0, ''}
--   when no request of that cause and channel exists.

local op, now, K = ARGV[1], ARGV[2], ARGV[3]
local cause, maxlen = ARGV[4], ARGV[5]
local key = K .. 'refundout:' .. cause
local due = K .. 'refundout:due'

local function audit(fields)
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*',
                          unpack(fields))
    local r = redis.call('HMGET', key, 'channel', 'order_id')
    redis.call('ZADD', K .. 'audit:order:' .. r[1] .. ':' .. r[2],
               now, id)
    return id
end

if op == 'open' then
    local state = redis.call('HGET', key, 'state')
    if state then
        return {1, state}
    end
    redis.call('HSET', key, 'cause', cause, 'channel', ARGV[6],
               'order_id', ARGV[7], 'lines', ARGV[8],
               'shipping_minor', ARGV[9], 'currency', ARGV[10],
               'reason', ARGV[11], 'note', ARGV[12], 'ref', ARGV[13],
               'state', 'open', 'attempts', '0', 'last_error', '',
               'refund_ref', '', 'opened_at', now)
    redis.call('ZADD', K .. 'refundouts', now, cause)
    redis.call('ZADD', due, now, cause)
    audit({'result', 'applied', 'action', 'refund.open', 'ts', now,
           'channel', ARGV[6], 'event', cause, 'cause', cause,
           'order', ARGV[6] .. ':' .. ARGV[7], 'lines', ARGV[8],
           'shipping_minor', ARGV[9], 'reason', ARGV[11]})
    return {0, 'open'}
end

local cur = redis.call('HMGET', key, 'state', 'channel', 'refund_ref')
if not cur[1] then
    return {0, ''}
end

if op == 'told' then
    local state = cur[1] == 'recorded' and 'recorded' or ARGV[6]
    redis.call('HSET', key, 'state', state, 'refund_ref', ARGV[7],
               'last_error', '', 'told_at', now)
    redis.call('ZREM', due, cause)
    -- a refund the channel made itself (covered) is not ours
    if ARGV[6] == 'created' then
        redis.call('SET', K .. 'refundref:' .. cur[2] .. ':' .. ARGV[7],
                   cause)
    end
    audit({'result', 'applied', 'action', 'refund.push', 'ts', now,
           'channel', cur[2], 'event', cause, 'cause', cause,
           'outcome', ARGV[6], 'refund_ref', ARGV[7],
           'consumer', ARGV[8]})
    return {1, state}
end

if op == 'seen' then
    if cur[2] ~= ARGV[6] then
        return {0, ''}
    end
    if cur[1] == 'recorded' then
        return {1, 'recorded'}
    end
    local ref = cur[3]
    if ref == '' then
        ref = ARGV[7]
    end
    redis.call('HSET', key, 'state', 'recorded', 'refund_ref', ref,
               'recorded_at', now, 'recorded_event', ARGV[8])
    redis.call('ZREM', due, cause)
    redis.call('SET', K .. 'refundref:' .. ARGV[6] .. ':' .. ARGV[7],
               cause)
    audit({'result', 'applied', 'action', 'refund.recorded', 'ts', now,
           'channel', ARGV[6], 'event', ARGV[8], 'cause', cause,
           'refund_ref', ARGV[7]})
    return {1, 'recorded'}
end

return redis.error_reply('refund_out: unknown op ' .. tostring(op))
