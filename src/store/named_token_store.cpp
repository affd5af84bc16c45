// Named tokens in Redis (see named_token_store.h and store_keys.h).
#include "tokend/store/named_token_store.h"

#include <algorithm>
#include <utility>

#include "tokend/common/clock.h"
#include "tokend/common/text.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/user_fields.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// The list score of a token without expiry: after every real expiry, and
// exact in a double (and so in Lua's numbers).
constexpr int64_t kNeverExpires = 9000000000000000;

// What every script below starts with. KEYS[1] the user's list of named
// tokens (ids scored by expiry), KEYS[2] the user's names (name -> id),
// KEYS[3] the record key of the empty id: a token's record is KEYS[3] .. id
// (all three share the user's hash tag, so the records a script reaches
// this way are in the slot it was sent to, which a Redis Cluster allows).
// ARGV[1] is now (Unix s).
//   live(id): the token's record exists and its expiry is ahead.
//   prune(): drops the ids whose expiry has passed, their records (Redis
//     forgets them itself, a moment late) and the names that led to them;
//     only a list holding expired ids pays for the walk of the names.
//   legacy_holds(name, except): a live seed token other than the one with
//     nonce `except` holds that name (LegacyNamesKey, whose key and the
//     seed tokens' record keys derive from the prefix, in the same slot):
//     names are unique across both kinds.
//   settle(): the index keys live as long as the longest-lived token:
//     EXPIREAT its expiry, none while one never expires, and the names go
//     with the last token (what is left of them leads nowhere).
constexpr char kPreludeLua[] = R"lua(
local list, names, prefix = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
local never = 9000000000000000
local function live(id)
  local expiry = redis.call('ZSCORE', list, id)
  return expiry ~= false and tonumber(expiry) > now and
         redis.call('EXISTS', prefix .. id) == 1
end
local base = string.sub(prefix, 1, -2)
local function legacy_state(nonce)
  if redis.call('EXISTS', base .. 't' .. nonce) == 1 then return 't' end
  if redis.call('EXISTS', base .. 'r' .. nonce) == 1 then return 'r' end
  return nil
end
local function legacy_holds(name, except)
  local nonce = redis.call('HGET', base .. ':legacy', 'N' .. name)
  return nonce ~= false and nonce ~= except and legacy_state(nonce) ~= nil
end
local function settle()
  local last = redis.call('ZRANGE', list, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', names)
  elseif tonumber(last[2]) >= never then
    redis.call('PERSIST', list)
    redis.call('PERSIST', names)
  else
    redis.call('EXPIREAT', list, last[2])
    redis.call('EXPIREAT', names, last[2])
  end
end
local function prune()
  local gone = redis.call('ZRANGE', list, '-inf', ARGV[1], 'BYSCORE')
  if #gone == 0 then return end
  redis.call('ZREMRANGEBYSCORE', list, '-inf', ARGV[1])
  local dead = {}
  for _, id in ipairs(gone) do
    dead[id] = true
    redis.call('DEL', prefix .. id)
  end
  local entries = redis.call('HGETALL', names)
  for i = 1, #entries, 2 do
    if dead[entries[i + 1]] then redis.call('HDEL', names, entries[i]) end
  end
  settle()
end
)lua";

// KEYS: list, names, record prefix, the user record. ARGV: now, id, name,
// limit, expiry (0 for none), list score, then the record's fields and
// values. The user record must exist: a create racing the user's deletion
// writes nothing, so it leaves nothing behind. Returns 1 created, 0 the
// name is a live token's, -1 at the limit, -2 the id is taken, -3 no user.
const std::string kCreateScript = std::string(kPreludeLua) + R"lua(
if redis.call('EXISTS', KEYS[4]) == 0 then return -3 end
prune()
local holder = redis.call('HGET', names, ARGV[3])
if holder and live(holder) then return 0 end
if legacy_holds(ARGV[3], '') then return 0 end
if redis.call('ZCARD', list) >= tonumber(ARGV[4]) then return -1 end
local record = prefix .. ARGV[2]
if redis.call('EXISTS', record) == 1 or redis.call('ZSCORE', list, ARGV[2]) then
  return -2
end
redis.call('HSET', record, unpack(ARGV, 7))
if ARGV[5] ~= '0' then redis.call('EXPIREAT', record, ARGV[5]) end
redis.call('ZADD', list, ARGV[6], ARGV[2])
redis.call('HSET', names, ARGV[3], ARGV[2])
settle()
return 1
)lua";

// KEYS: list, names, record prefix. ARGV: now, id, new name ("" to keep
// it), "1" to set the metadata, the metadata ("" to drop it), revoked ("1",
// "0", or "" to keep it). The new name goes in before the old one comes
// out, so the names key is never empty in between. Returns 1 updated, 0 no
// such live token, -1 the name is another live token's (nothing changed).
const std::string kUpdateScript = std::string(kPreludeLua) + R"lua(
local id = ARGV[2]
if not live(id) then return 0 end
local record = prefix .. id
if ARGV[3] ~= '' then
  local old = redis.call('HGET', record, 'n')
  if ARGV[3] ~= old then
    local holder = redis.call('HGET', names, ARGV[3])
    if holder and holder ~= id and live(holder) then return -1 end
    if legacy_holds(ARGV[3], '') then return -1 end
    redis.call('HSET', names, ARGV[3], id)
    if old and redis.call('HGET', names, old) == id then
      redis.call('HDEL', names, old)
    end
    redis.call('HSET', record, 'n', ARGV[3])
    settle()
  end
end
if ARGV[4] == '1' then
  if ARGV[5] == '' then
    redis.call('HDEL', record, 'x')
  else
    redis.call('HSET', record, 'x', ARGV[5])
  end
end
if ARGV[6] == '1' then
  redis.call('HSET', record, 'r', '1')
elseif ARGV[6] == '0' then
  redis.call('HDEL', record, 'r')
end
return 1
)lua";

// KEYS: list, names, record prefix. ARGV: now, id. Returns 1 when a live
// token was deleted, 0 when there was none (whatever was left of an
// expired one goes too).
const std::string kDeleteScript = std::string(kPreludeLua) + R"lua(
local id = ARGV[2]
local was_live = live(id)
local record = prefix .. id
local name = redis.call('HGET', record, 'n')
redis.call('DEL', record)
redis.call('ZREM', list, id)
if name and redis.call('HGET', names, name) == id then
  redis.call('HDEL', names, name)
end
settle()
if was_live then return 1 end
return 0
)lua";

// KEYS: list, names, record prefix. ARGV: now. Deletes the records of every
// id the list or the names hold (in batches: unpack has a limit), then
// both. Returns how many ids there were.
const std::string kDeleteAllScript = std::string(kPreludeLua) + R"lua(
local ids = {}
for _, id in ipairs(redis.call('ZRANGE', list, 0, -1)) do ids[id] = true end
local entries = redis.call('HGETALL', names)
for i = 2, #entries, 2 do ids[entries[i]] = true end
local batch, count = {}, 0
for id in pairs(ids) do
  count = count + 1
  batch[#batch + 1] = prefix .. id
  if #batch == 500 then
    redis.call('DEL', unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('DEL', unpack(batch)) end
redis.call('DEL', list, names)
return count
)lua";

// KEYS: list, names, record prefix. ARGV: now (the clock's, for pruning),
// the caller's now (the listed expiries are after it), the highest expiry
// wanted ("+inf" for all). Returns id, creation time, id, creation time...
// of the live tokens in that range, in no particular order; an id whose
// record is gone (it cannot be, short of a hand-made change) is dropped.
const std::string kListScript = std::string(kPreludeLua) + R"lua(
prune()
local out = {}
for _, id in ipairs(redis.call('ZRANGE', list, '(' .. ARGV[2], ARGV[3],
                               'BYSCORE')) do
  local created = redis.call('HGET', prefix .. id, 'm')
  if created then
    out[#out + 1] = id
    out[#out + 1] = created
  else
    redis.call('ZREM', list, id)
  end
end
return out
)lua";

// What the legacy scripts below add to the prelude. KEYS[4] the seed list
// (TokenListKey), KEYS[5] the revoked seed tokens' list, KEYS[6]
// LegacyNamesKey.
//   number_all(): the user's live seed tokens (revoked or not), oldest
//     first, each {nonce, created (ms), expiry, state 't' or 'r', member,
//     name}. A token met without a name gets "legacy token N" from the
//     user's counter, oldest first, skipping names a live token of either
//     kind holds; the names of tokens gone are dropped, and so are revoked
//     ones' list members.
constexpr char kLegacyLua[] = R"lua(
local seeds, revoked_list, legacy = KEYS[4], KEYS[5], KEYS[6]
local function number_all()
  local all = {}
  for _, source in ipairs({{seeds, 't'}, {revoked_list, 'r'}}) do
    local members = redis.call('ZRANGE', source[1], 0, -1, 'WITHSCORES')
    for i = 1, #members, 2 do
      local nonce, expiry = string.match(members[i], '^(.+):(%d+)$')
      if nonce and tonumber(expiry) > now and
         redis.call('EXISTS', base .. source[2] .. nonce) == 1 then
        all[#all + 1] = {nonce = nonce, created = -tonumber(members[i + 1]),
                         expiry = tonumber(expiry), state = source[2],
                         member = members[i]}
      elseif source[2] == 'r' then
        redis.call('ZREM', revoked_list, members[i])
      end
    end
  end
  table.sort(all, function(a, b)
    if a.created ~= b.created then return a.created < b.created end
    return a.nonce < b.nonce
  end)
  local known = {}
  for _, token in ipairs(all) do
    known[token.nonce] = true
    local name = redis.call('HGET', legacy, 'n' .. token.nonce)
    if not name then
      local holder
      repeat
        name = 'legacy token ' .. redis.call('HINCRBY', legacy, '#', 1)
        holder = redis.call('HGET', names, name)
      until not ((holder and live(holder)) or legacy_holds(name, ''))
      redis.call('HSET', legacy, 'n' .. token.nonce, name, 'N' .. name,
                 token.nonce)
    end
    token.name = name
  end
  local entries = redis.call('HGETALL', legacy)
  for i = 1, #entries, 2 do
    local field = entries[i]
    local nonce = string.sub(field, 2)
    if string.sub(field, 1, 1) == 'n' and not known[nonce] then
      redis.call('HDEL', legacy, field, 'x' .. nonce)
      if redis.call('HGET', legacy, 'N' .. entries[i + 1]) == nonce then
        redis.call('HDEL', legacy, 'N' .. entries[i + 1])
      end
    end
  end
  return all
end
local function find(all, nonce)
  for _, token in ipairs(all) do
    if token.nonce == nonce then return token end
  end
  return nil
end
)lua";

// KEYS: list, names, record prefix, seed list, revoked list, legacy names.
// ARGV: now. Returns nonce, creation time (Unix ms), expiry... of each live
// seed token, oldest first.
const std::string kLegacyListScript =
    std::string(kPreludeLua) + kLegacyLua + R"lua(
local out = {}
for _, token in ipairs(number_all()) do
  out[#out + 1] = token.nonce
  out[#out + 1] = tostring(token.created)
  out[#out + 1] = tostring(token.expiry)
end
return out
)lua";

// KEYS as above. ARGV: now, nonce ("" to find it by name), name. Returns
// {} when there is no such live seed token, else nonce, state ("t" or
// "r"), creation time (Unix s), expiry, name, custom metadata ("" for
// none).
const std::string kLegacyGetScript =
    std::string(kPreludeLua) + kLegacyLua + R"lua(
local all = number_all()
local nonce = ARGV[2]
if nonce == '' then
  nonce = redis.call('HGET', legacy, 'N' .. ARGV[3])
  if not nonce then return {} end
end
local token = find(all, nonce)
if not token then return {} end
if ARGV[2] == '' and token.name ~= ARGV[3] then return {} end
return {token.nonce, token.state, tostring(math.floor(token.created / 1000)),
        tostring(token.expiry), token.name,
        redis.call('HGET', legacy, 'x' .. token.nonce) or ''}
)lua";

// KEYS as above. ARGV: now, nonce, new name ("" to keep it), "1" to set
// the metadata, the metadata ("" to drop it), revoked ("1", "0", or "").
// Revoking renames the record to its "r" key (its deadline moves with it)
// and moves its member to the revoked list; un-revoking does the reverse.
// Returns 1 updated, 0 no such live seed token, -1 the name is another live
// token's (nothing changed).
const std::string kLegacyUpdateScript =
    std::string(kPreludeLua) + kLegacyLua + R"lua(
local token = find(number_all(), ARGV[2])
if not token then return 0 end
local nonce = token.nonce
if ARGV[3] ~= '' and ARGV[3] ~= token.name then
  local holder = redis.call('HGET', names, ARGV[3])
  if (holder and live(holder)) or legacy_holds(ARGV[3], nonce) then
    return -1
  end
  redis.call('HSET', legacy, 'n' .. nonce, ARGV[3], 'N' .. ARGV[3], nonce)
  if redis.call('HGET', legacy, 'N' .. token.name) == nonce then
    redis.call('HDEL', legacy, 'N' .. token.name)
  end
end
if ARGV[4] == '1' then
  if ARGV[5] == '' then
    redis.call('HDEL', legacy, 'x' .. nonce)
  else
    redis.call('HSET', legacy, 'x' .. nonce, ARGV[5])
  end
end
local from, to, from_list, to_list
if ARGV[6] == '1' and token.state == 't' then
  from, to, from_list, to_list = 't', 'r', seeds, revoked_list
elseif ARGV[6] == '0' and token.state == 'r' then
  from, to, from_list, to_list = 'r', 't', revoked_list, seeds
end
if from then
  redis.call('RENAME', base .. from .. nonce, base .. to .. nonce)
  redis.call('ZREM', from_list, token.member)
  redis.call('ZADD', to_list, -token.created, token.member)
  redis.call('EXPIREAT', to_list, token.expiry, 'NX')
  redis.call('EXPIREAT', to_list, token.expiry, 'GT')
end
return 1
)lua";

// KEYS as above. ARGV: now, nonce. Deletes the seed token (revoked or not)
// for good, its member and its name. Returns 1 when there was a live one.
const std::string kLegacyDeleteScript =
    std::string(kPreludeLua) + kLegacyLua + R"lua(
local token = find(number_all(), ARGV[2])
if not token then return 0 end
redis.call('DEL', base .. 't' .. token.nonce, base .. 'r' .. token.nonce)
redis.call('ZREM', seeds, token.member)
redis.call('ZREM', revoked_list, token.member)
redis.call('HDEL', legacy, 'n' .. token.nonce, 'x' .. token.nonce)
if redis.call('HGET', legacy, 'N' .. token.name) == token.nonce then
  redis.call('HDEL', legacy, 'N' .. token.name)
end
return 1
)lua";

// KEYS as above. ARGV: now. Deletes every seed token, revoked or not, and
// both lists; the legacy names are dropped by the next number_all (the
// counter stays, so numbers are never given twice).
const std::string kLegacyDeleteAllScript =
    std::string(kPreludeLua) + kLegacyLua + R"lua(
for _, source in ipairs({seeds, revoked_list}) do
  for _, member in ipairs(redis.call('ZRANGE', source, 0, -1)) do
    local nonce = string.match(member, '^(.+):%d+$') or member
    redis.call('DEL', base .. 't' .. nonce, base .. 'r' .. nonce)
  end
end
redis.call('DEL', seeds, revoked_list)
number_all()
return 1
)lua";

// The field names of a record (store_keys.h), in the order Get reads them.
constexpr char kNameField[] = "n";
constexpr char kTypeField[] = "t";
constexpr char kCaveatsField[] = "c";
constexpr char kCreatedField[] = "m";
constexpr char kMetadataField[] = "x";
constexpr char kRevokedField[] = "r";
constexpr char kLastUsedField[] = "u";
constexpr char kLastUsedIpField[] = "p";
// Invitations (store_keys.h): the space, the usage limit (absent: none),
// the usage count records kept before SpaceStore counted uses in the
// space's slot (absent: 0; read as a floor) and the privileges joined by
// ",".
constexpr char kSpaceField[] = "s";
constexpr char kUsageLimitField[] = "l";
constexpr char kUsageCountField[] = "k";
constexpr char kPrivilegesField[] = "v";
constexpr char kInviteTypeValue[] = "j";

std::string JoinPrivileges(const std::vector<std::string>& privileges) {
  std::string joined;
  for (const std::string& privilege : privileges) {
    if (!joined.empty()) joined.push_back(',');
    joined.append(privilege);
  }
  return joined;
}

std::vector<std::string> SplitPrivileges(const std::string& joined) {
  std::vector<std::string> privileges;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = joined.find(',', start);
    if (end == std::string::npos) end = joined.size();
    if (end > start) privileges.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return privileges;
}

// KEYS: a record. ARGV: when (Unix s), the address. HSETs the last use
// only into a record that exists (never making a bare one) and holds no
// later use (another worker's batch may land after this one's).
constexpr char kRecordUseScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
if last >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'u', ARGV[1], 'p', ARGV[2])
return 1
)lua";

// The caveats as one field value; false when one cannot be told apart
// after joining (empty, or holding the separator).
bool JoinCaveats(const std::vector<std::string>& caveats, std::string* joined) {
  joined->clear();
  for (const std::string& caveat : caveats) {
    if (caveat.empty() || caveat.find('\n') != std::string::npos) return false;
    if (!joined->empty()) joined->push_back('\n');
    joined->append(caveat);
  }
  return true;
}

std::vector<std::string> SplitCaveats(const std::string& joined) {
  std::vector<std::string> caveats;
  if (joined.empty()) return caveats;
  size_t start = 0;
  for (;;) {
    size_t end = joined.find('\n', start);
    if (end == std::string::npos) {
      caveats.push_back(joined.substr(start));
      return caveats;
    }
    caveats.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
}

size_t CountCaveats(const std::string& joined) {
  if (joined.empty()) return 0;
  return 1 +
         static_cast<size_t>(std::count(joined.begin(), joined.end(), '\n'));
}

// EVAL of `script` on the user's three named-token keys, then `extra_keys`,
// with now and `args`.
RedisCommand ScriptCommand(const std::string& script,
                           const std::string& user_id,
                           const std::vector<std::string>& extra_keys,
                           int64_t now, const std::vector<std::string>& args) {
  RedisCommand command = {"EVAL",
                          script,
                          std::to_string(3 + extra_keys.size()),
                          NamedTokenListKey(user_id),
                          NamedTokenNamesKey(user_id),
                          NamedTokenRecordKey(user_id, "")};
  command.insert(command.end(), extra_keys.begin(), extra_keys.end());
  command.push_back(std::to_string(now));
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

// What the update and delete scripts change of one named token: its record,
// the list and the names (the record's name is built in the script from
// the prefix, so Run() would have to assume any key; see RunChanging).
std::vector<std::string> ChangedByOne(const std::string& user_id,
                                      const std::string& id) {
  return {NamedTokenRecordKey(user_id, id), NamedTokenListKey(user_id),
          NamedTokenNamesKey(user_id)};
}

RedisCommand LegacyScriptCommand(const std::string& script,
                                 const std::string& user_id,
                                 const std::vector<std::string>& args) {
  return ScriptCommand(script, user_id,
                       {TokenListKey(user_id), RevokedTokenListKey(user_id),
                        LegacyNamesKey(user_id)},
                       NowSeconds(), args);
}

Status NameTaken(const std::string& name) {
  return Status(Code::kAlreadyExists,
                "You already have a token named \"" + name + "\".");
}

Status EmptyName() {
  return Status(Code::kBadValueName, "A token's name must not be empty.");
}

}  // namespace

Status NamedTokenStore::Create(const std::string& user_id,
                               const NamedTokenRecord& record, int max_tokens) {
  if (!IsHexId(record.id)) {
    return Status(Code::kInternal, "not a named token id");
  }
  if (record.name.empty()) return EmptyName();
  std::string caveats;
  if (!JoinCaveats(record.caveats, &caveats)) {
    return Status(Code::kBadData,
                  "A caveat must be neither empty nor hold a line break.");
  }
  const int64_t now = NowSeconds();
  if (record.expires_at < 0 ||
      (record.expires_at != 0 && record.expires_at <= now)) {
    return Status(Code::kBadData, "The token's time caveat has passed.");
  }
  std::vector<std::string> args = {
      record.id,
      record.name,
      std::to_string(max_tokens),
      std::to_string(record.expires_at),
      std::to_string(record.expires_at != 0 ? record.expires_at
                                            : kNeverExpires),
      kNameField,
      record.name,
      kTypeField,
      record.type == NamedTokenType::kIdentity ? "i"
      : record.type == NamedTokenType::kInvite ? kInviteTypeValue
                                               : "a",
      kCreatedField,
      std::to_string(record.created_at)};
  if (record.type == NamedTokenType::kInvite) {
    for (const std::string& privilege : record.privileges) {
      if (privilege.empty() || privilege.find(',') != std::string::npos) {
        return Status(Code::kBadData,
                      "A privilege must be neither empty nor hold a comma.");
      }
    }
    if (!IsHexId(record.invite_space_id) || record.usage_limit < 0) {
      return Status(Code::kBadData, "An invitation needs a space and a limit.");
    }
    args.push_back(kSpaceField);
    args.push_back(record.invite_space_id);
    if (record.usage_limit > 0) {
      args.push_back(kUsageLimitField);
      args.push_back(std::to_string(record.usage_limit));
    }
    if (!record.privileges.empty()) {
      args.push_back(kPrivilegesField);
      args.push_back(JoinPrivileges(record.privileges));
    }
  }
  if (!caveats.empty()) {
    args.push_back(kCaveatsField);
    args.push_back(caveats);
  }
  if (!record.custom_metadata.empty()) {
    args.push_back(kMetadataField);
    args.push_back(record.custom_metadata);
  }
  if (record.revoked) {
    args.push_back(kRevokedField);
    args.push_back("1");
  }
  // No read cache can hold what this changes: the record's id is fresh and
  // random, the list and names are never cached, and the records prune()
  // drops belong to tokens past their expiry, which every check refuses by
  // that expiry alone. So no invalidation barrier.
  RedisReply reply;
  Status status = redis_->RunCreating(
      ScriptCommand(kCreateScript, user_id, {UserKey(user_id)}, now, args),
      &reply);
  if (!status.ok()) return status;
  switch (reply.integer) {
    case 1:
      return Status::Ok();
    case 0:
      return NameTaken(record.name);
    case -1:
      return Status(Code::kForbidden,
                    "You hold the most live named tokens allowed (" +
                        std::to_string(max_tokens) + "); delete some first.")
          .AddNumberDetail("limit", max_tokens);
    case -3:
      return Status(Code::kNotFound, "The user no longer exists.");
    default:
      return Status(Code::kInternal, "named token id taken");
  }
}

Status NamedTokenStore::Get(const std::string& user_id, const std::string& id,
                            NamedTokenRecord* record, bool* found) {
  *found = false;
  std::string nonce;
  if (ParseLegacyTokenId(id, &nonce)) {
    return GetLegacy(user_id, nonce, "", record, found);
  }
  if (!IsHexId(id)) return Status::Ok();
  const std::string key = NamedTokenRecordKey(user_id, id);
  std::vector<RedisReply> replies;
  Status status =
      redis_->Pipeline({{"HMGET", key, kNameField, kTypeField, kCaveatsField,
                         kCreatedField, kMetadataField, kRevokedField,
                         kLastUsedField, kLastUsedIpField, kSpaceField,
                         kUsageLimitField, kUsageCountField, kPrivilegesField},
                        {"EXPIRETIME", key}},
                       &replies);
  if (!status.ok()) return status;
  const std::vector<RedisReply>& fields = replies[0].elements;
  int64_t created_at = 0;
  if (fields.size() != 12 || fields[0].is_nil() || fields[3].is_nil() ||
      !ParseDecimal(fields[3].text, &created_at)) {
    return Status::Ok();
  }
  const int64_t expires_at = replies[1].integer > 0 ? replies[1].integer : 0;
  // Redis forgets a record a moment after its expiry; the token is dead at
  // once.
  if (expires_at != 0 && expires_at <= NowSeconds()) return Status::Ok();
  record->id = id;
  record->name = fields[0].text;
  record->type = fields[1].text == "i"                ? NamedTokenType::kIdentity
                 : fields[1].text == kInviteTypeValue ? NamedTokenType::kInvite
                                                      : NamedTokenType::kAccess;
  record->invite_space_id.clear();
  record->usage_limit = 0;
  record->usage_count = 0;
  record->privileges.clear();
  if (record->type == NamedTokenType::kInvite) {
    record->invite_space_id = fields[8].text;
    if (!ParseDecimal(fields[9].text, &record->usage_limit)) {
      record->usage_limit = 0;
    }
    if (!ParseDecimal(fields[10].text, &record->usage_count)) {
      record->usage_count = 0;
    }
    record->privileges = SplitPrivileges(fields[11].text);
    // Joins count uses in the space's slot (SpaceStore), one round trip
    // more: a Redis Cluster runs no command across two slots.
    RedisReply uses;
    status = redis_->Run(
        {"HGET", SpaceInvitationUsesKey(record->invite_space_id), id}, &uses);
    if (!status.ok()) return status;
    int64_t counted = 0;
    if (ParseDecimal(uses.text, &counted)) {
      record->usage_count = std::max(record->usage_count, counted);
    }
  }
  record->caveats = SplitCaveats(fields[2].text);
  record->created_at = created_at;
  record->custom_metadata = fields[4].text;
  record->revoked = fields[5].text == "1";
  record->expires_at = expires_at;
  if (!ParseDecimal(fields[6].text, &record->last_used)) record->last_used = 0;
  record->last_used_ip = record->last_used != 0 ? fields[7].text : "";
  *found = true;
  return Status::Ok();
}

Status NamedTokenStore::FindByName(const std::string& user_id,
                                   const std::string& name,
                                   NamedTokenRecord* record, bool* found) {
  *found = false;
  RedisReply id;
  Status status = redis_->Run({"HGET", NamedTokenNamesKey(user_id), name}, &id);
  if (!status.ok()) return status;
  if (!id.is_nil()) {
    status = Get(user_id, id.text, record, found);
    // A rename in between may have given the id another name.
    if (status.ok() && *found && record->name != name) *found = false;
    if (!status.ok() || *found) return status;
  }
  return GetLegacy(user_id, "", name, record, found);
}

Status NamedTokenStore::GetLegacy(const std::string& user_id,
                                  const std::string& nonce,
                                  const std::string& name,
                                  NamedTokenRecord* record, bool* found) {
  *found = false;
  RedisReply reply;
  Status status = redis_->Run(
      LegacyScriptCommand(kLegacyGetScript, user_id, {nonce, name}), &reply);
  if (!status.ok() || reply.elements.size() != 6) return status;
  const std::vector<RedisReply>& fields = reply.elements;
  NamedTokenRecord legacy;
  legacy.legacy_nonce = fields[0].text;
  legacy.id = LegacyTokenId(legacy.legacy_nonce);
  if (legacy.id.empty() || !ParseDecimal(fields[2].text, &legacy.created_at) ||
      !ParseDecimal(fields[3].text, &legacy.expires_at)) {
    return Status::Ok();
  }
  legacy.revoked = fields[1].text == "r";
  legacy.name = fields[4].text;
  legacy.custom_metadata = fields[5].text;
  legacy.type = NamedTokenType::kAccess;
  // The one caveat the seed token was minted with (MintAccessToken).
  legacy.caveats = {"time < " + std::to_string(legacy.expires_at)};
  *record = std::move(legacy);
  *found = true;
  return Status::Ok();
}

Status NamedTokenStore::ListIds(const std::string& user_id, int64_t now,
                                int64_t expiring_within,
                                std::vector<std::string>* ids) {
  ids->clear();
  std::string highest = "+inf";
  if (expiring_within >= 0) {
    // Tokens without expiry are never within reach.
    highest = std::to_string(expiring_within < kNeverExpires - now
                                 ? now + expiring_within
                                 : kNeverExpires - 1);
  }
  RedisReply reply;
  Status status =
      redis_->Run(ScriptCommand(kListScript, user_id, {}, NowSeconds(),
                                {std::to_string(now), highest}),
                  &reply);
  if (!status.ok()) return status;
  // Sorted by creation time in ms: a seed token's list score has them,
  // a named token's record only whole seconds.
  std::vector<std::pair<int64_t, std::string>> listed;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    int64_t created_at = 0;
    ParseDecimal(reply.elements[i + 1].text, &created_at);
    listed.emplace_back(created_at * 1000, std::move(reply.elements[i].text));
  }
  // The seed tokens, named tokens too ("legacy token N"): always with an
  // expiry, after `now` (the caller's).
  status = redis_->Run(LegacyScriptCommand(kLegacyListScript, user_id, {}),
                       &reply);
  if (!status.ok()) return status;
  const int64_t highest_expiry =
      expiring_within < 0 ? kNeverExpires
                          : (expiring_within < kNeverExpires - now
                                 ? now + expiring_within
                                 : kNeverExpires - 1);
  for (size_t i = 0; i + 2 < reply.elements.size(); i += 3) {
    int64_t created_ms = 0, expires_at = 0;
    ParseDecimal(reply.elements[i + 1].text, &created_ms);
    ParseDecimal(reply.elements[i + 2].text, &expires_at);
    if (expires_at <= now || expires_at > highest_expiry) continue;
    std::string id = LegacyTokenId(reply.elements[i].text);
    if (!id.empty()) listed.emplace_back(created_ms, std::move(id));
  }
  std::sort(listed.begin(), listed.end());
  for (auto& entry : listed) ids->push_back(std::move(entry.second));
  return Status::Ok();
}

Status NamedTokenStore::Update(const std::string& user_id,
                               const std::string& id,
                               const NamedTokenUpdate& update, bool* found) {
  *found = false;
  if (!IsHexId(id)) return Status::Ok();
  if (update.name && update.name->empty()) return EmptyName();
  const std::vector<std::string> args = {
      id, update.name.value_or(""), update.custom_metadata ? "1" : "0",
      update.custom_metadata.value_or(""),
      !update.revoked ? "" : *update.revoked ? "1" : "0"};
  RedisReply reply;
  Status status;
  std::string nonce;
  if (ParseLegacyTokenId(id, &nonce)) {
    std::vector<std::string> legacy_args = args;
    legacy_args[0] = nonce;
    status = redis_->Run(
        LegacyScriptCommand(kLegacyUpdateScript, user_id, legacy_args), &reply);
  } else {
    status = redis_->RunChanging(
        ScriptCommand(kUpdateScript, user_id, {}, NowSeconds(), args),
        ChangedByOne(user_id, id), &reply);
  }
  if (!status.ok()) return status;
  if (reply.integer == -1) {
    *found = true;
    return NameTaken(*update.name);
  }
  *found = reply.integer == 1;
  return Status::Ok();
}

Status NamedTokenStore::Delete(const std::string& user_id,
                               const std::string& id, bool* found) {
  *found = false;
  if (!IsHexId(id)) return Status::Ok();
  RedisReply reply;
  Status status;
  std::string nonce;
  if (ParseLegacyTokenId(id, &nonce)) {
    status = redis_->Run(
        LegacyScriptCommand(kLegacyDeleteScript, user_id, {nonce}), &reply);
  } else {
    status = redis_->RunChanging(
        ScriptCommand(kDeleteScript, user_id, {}, NowSeconds(), {id}),
        ChangedByOne(user_id, id), &reply);
  }
  *found = status.ok() && reply.integer == 1;
  return status;
}

Status NamedTokenStore::DeleteAllLegacy(const std::string& user_id) {
  RedisReply reply;
  return redis_->Run(
      LegacyScriptCommand(kLegacyDeleteAllScript, user_id, {}), &reply);
}

Status NamedTokenStore::DeleteAll(const std::string& user_id) {
  RedisReply reply;
  return redis_->Run(
      ScriptCommand(kDeleteAllScript, user_id, {}, NowSeconds(), {}), &reply);
}

Status NamedTokenStore::RecordUses(const std::vector<NamedTokenUse>& uses) {
  if (uses.empty()) return Status::Ok();
  std::vector<RedisCommand> commands;
  commands.reserve(uses.size());
  for (const NamedTokenUse& use : uses) {
    commands.push_back({"EVAL", kRecordUseScript, "1",
                        NamedTokenRecordKey(use.user_id, use.id),
                        std::to_string(use.at), use.address});
  }
  std::vector<RedisReply> replies;
  return redis_->Pipeline(commands, &replies);
}

Status NamedTokenStore::FindTokenOwner(const std::string& user_id,
                                       const std::string& id, UserRecord* user,
                                       bool* found, bool* revoked,
                                       size_t* caveat_count) {
  *found = false;
  *revoked = false;
  *caveat_count = 0;
  std::vector<RedisReply> replies;
  Status status =
      redis_->Pipeline({{"HMGET", NamedTokenRecordKey(user_id, id),
                         kCreatedField, kRevokedField, kCaveatsField},
                        UserFieldsCommand(user_id)},
                       &replies);
  if (!status.ok()) return status;
  const std::vector<RedisReply>& fields = replies[0].elements;
  if (fields.size() != 3 || fields[0].is_nil() ||
      !ReadUser(user_id, replies[1], user)) {
    return Status::Ok();
  }
  *found = true;
  *revoked = fields[1].text == "1";
  *caveat_count = CountCaveats(fields[2].text);
  return Status::Ok();
}

}  // namespace tokend
