-- One step of a 3PL shipment recorded, if nothing else moved it meanwhile:
-- the 3PL path (src/worker/invsync_worker_3pl.c) sends a request and
-- writes what came of it; a shipment webhook confirmed (ship_confirm.lua)
-- or a cancellation between the two must win, so the write happens only
-- while the shipment is still in the state the step started from.
--
-- KEYS[1]  the shipment hash, K shipment:<id>
-- KEYS[2]  K fulfil:due
-- ARGV[1]  the shipment id (the member of fulfil:due)
-- ARGV[2]  the state the step started from
-- ARGV[3]  when to act next, Unix ms; "" takes it off fulfil:due
-- ARGV[4]  and on: field, value pairs to set
--
-- Returns 1 when written, 0 when the shipment had moved on (nothing
-- written, fulfil:due left as it is).

if redis.call('HGET', KEYS[1], 'state') ~= ARGV[2] then
    return 0
end

if #ARGV >= 5 then
    redis.call('HSET', KEYS[1], unpack(ARGV, 4))
end

if ARGV[3] ~= '' then
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
else
    redis.call('ZREM', KEYS[2], ARGV[1])
end

return 1
