// The user record's fields that authentication reads (see user_fields.h).
#include "tokend/store/user_fields.h"

#include "tokend/store/store_keys.h"

namespace tokend {

RedisCommand UserFieldsCommand(const std::string& user_id) {
  return {"HMGET", UserKey(user_id), "name", "pw"};
}

bool ReadUser(const std::string& user_id, const RedisReply& fields,
              UserRecord* user) {
  if (fields.elements.size() != 2 || fields.elements[0].is_nil() ||
      fields.elements[1].is_nil()) {
    return false;
  }
  *user = UserRecord{user_id, fields.elements[0].text, fields.elements[1].text};
  return true;
}

}  // namespace tokend
