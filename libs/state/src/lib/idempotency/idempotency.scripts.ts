/**
 * CLAIM. KEYS: record. ARGV: pending record JSON, lock ttl ms, owner this caller waited on ('' if none).
 * Claims the key when it is free or holds a FAILED record (failures are not cached for new
 * callers) - except the failure of the very run this caller waited on, which it must receive.
 * Returns nil when claimed, else the current record.
 */
export const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, record = pcall(cjson.decode, current)
  if not ok or type(record) ~= 'table' or record.s ~= 'failed' or record.o == ARGV[3] then return current end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

/**
 * FINISH. KEYS: record. ARGV: owner id, final record JSON, ttl ms (0 = delete).
 * Stores the outcome only if the record is still the owner's pending claim. Returns 1 or 0.
 */
export const FINISH_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' or record.s ~= 'pending' or record.o ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1
`;
