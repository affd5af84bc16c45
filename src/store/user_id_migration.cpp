// Name keys for users made before ids became random (see user_id_migration.h).
#include "tokend/store/user_id_migration.h"

#include <cstdio>
#include <string>
#include <vector>

#include "tokend/store/store_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// Keys looked at per SCAN step. Records without a name key are made only by
// earlier versions, so this runs once per database.
constexpr char kScanCount[] = "1000";

// The id inside a user record's key "oz:{<id>}:user"; empty for any other
// key SCAN's pattern lets through.
std::string IdOfUserKey(const std::string& key) {
  const std::string prefix = "oz:{";
  const std::string suffix = "}:user";
  if (key.size() <= prefix.size() + suffix.size() ||
      key.compare(0, prefix.size(), prefix) != 0 ||
      key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  std::string id =
      key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
  return IsHexId(id) ? id : "";
}

// Gives each of `ids`' records a name key unless its name has one.
Status AdoptRecords(RedisClient* redis, const std::vector<std::string>& ids,
                    size_t* adopted) {
  std::vector<RedisCommand> reads;
  for (const std::string& id : ids) reads.push_back({"HGET", UserKey(id), "name"});
  std::vector<RedisReply> names;
  Status status = redis->Pipeline(reads, &names);
  if (!status.ok()) return status;
  std::vector<RedisCommand> writes;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (names[i].is_nil()) continue;  // deleted meanwhile
    writes.push_back({"SET", UserNameKey(names[i].text), ids[i], "NX"});
    writes.push_back({"SADD", UserNamesKey(), names[i].text});
  }
  if (writes.empty()) return Status::Ok();
  std::vector<RedisReply> replies;
  status = redis->Pipeline(writes, &replies);
  if (!status.ok()) return status;
  for (size_t i = 0; i < replies.size(); i += 2) {
    if (replies[i].type == RedisReply::Type::kStatus) ++*adopted;
  }
  return Status::Ok();
}

}  // namespace

Status MigrateUserIds(RedisClient* redis, size_t* adopted) {
  *adopted = 0;
  RedisReply reply;
  Status status = redis->Run({"EXISTS", UserIdsMigratedKey()}, &reply);
  if (!status.ok() || reply.integer == 1) return status;
  std::string cursor = "0";
  do {
    status = redis->Run(
        {"SCAN", cursor, "MATCH", "oz:{*}:user", "COUNT", kScanCount}, &reply);
    if (!status.ok()) return status;
    if (reply.elements.size() != 2) {
      return Status(Code::kInternal, "unexpected reply to SCAN");
    }
    cursor = reply.elements[0].text;
    std::vector<std::string> ids;
    for (const RedisReply& key : reply.elements[1].elements) {
      std::string id = IdOfUserKey(key.text);
      if (!id.empty()) ids.push_back(id);
    }
    if (!ids.empty()) status = AdoptRecords(redis, ids, adopted);
    if (!status.ok()) return status;
  } while (cursor != "0");
  status = redis->Run({"SET", UserIdsMigratedKey(), "1"}, &reply);
  if (status.ok() && *adopted > 0) {
    std::fprintf(stderr, "onezone-tokend: gave %zu user(s) made before random "
                         "user ids a name key; they keep their ids\n", *adopted);
  }
  return status;
}

}  // namespace tokend
