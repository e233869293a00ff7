-- An operator's retry of an exception recorded, once its cause has been
-- delivered again (invsyncctl exceptions retry).
--
-- KEYS[1]  exception hash <p>:{<p>}:exception:<id>
-- ARGV[1]  now, Unix ms
-- ARGV[2]  the stream entry the cause was delivered again as
--
-- The worker may have handled the re-delivered cause and resolved the
-- exception already (resolve.lua): that stays, only retried_entry is
-- noted.  Returns 1 when the state became retried, 0 when it stayed
-- resolved.

if not tonumber(ARGV[1]) or not ARGV[2] or ARGV[2] == '' then
    return redis.error_reply('exc_retry: needs a time and the new '
                             .. 'entry')
end

redis.call('HSET', KEYS[1], 'retried_entry', ARGV[2])

if redis.call('HGET', KEYS[1], 'state') == 'resolved' then
    return 0
end

redis.call('HSET', KEYS[1], 'state', 'retried', 'updated', ARGV[1])

return 1
