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
//   tokend_cli check ROOT_HEX TOKEN [KEY=VALUE...]
//       checks every caveat as the service does (token/caveat.h: ParseCaveat
//       and CaveatHolds) in the context KEY=VALUE sets: peer_ip, interface,
//       operation, service, consumer, allow_data_access (0 or 1); the clock
//       is now. Prints as verify does.
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
#include "tokend/token/caveat.h"
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

// Prints "ok", or the error id and its details; the exit status.
int Report(const Status& status) {
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

  return Report(verifier.Verify(macaroon, tokend::DeriveMacaroonKey(root)));
}

int Check(const std::vector<std::string>& args) {
  std::string root;
  if (args.size() < 2 || !HexDecode(args[0], &root)) return kUsage;
  Macaroon macaroon;
  if (!Decode(args[1].c_str(), &macaroon)) return 2;
  // The strings the context's views point into live in `args`.
  tokend::CaveatContext context;
  context.now = static_cast<int64_t>(std::time(nullptr));
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& arg = args[i];
    size_t equals = arg.find('=');
    if (equals == std::string::npos) return kUsage;
    std::string_view key(arg.data(), equals);
    std::string_view value(arg.data() + equals + 1, arg.size() - equals - 1);
    if (key == "peer_ip") context.peer_ip = value;
    else if (key == "interface") context.interface = value;
    else if (key == "operation") context.operation = value;
    else if (key == "service") context.service = value;
    else if (key == "consumer") context.consumer = value;
    else if (key == "allow_data_access") context.allow_data_access = value == "1";
    else return kUsage;
  }
  tokend::MacaroonVerifier verifier;
  verifier.AddChecker([context](std::string_view text) {
    tokend::TokenCaveat caveat;
    if (!tokend::ParseCaveat(text, &caveat)) return tokend::CaveatResult::kNotMine;
    return tokend::CaveatHolds(caveat, context) ? tokend::CaveatResult::kSatisfied
                                                : tokend::CaveatResult::kUnsatisfied;
  });
  return Report(verifier.Verify(macaroon, tokend::DeriveMacaroonKey(root)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: tokend_cli mint|attenuate|inspect|verify|check ...\n");
    return kUsage;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  int status = kUsage;
  if (command == "mint") status = Mint(args);
  if (command == "attenuate") status = Attenuate(args);
  if (command == "inspect") status = Inspect(args);
  if (command == "verify") status = Verify(args);
  if (command == "check") status = Check(args);
  if (status == kUsage)
    std::fprintf(stderr, "tokend_cli: bad usage of %s\n", argv[1]);
  return status;
}
