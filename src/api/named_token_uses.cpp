// The uses of named tokens one worker has not written yet (see
// named_token_uses.h).
#include "tokend/api/named_token_uses.h"

#include <utility>

namespace tokend {

void NamedTokenUses::Note(const std::string& user_id, const std::string& id,
                          int64_t at, const std::string& address) {
  NamedTokenUse& use = pending_[user_id + "/" + id];
  if (use.at > at) return;
  use.user_id = user_id;
  use.id = id;
  use.at = at;
  use.address = address;
}

std::vector<NamedTokenUse> NamedTokenUses::Take() {
  std::vector<NamedTokenUse> uses;
  uses.reserve(pending_.size());
  for (auto& [key, use] : pending_) uses.push_back(std::move(use));
  pending_.clear();
  return uses;
}

}  // namespace tokend
