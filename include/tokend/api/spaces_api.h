// SpacesApi: the minimal Onezone space model around invitation tokens:
// create and list spaces, the default space, invitations (GET
// /user/spaces/token, POST /spaces/{id}/users/token), joining with an
// invitation, leaving, and listing members.
//
// Invitations are macaroons of kind "inv" (see token_ref.h): single use,
// expiring after `invite_ttl`, never accepted as access tokens and the other
// way round.
//
// Not thread-safe: one per worker.
#pragma once

#include <string>

#include "tokend/auth/authenticator.h"
#include "tokend/common/config.h"
#include "tokend/http/request.h"
#include "tokend/http/outcome.h"
#include "tokend/store/space_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class SpacesApi {
 public:
  SpacesApi(const Config& config, const TokenKeys& keys, SpaceStore* spaces)
      : config_(config), keys_(keys), spaces_(spaces) {}

  void Create(const Caller& caller, const Request& request, Outcome* outcome);
  void List(const Caller& caller, Outcome* outcome);
  void Get(const Caller& caller, const std::string& space_id, Outcome* outcome);
  void Leave(const Caller& caller, const std::string& space_id,
             Outcome* outcome);
  void GetDefault(const Caller& caller, Outcome* outcome);
  void SetDefault(const Caller& caller, const Request& request,
                  Outcome* outcome);
  void InviteToDefault(const Caller& caller, Outcome* outcome);
  void InviteTo(const Caller& caller, const std::string& space_id,
                Outcome* outcome);
  void Join(const Caller& caller, const Request& request, Outcome* outcome);
  void Members(const Caller& caller, const std::string& space_id,
               Outcome* outcome);

 private:
  // The space if the caller is a member; kNotFound otherwise (including
  // for a malformed id).
  Status FindForMember(const Caller& caller, const std::string& space_id,
                       SpaceRecord* space);
  // 201 with Location /user/spaces/{id} and {"spaceId"}.
  void Created(const std::string& space_id, Outcome* outcome);

  const Config& config_;
  const TokenKeys& keys_;
  SpaceStore* spaces_;
};

}  // namespace tokend
