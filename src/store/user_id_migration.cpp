// Name keys for users made before ids became random (see user_id_migration.h).
#include "tokend/store/user_id_migration.h"

#include <cstdio>
#include <string>
#include <vector>

#include "tokend/store/store_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

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
  }
  if (writes.empty()) return Status::Ok();
  std::vector<RedisReply> replies;
  status = redis->Pipeline(writes, &replies);
  if (!status.ok()) return status;
  for (size_t i = 0; i < replies.size(); ++i) {
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
  status = redis->ScanKeys("oz:{*}:user", [&](const std::vector<std::string>& keys) {
    std::vector<std::string> ids;
    for (const std::string& key : keys) {
      std::string id = UserIdOfKey(key);
      if (!id.empty()) ids.push_back(id);
    }
    return ids.empty() ? Status::Ok() : AdoptRecords(redis, ids, adopted);
  });
  if (!status.ok()) return status;
  status = redis->Run({"SET", UserIdsMigratedKey(), "1"}, &reply);
  if (status.ok() && *adopted > 0) {
    std::fprintf(stderr, "onezone-tokend: gave %zu user(s) made before random "
                         "user ids a name key; they keep their ids\n", *adopted);
  }
  return status;
}

}  // namespace tokend
