// NamedTokenUses: when each named token last authenticated a request, and
// from where, as one worker saw it, until the worker writes the batch to
// Redis (NamedTokenStore::RecordUses). So metadata.lastUsed costs no Redis
// write per request: a worker writes every named_token_use_flush_seconds
// (its timer) and when kMaxPending tokens wait, so Redis lags the true last
// use by at most that plus one write. A worker that is killed loses its
// unwritten batch.
//
// Not thread-safe: one per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokend/store/named_token_store.h"

namespace tokend {

class NamedTokenUses {
 public:
  static constexpr size_t kMaxPending = 4096;

  // Notes a use; the latest of a token's uses wins.
  void Note(const std::string& user_id, const std::string& id, int64_t at,
            const std::string& address);
  bool full() const { return pending_.size() >= kMaxPending; }
  bool empty() const { return pending_.empty(); }
  // The uses noted since the last Take, which forgets them.
  std::vector<NamedTokenUse> Take();

 private:
  // By user id and token id.
  std::unordered_map<std::string, NamedTokenUse> pending_;
};

}  // namespace tokend
