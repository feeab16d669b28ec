/**
 * Lua scripts of leases and fenced writes. Each runs atomically on the master.
 *
 * Keys of lease `name` (hash-tagged so they share a cluster slot):
 * - `<prefix>{name}`        holder record `"<token>:<holderId>"`, with a PX expiry (the lease)
 * - `<prefix>{name}:fence`  the fencing counter: INCRemented once per term, never expires
 */

/**
 * ACQUIRE. KEYS: lease, fence. ARGV: holderId, ttlMs.
 * Returns {1, token, ttl} when acquired (or already held by this holder: same term, expiry
 * refreshed), {0, currentToken, remainingTtl} when someone else holds it.
 */
export const ACQUIRE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, ':', 1, true)
  local token = tonumber(string.sub(current, 1, sep - 1))
  if string.sub(current, sep + 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, token, tonumber(ARGV[2])}
  end
  return {0, token, redis.call('PTTL', KEYS[1])}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], string.format('%d', token) .. ':' .. ARGV[1], 'PX', ARGV[2])
return {1, token, tonumber(ARGV[2])}
`;

/** RENEW. KEYS: lease. ARGV: "<token>:<holderId>", ttlMs. Returns 1 when renewed, 0 when not held. */
export const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** RELEASE. KEYS: lease. ARGV: "<token>:<holderId>". Returns 1 when released, 0 when not held. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/**
 * FENCED WRITE. KEYS: fence counter, then the key of each command.
 * ARGV: token, number of commands, then per command: argument count (key excluded), name, args.
 * Runs the commands only when `token` equals the current fencing counter (the newest term);
 * returns {1, current, reply1, reply2, ...} or {0, current} when the token is not the newest.
 */
export const FENCED_WRITE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) ~= current then
  return {0, current}
end
local reply = {1, current}
local i = 3
for c = 1, tonumber(ARGV[2]) do
  local argc = tonumber(ARGV[i])
  local command = {ARGV[i + 1], KEYS[c + 1]}
  for a = 1, argc do command[a + 2] = ARGV[i + 1 + a] end
  i = i + 2 + argc
  local r = redis.call(unpack(command))
  if type(r) == 'table' and r.ok then r = r.ok end
  reply[#reply + 1] = r
end
return reply
`;
