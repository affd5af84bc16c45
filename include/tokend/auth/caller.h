// Caller: who a request's credentials belong to, and the hook a request
// uses to read more of that user's data in the lookup's own round trip.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tokend {

struct Caller {
  std::string user_id;
  // The user's name; empty when a token's caller was accepted without
  // reading the user record (a check left to the request's write).
  std::string name;
  // A token's caveats beyond the one the service issued it with: the caller
  // holds a copy a client confined (oneclient appends a short `time`
  // before handing a token on). Every token handed to such a caller carries
  // them too, and a token made for it lives no longer than `expires_at`,
  // the earliest time caveat of the caller's token. Empty for basic auth
  // and for tokens as issued.
  std::vector<std::string> added_caveats;
  int64_t expires_at = 0;
  // The id of the named token that authenticated the request, for its
  // metadata.lastUsed; empty for any other credentials.
  std::string named_token_id;

  bool confined() const { return !added_caveats.empty(); }
};

// Called with the id of the user the credentials name, just before that
// user is looked up in Redis: a request that will need more of the user's
// data queues it there (RedisClient::Prefetch) to share the lookup's round
// trip.
using BeforeUserLookup = std::function<void(const std::string& user_id)>;

}  // namespace tokend
