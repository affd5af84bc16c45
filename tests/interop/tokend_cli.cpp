// A small command-line front end to the project's macaroon code, compiled by
// tests/interop/run against libtokend.a so that tests/interop/interop.py can
// pass tokens between it, pymacaroons and libmacaroons.
//
//   tokend_cli mint ROOT_HEX LOCATION IDENTIFIER [CAVEAT...]
//       prints the token as Onezone sends it (EncodeToken)
//   tokend_cli attenuate TOKEN CAVEAT
//       prints TOKEN with one more first-party caveat (EncodeToken)
//   tokend_cli inspect TOKEN
//       prints "location ...", "identifier ...", one "cid ..." per caveat
//       and "signature <hex>", one per line
//   tokend_cli verify ROOT_HEX TOKEN [PREDICATE...]
//       checks `time < N` against the clock and each PREDICATE exactly;
//       prints "ok" or the error id (and the caveat it names, if any)
//
// The root secret is hex so that any 32 random bytes pass through argv.
// Exit status: 0 success, 1 verification failed, 2 the token does not
// parse, 64 usage error.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/text.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/verifier.h"

namespace {

using tokend::Macaroon;
using tokend::Status;

constexpr int kUsage = 64;

bool HexDecode(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    if (std::sscanf(hex.substr(i, 2).c_str(), "%2x", &value) != 1) return false;
    out->push_back(static_cast<char>(value));
  }
  return true;
}

bool Decode(const char* text, Macaroon* macaroon) {
  Status status = tokend::DecodeToken(text, macaroon);
  if (!status.ok()) {
    std::printf("%s %s\n", status.error_id(), status.description().c_str());
  }
  return status.ok();
}

int Mint(const std::vector<std::string>& args) {
  std::string root;
  if (args.size() < 3 || !HexDecode(args[0], &root)) return kUsage;
  Macaroon macaroon =
      tokend::MintMacaroon(tokend::DeriveMacaroonKey(root), args[1], args[2]);
  for (size_t i = 3; i < args.size(); ++i) {
    tokend::AddFirstPartyCaveat(&macaroon, args[i]);
  }
  std::printf("%s\n", tokend::EncodeToken(macaroon).c_str());
  return 0;
}

int Attenuate(const std::vector<std::string>& args) {
  if (args.size() != 2) return kUsage;
  Macaroon macaroon;
  if (!Decode(args[0].c_str(), &macaroon)) return 2;
  tokend::AddFirstPartyCaveat(&macaroon, args[1]);
  std::printf("%s\n", tokend::EncodeToken(macaroon).c_str());
  return 0;
}

int Inspect(const std::vector<std::string>& args) {
  if (args.size() != 1) return kUsage;
  Macaroon macaroon;
  if (!Decode(args[0].c_str(), &macaroon)) return 2;
  std::printf("location %s\n", macaroon.location.c_str());
  std::printf("identifier %s\n", macaroon.identifier.c_str());
  for (const tokend::Caveat& caveat : macaroon.caveats) {
    std::printf("cid %s\n", caveat.id.c_str());
  }
  std::printf("signature %s\n", tokend::HexEncode(macaroon.signature.data(),
                                                  macaroon.signature.size())
                                    .c_str());
  return 0;
}

int Verify(const std::vector<std::string>& args) {
  std::string root;
  if (args.size() < 2 || !HexDecode(args[0], &root)) return kUsage;
  Macaroon macaroon;
  if (!Decode(args[1].c_str(), &macaroon)) return 2;

  tokend::MacaroonVerifier verifier;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  verifier.AddChecker([now](std::string_view caveat) {
    return tokend::CheckTimeCaveat(caveat, now);
  });
  std::vector<std::string> predicates(args.begin() + 2, args.end());
  verifier.AddChecker([predicates](std::string_view caveat) {
    for (const std::string& predicate : predicates) {
      if (caveat == predicate) return tokend::CaveatResult::kSatisfied;
    }
    return tokend::CaveatResult::kNotMine;
  });

  Status status = verifier.Verify(macaroon, tokend::DeriveMacaroonKey(root));
  if (status.ok()) {
    std::printf("ok\n");
    return 0;
  }
  std::printf("%s", status.error_id());
  for (const Status::Detail& detail : status.details()) {
    std::printf(" %s=%s", detail.key.c_str(), detail.value.c_str());
  }
  std::printf("\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: tokend_cli mint|attenuate|inspect|verify ...\n");
    return kUsage;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  int status = kUsage;
  if (command == "mint") status = Mint(args);
  if (command == "attenuate") status = Attenuate(args);
  if (command == "inspect") status = Inspect(args);
  if (command == "verify") status = Verify(args);
  if (status == kUsage)
    std::fprintf(stderr, "tokend_cli: bad usage of %s\n", argv[1]);
  return status;
}
