-- A refund's refund.record and refund.check in one atomic step, for a
-- batch of refunds (src/actions/refund/invsync_refund_batch.c): apply.lua,
-- then refundqty.lua unless the refund's state was stale (the rows after
-- refund.record run only when it recorded its state, docs/worker.md).
-- One script call a refund instead of two: Redis's CPU is the limit of
-- the refund path (docs/performance.md).
--
-- KEYS     apply.lua's keys, then refundqty.lua's one when it counts
-- ARGV[1]  how many of KEYS are apply.lua's
-- ARGV[2]  how many of ARGV from ARGV[3] on are apply.lua's
-- ARGV[3]  and on: apply.lua's ARGV, then refundqty.lua's (none: no line
--          of the refund names one of the order's)
--
-- Returns {apply.lua's answer, refundqty.lua's answer or 0 when it did
-- not run}.

--#include apply
--#include refundqty

local nk, na = tonumber(ARGV[1]), tonumber(ARGV[2])
local ak, aa, qk, qa = {}, {}, {}, {}

for i = 1, #KEYS do
    if i <= nk then
        ak[#ak + 1] = KEYS[i]
    else
        qk[#qk + 1] = KEYS[i]
    end
end

for i = 3, #ARGV do
    if i <= 2 + na then
        aa[#aa + 1] = ARGV[i]
    else
        qa[#qa + 1] = ARGV[i]
    end
end

local r = apply(ak, aa)

if #qk == 0 or (r[1] == 1 and r[3] == 'stale') then
    return {r, 0}
end

return {r, refundqty(qk, qa)}
