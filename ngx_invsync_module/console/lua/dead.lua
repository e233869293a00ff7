-- One dead letter: its fields but the body (its length instead), its
-- attempt history (JSON text), and the audit trail of its event.
--
-- ARGV[1]  K, ARGV[2] dead letter id

local e = entry(K .. 'dlq', ARGV[2])

if e == nil then
    return json({ error = 'no such dead letter' })
end

e['body_bytes'] = #(e['body'] or '')
e['body'] = nil

return json({
    dead = e,
    audit = list(audit(K .. 'audit:event:' .. (e['channel'] or '') .. ':'
                  .. (e['event'] or ''), 50))
})
