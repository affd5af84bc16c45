// onezone-admin: manage users in the service's Redis.
//   onezone-admin --config PATH user add NAME --password-stdin
//   onezone-admin --config PATH user passwd NAME --password-stdin
//   onezone-admin --config PATH user del NAME
//   onezone-admin --config PATH user list
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tokend/auth/password_hash.h"
#include "tokend/common/config.h"
#include "tokend/common/crypto.h"
#include "tokend/common/limits.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/space_store.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_ref.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: onezone-admin --config PATH user add NAME --password-stdin\n"
               "       onezone-admin --config PATH user passwd NAME --password-stdin\n"
               "       onezone-admin --config PATH user del NAME\n"
               "       onezone-admin --config PATH user list\n");
  return 2;
}

int Fail(const tokend::Status& status) {
  std::fprintf(stderr, "onezone-admin: %s\n", status.description().c_str());
  return 1;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > tokend::kMaxUserNameBytes) return false;
  for (char c : name) {
    // Printable ASCII without ':' (basic auth splits at the first colon).
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  return true;
}

// The first line of standard input, without its newline.
bool ReadPassword(std::string* password) {
  if (!std::getline(std::cin, *password)) return false;
  if (!password->empty() && password->back() == '\r') password->pop_back();
  return !password->empty() && password->size() <= tokend::kMaxPasswordBytes;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 4 || args[0] != "--config" || args[2] != "user") {
    return Usage();
  }
  tokend::Config config;
  tokend::Status status = tokend::LoadConfig(args[1], &config);
  if (!status.ok()) return Fail(status);
  tokend::RedisClient redis(config);
  redis.StopCachingReads();  // one command per run: nothing to reuse
  tokend::UserStore users(&redis);
  const std::string& verb = args[3];

  if (verb == "list" && args.size() == 4) {
    std::vector<std::string> names;
    status = users.ListNames(&names);
    if (!status.ok()) return Fail(status);
    for (const std::string& name : names) std::printf("%s\n", name.c_str());
    return 0;
  }
  if (args.size() < 5) return Usage();
  const std::string& name = args[4];
  if (!ValidName(name)) {
    std::fprintf(stderr, "onezone-admin: a user name is 1-%zu printable ASCII "
                         "characters without spaces or ':'\n",
                 tokend::kMaxUserNameBytes);
    return 1;
  }
  if (verb == "del" && args.size() == 5) {
    tokend::UserRecord user;
    bool found = false;
    status = users.FindByName(name, &user, &found);
    if (status.ok() && !found) {
      status = tokend::Status(tokend::Code::kNotFound,
                              "No user named \"" + name + "\".");
    }
    tokend::SpaceStore spaces(&redis);
    if (status.ok()) status = spaces.LeaveAll(user.id);
    if (status.ok()) status = users.Delete(name);
    if (!status.ok()) return Fail(status);
    std::printf("deleted user %s, revoked their tokens and left their spaces\n", name.c_str());
    return 0;
  }
  if ((verb == "add" || verb == "passwd") && args.size() == 6 &&
      args[5] == "--password-stdin") {
    // Refuse a taken name or a missing user before paying for the hash.
    tokend::UserRecord existing;
    bool found = false;
    status = users.FindByName(name, &existing, &found);
    if (!status.ok()) return Fail(status);
    if (verb == "add" && found) {
      return Fail(tokend::Status(tokend::Code::kAlreadyExists,
                                 "User \"" + name + "\" already exists."));
    }
    if (verb == "passwd" && !found) {
      return Fail(tokend::Status(tokend::Code::kNotFound,
                                 "No user named \"" + name + "\"."));
    }
    std::string password;
    if (!ReadPassword(&password)) {
      std::fprintf(stderr, "onezone-admin: expected a password (1-%zu bytes) on "
                           "the first line of standard input\n",
                   tokend::kMaxPasswordBytes);
      return 1;
    }
    std::string hash = tokend::HashPassword(password, tokend::PasswordHashParamsOf(config));
    tokend::Wipe(&password);
    if (hash.empty()) return Fail(tokend::Status(tokend::Code::kInternal, "hashing failed"));
    if (verb == "add") {
      tokend::UserRecord created;
      status = users.Add(name, hash, &created);
      if (!status.ok()) return Fail(status);
      std::printf("created user %s (id %s)\n", name.c_str(), created.id.c_str());
    } else {
      status = users.SetPasswordHash(name, hash);
      if (!status.ok()) return Fail(status);
      std::printf("changed the password of %s\n", name.c_str());
    }
    return 0;
  }
  return Usage();
}
