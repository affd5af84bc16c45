// Caller: who a request's credentials belong to, and the hook a request
// uses to read more of that user's data in the lookup's own round trip.
#pragma once

#include <functional>
#include <string>

namespace tokend {

struct Caller {
  std::string user_id;
  // The user's name; empty when a token's caller was accepted without
  // reading the user record (a check left to the request's write).
  std::string name;
};

// Called with the id of the user the credentials name, just before that
// user is looked up in Redis: a request that will need more of the user's
// data queues it there (RedisClient::Prefetch) to share the lookup's round
// trip.
using BeforeUserLookup = std::function<void(const std::string& user_id)>;

}  // namespace tokend
