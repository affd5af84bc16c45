// The generation of temporary tokens (see temporary_token_store.h).
#include "tokend/store/temporary_token_store.h"

#include "tokend/common/text.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/user_fields.h"

namespace tokend {

namespace {

// A generation reply: nil is 0; anything unreadable is an error, never
// taken for 0 (which would bring back every revoked token).
Status ReadGeneration(const RedisReply& reply, int64_t* generation) {
  *generation = 0;
  if (reply.is_nil()) return Status::Ok();
  if (reply.type == RedisReply::Type::kInteger) {
    *generation = reply.integer;
    return Status::Ok();
  }
  if (!ParseDecimal(reply.text, generation)) {
    return Status(Code::kInternal, "unreadable temporary token generation");
  }
  return Status::Ok();
}

}  // namespace

Status TemporaryTokenStore::Generation(const std::string& user_id,
                                       int64_t* generation) {
  RedisReply reply;
  Status status = redis_->Run({"GET", TemporaryGenerationKey(user_id)}, &reply);
  if (!status.ok()) return status;
  return ReadGeneration(reply, generation);
}

Status TemporaryTokenStore::RevokeAll(const std::string& user_id,
                                      int64_t* new_generation) {
  RedisReply reply;
  Status status = redis_->Run({"INCR", TemporaryGenerationKey(user_id)}, &reply);
  if (!status.ok()) return status;
  return ReadGeneration(reply, new_generation);
}

Status TemporaryTokenStore::FindTokenOwner(const std::string& user_id,
                                           UserRecord* user, bool* found,
                                           int64_t* generation) {
  *found = false;
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(
      {{"GET", TemporaryGenerationKey(user_id)}, UserFieldsCommand(user_id)},
      &replies);
  if (!status.ok()) return status;
  status = ReadGeneration(replies[0], generation);
  if (!status.ok()) return status;
  *found = ReadUser(user_id, replies[1], user);
  return Status::Ok();
}

}  // namespace tokend
