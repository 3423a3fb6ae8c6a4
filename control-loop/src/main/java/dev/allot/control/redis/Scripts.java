package dev.allot.control.redis;

/** Lua scripts: each runs atomically on the one slot that holds a city's keys. */
final class Scripts {

    private Scripts() {
    }

    /**
     * Claims a request id for a response, or returns the response that claimed it first.
     * KEYS: request key. ARGV: response, ttl seconds.
     */
    static final LuaScript CLAIM = new LuaScript("""
            local v = redis.call('GET', KEYS[1])
            if v then return v end
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
            return false
            """);

    /**
     * Applies one write-behind batch exactly once: a marker keyed by the batch id makes a retry after a lost
     * reply a no-op. With it, the replica's high-water mark moves to the batch's journal position (if higher), so a
     * Redis that later loses its last writes but keeps its epoch shows a mark behind what the replica saw
     * confirmed. The batch's grants go to the grants stream in the same step, so the stream holds exactly the grants
     * the coupon histories do ({@link GrantsFeed}); the first batch to write there says since when it is complete
     * (as {@link #GRANTS_SINCE} does). KEYS: marker, totals hash, decision stream, high-water hash, grants stream,
     * grants-since, then per decision its record and its user's coupon history (any key of the city when no coupon
     * was given), then the request keys of claims owed. ARGV: marker ttl, totals ttl, record ttl, oldest
     * stream id to keep (ms), stream max length, the replica's journal id, the batch's position ('' for none),
     * field count, field/delta pairs, decision count, then per decision: stream pair count (0 for a record in the
     * batch's entry), stream pairs, where its outcome index goes ('s': a field of its key, the hash of its second;
     * 'k': the key itself), the outcome index (one value, {@link OutcomeIndex}), coupon-given (0/1), timestamp ms
     * (read for a grant only), decision id; then the claims' ttl and one response per claim (set only where no other
     * response claimed the id first); last, the batch's records, one per line, for its one stream entry
     * ({@link DecisionStream}, '' for none), now (ms), the oldest grants stream id to keep (ms) and the batch's grants
     * ('' for none).
     */
    static final LuaScript FLUSH = new LuaScript("""
            if ARGV[7] ~= '' then
              local mark = redis.call('HGET', KEYS[4], ARGV[6])
              if not mark or mark < ARGV[7] then redis.call('HSET', KEYS[4], ARGV[6], ARGV[7]) end
            end
            if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
            local i = 9
            local nf = tonumber(ARGV[8])
            for f = 1, nf do
              redis.call('HINCRBYFLOAT', KEYS[2], ARGV[i], ARGV[i + 1])
              i = i + 2
            end
            if nf > 0 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
            local nd = tonumber(ARGV[i]); i = i + 1
            if redis.call('EXISTS', KEYS[6]) == 0 then
              redis.call('SET', KEYS[6], redis.call('EXISTS', KEYS[3]) == 0 and '0' or ARGV[#ARGV - 2])
            end
            local k = 7
            local second = false
            if ARGV[#ARGV - 3] ~= '' then
              redis.call('XADD', KEYS[3], '*', 'records', ARGV[#ARGV - 3])
            end
            for d = 1, nd do
              -- Records are in the batch's entry (0 fields of their own); one field is called directly: a Lua
              -- table per call cost more than the command.
              local ns = tonumber(ARGV[i]); i = i + 1
              if ns == 1 then
                redis.call('XADD', KEYS[3], '*', ARGV[i], ARGV[i + 1])
              elseif ns > 1 then
                local entry = {}
                for s = 1, ns * 2 do entry[s] = ARGV[i + s - 1] end
                redis.call('XADD', KEYS[3], '*', unpack(entry))
              end
              i = i + ns * 2
              -- Written once (NX), so a batch sent again cannot wipe an outcome counted since: in the hash of its
              -- second ('s'), whose expiry is set once per batch, or under its own key.
              if ARGV[i] == 's' then
                redis.call('HSETNX', KEYS[k], ARGV[i + 4], ARGV[i + 1])
                if KEYS[k] ~= second then
                  redis.call('EXPIRE', KEYS[k], ARGV[3])
                  second = KEYS[k]
                end
              else
                redis.call('SET', KEYS[k], ARGV[i + 1], 'NX', 'EX', ARGV[3])
              end
              i = i + 2
              if ARGV[i] == '1' then
                -- Numbers go to Redis as the strings they came as: a Lua number passed to a command is formatted
                -- with printf's float conversion, a few percent of Redis's CPU at one grant a decision.
                redis.call('ZADD', KEYS[k + 1], ARGV[i + 1], ARGV[i + 2])
                -- Grants older than 8 days are trimmed at one grant in eight (reads count from 7 days back, so an
                -- old grant kept a little longer is never counted), and all go with the key 8 days after the last.
                local at = tonumber(ARGV[i + 1])
                if at % 8 == 0 then
                  redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', at - 8 * 86400000)
                end
                redis.call('EXPIRE', KEYS[k + 1], '691200')
              end
              i = i + 3
              k = k + 2
            end
            if nd > 0 then
              redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4])
              redis.call('XTRIM', KEYS[3], 'MAXLEN', '~', ARGV[5])
            end
            local claimTtl = ARGV[i]; i = i + 1
            while k <= #KEYS do
              redis.call('SET', KEYS[k], ARGV[i], 'NX', 'EX', claimTtl)
              i = i + 1
              k = k + 1
            end
            if ARGV[#ARGV] ~= '' then
              redis.call('XADD', KEYS[5], '*', 'g', ARGV[#ARGV])
              redis.call('XTRIM', KEYS[5], 'MINID', '~', ARGV[#ARGV - 1])
            end
            return 1
            """);

    /**
     * Records an outcome once, in the decision's outcome index (a JSON value, {@link OutcomeIndex}): a field of
     * the hash of its second, or, for ids given before those, under its own key (a JSON value, or a hash written
     * before that). KEYS: the hash of the decision's second (the decision's own key when its id carries no time),
     * totals hash of the decision's day, outcome stream, the decision's own key.
     * ARGV: converted (0/1), revenue, coupon, timestamp ms, decision id.
     * Returns -1 for an unknown decision, 0 for a repeated outcome, 1 when counted.
     */
    static final LuaScript OUTCOME = new LuaScript("""
            -- A JSON object of strings: a quote, outcome, a quote and a colon can only be its key.
            local marked = ',"outcome":"' .. ARGV[1] .. '"}'
            local index = KEYS[1] ~= KEYS[4] and redis.call('HGET', KEYS[1], ARGV[5])
            if index then
              if string.find(index, '"outcome":', 1, true) then return 0 end
              redis.call('HSET', KEYS[1], ARGV[5], string.sub(index, 1, -2) .. marked)
            else
              local kind = redis.call('TYPE', KEYS[4])['ok']
              if kind == 'none' then return -1 end
              if kind == 'hash' then
                if redis.call('HSETNX', KEYS[4], 'outcome', ARGV[1]) == 0 then return 0 end
              else
                index = redis.call('GET', KEYS[4])
                if string.find(index, '"outcome":', 1, true) then return 0 end
                redis.call('SET', KEYS[4], string.sub(index, 1, -2) .. marked, 'KEEPTTL')
              end
            end
            redis.call('HINCRBYFLOAT', KEYS[2], 'outcomes', 1)
            if ARGV[1] == '1' then
              redis.call('HINCRBYFLOAT', KEYS[2], 'purchases', 1)
              redis.call('HINCRBYFLOAT', KEYS[2], 'realizedRevenue', ARGV[2])
              redis.call('HINCRBYFLOAT', KEYS[2], 'realizedSpend', ARGV[3])
            end
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', 1000000, '*', 'decisionId', ARGV[5],
                        'converted', ARGV[1], 'revenue', ARGV[2], 'ts', ARGV[4])
            return 1
            """);

    /**
     * Since when the grants stream is complete, set by the first replica that reads or writes it: 0 when the city has no
     * decision stream yet (nothing was granted before the grants stream), else now (grants before it are only in
     * the coupon histories). KEYS: grants-since, decision stream. ARGV: now (ms). Returns the value.
     */
    static final LuaScript GRANTS_SINCE = new LuaScript("""
            local v = redis.call('GET', KEYS[1])
            if v then return v end
            v = ARGV[1]
            if redis.call('EXISTS', KEYS[2]) == 0 then v = '0' end
            redis.call('SET', KEYS[1], v)
            return v
            """);

    /** Moves a replica's high-water mark up to a position. KEYS: high-water hash. ARGV: journal id, position. */
    static final LuaScript MARK = new LuaScript("""
            local mark = redis.call('HGET', KEYS[1], ARGV[1])
            if not mark or mark < ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
            return 1
            """);

    /** Takes or renews a lock. KEYS: lock. ARGV: owner, ttl ms. Returns 1 when held by owner. */
    static final LuaScript LOCK = new LuaScript("""
            local v = redis.call('GET', KEYS[1])
            if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
            if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
            return 0
            """);

    /** Deletes the lock only if ARGV[1] holds it. KEYS: lock. */
    static final LuaScript UNLOCK = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    /**
     * Writes a PID step only while still holding the lock (a replica that lost it mid-tick writes nothing).
     * KEYS: lock, pid hash, lambda. ARGV: owner, lambda, then pid field/value pairs.
     */
    static final LuaScript PID_WRITE = new LuaScript("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[3], ARGV[2])
            local fields = {}
            for i = 3, #ARGV do fields[i - 2] = ARGV[i] end
            redis.call('HSET', KEYS[2], unpack(fields))
            return 1
            """);

    /**
     * Sets a city's epoch. KEYS: epoch, pid hash, lambda. ARGV: the new epoch, lambda ('' for none), restoring
     * ('1'/'0'), now (ms), then pid field/value pairs.
     * Not restoring (a replica that never saw an epoch): sets it only if there is none; returns 0 when there was
     * one, 2 when the controller state exists (kept), 3 when nothing exists (a new deployment).
     * Restoring (a replica that saw an epoch, now missing or replaced by a provisional one, "p:<ms>:..." set less
     * than ten minutes ago; an older one has served long enough to be the city's epoch): sets it and
     * writes the state the replica holds over whatever a tick may have written since the loss, in one step, so no
     * replica reads the new epoch without the state; returns 1, or 0 when another replica restored first.
     */
    static final LuaScript RECREATE_EPOCH = new LuaScript("""
            local current = redis.call('GET', KEYS[1])
            if current then
              if ARGV[3] ~= '1' then return 0 end
              local born = string.match(current, '^p:(%d+):')
              if not born or tonumber(ARGV[4]) - tonumber(born) > 600000 then return 0 end
            end
            redis.call('SET', KEYS[1], ARGV[1])
            if ARGV[3] ~= '1' then
              if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
              return 3
            end
            if #ARGV > 4 then
              local fields = {}
              for i = 5, #ARGV do fields[i - 4] = ARGV[i] end
              redis.call('HSET', KEYS[2], unpack(fields))
            end
            if ARGV[2] ~= '' then redis.call('SET', KEYS[3], ARGV[2]) end
            return 1
            """);
}
