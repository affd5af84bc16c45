// NamedTokensApi: the caller's named tokens, the successor API of Onezone
// 20.02 (../shared/reference/onezone-tokens-20.md): create, list (ids, or
// those expiring soon), read by id or name, rename, revoke reversibly,
// change custom metadata, delete one or all, and a token's status.
//
// A named token returned to a confined caller (a token a client appended
// caveats to) carries those caveats too, and one it creates is minted and
// stored with them, as the seed endpoints do (auth/caller.h).
//
// Not thread-safe: one per worker.
#pragma once

#include <string>
#include <vector>

#include "tokend/api/call.h"
#include "tokend/common/config.h"
#include "tokend/http/outcome.h"
#include "tokend/store/named_token_store.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/space_store.h"
#include "tokend/token/token_keys.h"

namespace Json {
class Value;
}

namespace tokend {

class NamedTokensApi {
 public:
  // `config`, `keys` and `redis` must outlive it.
  NamedTokensApi(const Config& config, const TokenKeys& keys,
                 RedisClient* redis)
      : config_(config), keys_(keys), named_tokens_(redis), spaces_(redis) {}

  // POST /user/tokens/named: 201, Location /tokens/named/{id},
  // {"tokenId", "token"}. An invitation (type inviteToken, issue 14) also
  // takes usageLimit and privileges; only the space's owner creates one
  // (404 for a space the caller is not in, 403 for a member).
  void CreateNamedToken(const Call& call, Outcome* outcome);
  // GET /user/tokens/named[?expiring_within=SECONDS]: {"tokens": [ids]}.
  void ListNamedTokens(const Call& call, Outcome* outcome);
  // DELETE /user/tokens/named: 204, every named token of the caller gone.
  void DeleteAllNamedTokens(const Call& call, Outcome* outcome);
  // GET /user/tokens/named/name/{name} and GET /tokens/named/{id}: the
  // NamedToken; 404 for a token that is not the caller's.
  void GetNamedTokenByName(const Call& call, Outcome* outcome);
  void GetNamedToken(const Call& call, Outcome* outcome);
  // PATCH /tokens/named/{id}: 204 after changing at least one of name,
  // customMetadata and revoked.
  void UpdateNamedToken(const Call& call, Outcome* outcome);
  // DELETE /tokens/named/{id}: 204.
  void DeleteNamedToken(const Call& call, Outcome* outcome);
  // GET /tokens/named/{id}/status: {"revoked": bool}.
  void GetNamedTokenStatus(const Call& call, Outcome* outcome);

 private:
  // The caller's token with the id in the path, or 404.
  Status FindById(const Call& call, NamedTokenRecord* record);
  // The NamedToken JSON model of `record`, its token confined as the
  // caller is.
  void Render(const Caller& caller, const NamedTokenRecord& record,
              Json::Value* json) const;
  // Checks customMetadata (an object within max_custom_metadata_bytes,
  // whose numbers are held as given: `parsed_text` and `replaced_numbers`
  // as ParseJsonObject gave them) and sets `*text` to its compact JSON.
  Status ReadCustomMetadata(const Json::Value& value,
                            const std::string& parsed_text,
                            const std::vector<size_t>& replaced_numbers,
                            std::string* text) const;

  const Config& config_;
  const TokenKeys& keys_;
  NamedTokenStore named_tokens_;
  SpaceStore spaces_;
};

}  // namespace tokend
