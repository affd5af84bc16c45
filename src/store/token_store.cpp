// Access tokens in Redis (see token_store.h and store_keys.h).
#include "tokend/store/token_store.h"

#include "tokend/common/clock.h"
#include "tokend/store/store_keys.h"

namespace tokend {

namespace {

// Both write scripts start by checking their WriteGuard: KEYS[3] onwards
// must exist, else they return -1 and change nothing. The last ARGV is the
// guard's user fingerprint: when not empty, KEYS[3] is a user record whose
// name and 'pw' must give that (UserFingerprint).
constexpr char kGuardLua[] = R"lua(
local fingerprint = ARGV[#ARGV]
for i = 3, #KEYS do
  if i == 3 and fingerprint ~= '' then
    local user = redis.call('HMGET', KEYS[i], 'name', 'pw')
    if not user[1] or not user[2] or
       redis.sha1hex(#user[1] .. ':' .. user[1] .. user[2]) ~= fingerprint then
      return -1
    end
  elseif redis.call('EXISTS', KEYS[i]) == 0 then
    return -1
  end
end)lua";

// KEYS: record, list, guard... ARGV: expiry, list score (minus the
// creation time in ms: the newest token comes first, where a listpack zset
// inserts and finds it without walking the whole list), list member, limit,
// the guard's user fingerprint.
// The record's value is "1": the expiry is its EXAT deadline (token checks
// only ask whether it exists), and a small integer value is one of Redis's
// shared objects, where the expiry as value took a 16-byte object per
// token. The list lives as long as its longest-lived token: NX sets a first
// expiry, GT only ever extends it. Returns 0 when the list is full.
const std::string kAddScript = std::string(kGuardLua) + R"lua(
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIREAT', KEYS[2], ARGV[1], 'NX')
redis.call('EXPIREAT', KEYS[2], ARGV[1], 'GT')
return 1
)lua";

// KEYS: record, list, guard... ARGV: nonce, the guard's user fingerprint. The
// list member carries the expiry, which the record's deadline gives back.
// Returns 1 when the record was there to delete, 0 when not (an expired
// token's member is left to the next List, which drops it).
const std::string kRevokeScript = std::string(kGuardLua) + R"lua(
local expiry = redis.call('EXPIRETIME', KEYS[1])
local deleted = redis.call('DEL', KEYS[1])
if expiry > 0 then redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. expiry) end
return deleted
)lua";

// How a guarded script's write reaches the read caches of other workers.
enum class Writes {
  // Changes a record a cache may hold: wait for the invalidations when a
  // cache marked it. The scripts here change the record and the list only
  // (the guard's keys are read).
  kCachedKeys,
  // Adds a record under a fresh random nonce (no cache can hold it yet)
  // and changes the list (never cached): no invalidation to wait for.
  kOnlyNewRecord,
};

// EVAL of `script` on KEYS record and list, then the guard's keys, then
// `args` and the guard's user fingerprint; fills in the guard from a -1
// answer.
Status RunGuarded(RedisClient* redis, Writes writes, const std::string& script,
                  const std::string& record, const std::string& list,
                  WriteGuard* guard, const std::vector<std::string>& args,
                  RedisReply* reply) {
  size_t guard_keys = guard != nullptr ? guard->keys.size() : 0;
  RedisCommand command = {"EVAL", script, std::to_string(2 + guard_keys),
                          record, list};
  if (guard != nullptr) {
    command.insert(command.end(), guard->keys.begin(), guard->keys.end());
  }
  command.insert(command.end(), args.begin(), args.end());
  command.push_back(guard != nullptr ? guard->user_fingerprint : std::string());
  Status status = writes == Writes::kOnlyNewRecord
                      ? redis->RunCreating(command, reply)
                      : redis->RunChanging(command, {record, list}, reply);
  if (guard != nullptr && status.ok()) {
    guard->checked = true;
    guard->held = reply->integer != -1;
  }
  return status;
}

}  // namespace

Status TokenStore::TryAdd(const std::string& user_id, const StoredToken& token,
                          int64_t created_ms, int max_tokens, WriteGuard* guard,
                          bool* added) {
  RedisReply reply;
  Status status = RunGuarded(
      redis_, Writes::kOnlyNewRecord, kAddScript, TokenRecordKey(user_id, token.nonce),
      TokenListKey(user_id), guard,
      {std::to_string(token.expires_at), std::to_string(-created_ms),
       TokenListMember(token.nonce, token.expires_at),
       std::to_string(max_tokens)},
      &reply);
  *added = status.ok() && reply.integer == 1;
  return status;
}

Status TokenStore::Add(const std::string& user_id, const StoredToken& token,
                       int64_t created_ms, int max_tokens, WriteGuard* guard) {
  bool added = false;
  Status status = TryAdd(user_id, token, created_ms, max_tokens, guard, &added);
  if (!status.ok() || added || (guard != nullptr && !guard->held)) return status;
  // The list may still hold tokens that expired: prune it, then try again.
  std::vector<StoredToken> live;
  status = List(user_id, &live);
  if (status.ok()) {
    status = TryAdd(user_id, token, created_ms, max_tokens, guard, &added);
  }
  if (!status.ok() || added || (guard != nullptr && !guard->held)) return status;
  return Status(Code::kForbidden,
                "You hold the most live access tokens allowed (" +
                    std::to_string(max_tokens) + "); delete some first.")
      .AddNumberDetail("limit", max_tokens);
}

RedisCommand TokenStore::ListCommand(const std::string& user_id) {
  return {"ZRANGE", TokenListKey(user_id), "0", "-1"};
}

Status TokenStore::List(const std::string& user_id,
                        std::vector<StoredToken>* tokens) {
  tokens->clear();
  RedisReply reply;
  Status status = redis_->Run(ListCommand(user_id), &reply);
  if (!status.ok()) return status;
  // A plain read (a script that asked each record for its deadline cost
  // Redis ten times as much): members whose expiry has passed are dropped
  // here, and removed in a second round trip, which only lists holding
  // expired tokens pay.
  const int64_t now = NowSeconds();
  RedisCommand prune = {"ZREM", TokenListKey(user_id)};
  for (const RedisReply& member : reply.elements) {
    StoredToken token;
    if (ParseTokenListMember(member.text, &token.nonce, &token.expires_at) &&
        token.expires_at > now) {
      tokens->push_back(std::move(token));
    } else {
      prune.push_back(member.text);
    }
  }
  // Best effort: what stays is dropped again by the next List.
  if (prune.size() > 2) redis_->Run(prune, &reply);
  return Status::Ok();
}

Status TokenStore::Revoke(const std::string& user_id, const std::string& nonce,
                          bool* revoked, WriteGuard* guard) {
  RedisReply reply;
  Status status =
      RunGuarded(redis_, Writes::kCachedKeys, kRevokeScript,
                 TokenRecordKey(user_id, nonce), TokenListKey(user_id), guard,
                 {nonce}, &reply);
  *revoked = status.ok() && reply.integer == 1;
  return status;
}

}  // namespace tokend
