-- One order (<channel>:<order id>): its record (the canonical order the
-- worker keeps, as JSON text) and its audit trail, newest first, which names
-- each event that reached it and each effect it had.
--
-- ARGV[1]  K, ARGV[2] order

local rec = fields(redis.call('HGETALL', K .. 'order:' .. ARGV[2]))
-- data stays JSON text: Lua numbers would round long ids

local trail = audit(K .. 'audit:order:' .. ARGV[2], 100)

return json({ order = ARGV[2], known = rec['version'] ~= nil
                      or #trail > 0, record = rec, audit = list(trail) })
