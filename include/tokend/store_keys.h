// Redis key layout, in one place. Every key of one user carries the hash
// tag {<userId>}, so all keys a request touches share one Redis Cluster
// hash slot.
//
//   oz:{uid}:user        hash   name, pw (the slow password hash)
//   oz:{uid}:tokens      zset   token nonces, scored by creation time (ms)
//   oz:{uid}:t:<nonce>   string the token's expiry (Unix s); EXPIREAT it
//   oz:users             set    all user names (admin listing only)
#pragma once

#include <string>

namespace tokend {

inline std::string UserKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:user";
}
inline std::string TokenListKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:tokens";
}
inline std::string TokenRecordKey(const std::string& user_id,
                                  const std::string& nonce) {
  return "oz:{" + user_id + "}:t:" + nonce;
}
inline std::string UserNamesKey() { return "oz:users"; }

}  // namespace tokend
