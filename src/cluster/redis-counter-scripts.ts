/**
 * The Lua scripts behind `RedisUsageCounters`: each operation is one script, so replicas never race
 * between a read and a write. A bucket is a hash (level, at) that expires once it would be full again plus
 * a few idle minutes (a missing bucket is a full one, so expiry loses nothing); spend is one float per key
 * and UTC day or month, with a TTL. Times come from the caller's clock; a bucket never refills backwards
 * when replicas' clocks disagree a little.
 */
import type { Redis } from 'ioredis';

// The level of bucket KEYS[i] now (refilled since `at`, never backwards); `level` is stored with full precision.
const LEVEL = `
local function level_of(key, per, now)
  local held = redis.call('HMGET', key, 'level', 'at')
  if not held[1] then return per, now end
  local at = tonumber(held[2])
  return math.min(per, tonumber(held[1]) + math.max(0, now - at) * per / 60000), math.max(at, now)
end
local function store(key, per, level, at, idle)
  redis.call('HSET', key, 'level', string.format('%.17g', level), 'at', string.format('%.17g', at))
  redis.call('PEXPIRE', key, math.ceil((per - level) * 60000 / per) + idle)
end
`;

// KEYS: buckets. ARGV: now, idleMs, then perMinute, cost and the lease asked for, per bucket.
// Takes every cost or none; a lease is granted only from what a bucket can spare after its cost.
// Returns allowed, then each bucket's level after the take, then the lease granted on each.
const TAKE = `${LEVEL}
local now, idle, n = tonumber(ARGV[1]), tonumber(ARGV[2]), #KEYS
local levels, stamps, allowed = {}, {}, true
for i = 1, n do
  local per, cost = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  levels[i], stamps[i] = level_of(KEYS[i], per, now)
  if levels[i] < math.min(cost, per) then allowed = false end
end
local out = { allowed and 1 or 0 }
for i = 1, n do
  local per, cost, lease = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local granted = 0
  if allowed then
    if levels[i] - cost >= lease then granted = lease end
    levels[i] = levels[i] - cost - granted
    store(KEYS[i], per, levels[i], stamps[i], idle)
  end
  out[i + 1] = string.format('%.17g', levels[i])
  out[n + i + 1] = granted
end
return out`;

// Everything settled since the last flush, in one step: bucket changes (reconciled estimates, leases given
// back) and spend, plus reads of spend copies due for a refresh (a spend of 0).
// KEYS: nb buckets, then a day and a month key per spend. ARGV: now, idleMs, nb, dayTtlMs, monthTtlMs,
// then perMinute and amount per bucket, then usd per spend.
// Returns each bucket's level, then each spend's day and month totals.
const FLUSH = `${LEVEL}
local now, idle, nb = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 1, nb do
  local per, amount = tonumber(ARGV[4 + 2 * i]), tonumber(ARGV[5 + 2 * i])
  local level, at = level_of(KEYS[i], per, now)
  if amount ~= 0 then
    level = math.min(per, level - amount)
    store(KEYS[i], per, level, at, idle)
  end
  out[i] = string.format('%.17g', level)
end
for j = 1, (#KEYS - nb) / 2 do
  local usd, day, month = ARGV[5 + 2 * nb + j], KEYS[nb + 2 * j - 1], KEYS[nb + 2 * j]
  if tonumber(usd) > 0 then
    out[nb + 2 * j - 1] = redis.call('INCRBYFLOAT', day, usd)
    redis.call('PEXPIRE', day, ARGV[4])
    out[nb + 2 * j] = redis.call('INCRBYFLOAT', month, usd)
    redis.call('PEXPIRE', month, ARGV[5])
  else
    out[nb + 2 * j - 1] = redis.call('GET', day) or '0'
    out[nb + 2 * j] = redis.call('GET', month) or '0'
  end
end
return out`;

// Seeds spend rebuilt from the store where Redis has none yet; where it has, Redis is the running total.
// KEYS: day, month. ARGV: dayUsd, monthUsd, dayTtlMs, monthTtlMs.
const SEED_SPEND = `
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[4])
return 1`;

export interface CounterScripts {
  keelTake(keys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
  keelFlush(keys: number, ...args: (string | number)[]): Promise<string[]>;
  keelSeedSpend(day: string, month: string, ...args: (string | number)[]): Promise<number>;
}

export function defineCounterScripts(redis: Redis): CounterScripts {
  redis.defineCommand('keelTake', { lua: TAKE });
  redis.defineCommand('keelFlush', { lua: FLUSH });
  redis.defineCommand('keelSeedSpend', { numberOfKeys: 2, lua: SEED_SPEND });
  return redis as unknown as CounterScripts;
}
