// SpacesApi: the minimal Onezone space model around invitation tokens:
// create and list spaces, the default space, invitations (GET
// /user/spaces/token, POST /spaces/{id}/users/token), joining with an
// invitation, leaving, and listing members.
//
// The invitation endpoints issue named invitations (issue 14: type
// "ujs:<spaceId>", usage limit 1, expiring after `invite_ttl`), as Onezone
// 20.02 does; they count against the creator's `max_named_tokens_per_user`
// (`max_pending_invites_per_space` no longer applies: nothing issues seed
// invitations now). Joining takes those, the named and temporary ones the
// token API makes, and the seed invitations of kind "inv" issued before
// (see token_ref.h), which keep working until used or expired. None is ever
// accepted as an access token, nor an access token as an invitation.
// Creating or joining a space past `max_spaces_per_user`, and inviting past
// `max_named_tokens_per_user`, is 403 forbidden with details.limit. A space
// id in a path that is not one (32 lowercase hex digits)
// is 404, like a space the caller is not in.
//
// Not thread-safe: one per worker.
#pragma once

#include <string>

#include "tokend/api/call.h"
#include "tokend/common/config.h"
#include "tokend/http/outcome.h"
#include "tokend/store/named_token_store.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/space_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class SpacesApi {
 public:
  // `config`, `keys` and `redis` must outlive it.
  SpacesApi(const Config& config, const TokenKeys& keys, RedisClient* redis)
      : config_(config), keys_(keys), spaces_(redis), named_tokens_(redis) {}

  // POST /user/spaces {"name"}: 201 with Location and {"spaceId"}.
  void CreateSpace(const Call& call, Outcome* outcome);
  // GET /user/spaces: {"spaces": [ids], "default": id or null}.
  void ListSpaces(const Call& call, Outcome* outcome);
  // GET /user/spaces/{id}: {"spaceId", "name", "owner", "members"}.
  void GetSpace(const Call& call, Outcome* outcome);
  // DELETE /user/spaces/{id}: 204, the caller leaves.
  void LeaveSpace(const Call& call, Outcome* outcome);
  // GET and PUT /user/spaces/default.
  void GetDefaultSpace(const Call& call, Outcome* outcome);
  void SetDefaultSpace(const Call& call, Outcome* outcome);
  // GET /user/spaces/token: an invitation to the caller's default space.
  void InviteToDefaultSpace(const Call& call, Outcome* outcome);
  // POST /spaces/{id}/users/token: an invitation to a space the caller owns.
  void InviteToSpace(const Call& call, Outcome* outcome);
  // POST /user/spaces/join {"token"}: 201 with Location and {"spaceId"}.
  void JoinSpace(const Call& call, Outcome* outcome);
  // GET /spaces/{id}/users: {"users": [userIds]}, for members only.
  void ListMembers(const Call& call, Outcome* outcome);

 private:
  // The space if the caller is a member; kNotFound otherwise (including
  // for a malformed id).
  Status FindForMember(const Caller& caller, const std::string& space_id,
                       SpaceRecord* space);
  // 200 {"token"}: an invitation to `space_id`, which the caller must own:
  // a named invitation of the caller's with usage limit 1 expiring after
  // invite_ttl, as Onezone 20.02 makes them (issue 14), named "space
  // invite <first 8 digits of the space id> <16 random hex digits>".
  void Invite(const Caller& caller, const std::string& space_id,
              Outcome* outcome);
  // 201 with Location /user/spaces/{id} and {"spaceId"}.
  void Created(const std::string& space_id, Outcome* outcome);

  const Config& config_;
  const TokenKeys& keys_;
  SpaceStore spaces_;
  NamedTokenStore named_tokens_;
};

}  // namespace tokend
