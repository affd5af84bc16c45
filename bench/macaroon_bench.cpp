// Macaroon throughput: our codec and verifier against libmacaroons 0.3.0 (the
// reference C implementation) on the same token, in the same run.
//
// Per token, both sides do the whole job a server does:
//   mint:   derive the key from the root secret, sign the identifier, add two
//           first-party caveats, serialize (ours: EncodeToken, V1 base64url
//           Onezone-escaped; libmacaroons: macaroon_serialize, V1 base64url);
//   verify: parse the text the other side would receive, derive the key and
//           recompute the chain, check both caveats (`time < N` by a general
//           checker, `account = 42` exactly).
// Verifiers are set up once, as a server does at start-up.
//
// After Google Benchmark's own output, a table gives ns/op per operation and
// the libmacaroons/ours ratio (above 1 means ours is faster).
#include <benchmark/benchmark.h>
#include <macaroons.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "tokend/token/macaroon.h"
#include "tokend/token/verifier.h"

namespace {

// A root secret and identifier shaped like Onezone's (32 random bytes;
// base64url of 32 bytes), fixed so every run measures the same work.
const std::string kRootSecret =
    "\x9c\x1e\x42\x07\xd3\x5a\x81\xf0\x3b\x66\xe2\x19\x70\xad\x54\xc8"
    "\x0f\x93\x2e\xb7\x48\x15\xfa\x6d\xc1\x39\x8e\x02\x7b\xe4\x5f\xa6";
const std::string kLocation = "onezone";
const std::string kIdentifier = "JUq4aKVBRMuE7qKlsPTyM_IKxzXesVuQR0c_2Wi9qY4";
const std::string kTimeCaveat = "time < 4102444800";  // 2100-01-01
const std::string kAccountCaveat = "account = 42";

const unsigned char* Bytes(const std::string& text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// --- ours -------------------------------------------------------------------

std::string OursMint() {
  tokend::Macaroon macaroon = tokend::MintMacaroon(
      tokend::DeriveMacaroonKey(kRootSecret), kLocation, kIdentifier);
  tokend::AddFirstPartyCaveat(&macaroon, kTimeCaveat);
  tokend::AddFirstPartyCaveat(&macaroon, kAccountCaveat);
  return tokend::EncodeToken(macaroon);
}

tokend::MacaroonVerifier MakeOursVerifier() {
  tokend::MacaroonVerifier verifier;
  // The clock is read per verification, as the service does.
  verifier.AddChecker([](std::string_view caveat) {
    return tokend::CheckTimeCaveat(caveat,
                                   static_cast<int64_t>(std::time(nullptr)));
  });
  verifier.AddChecker([](std::string_view caveat) {
    return caveat == kAccountCaveat ? tokend::CaveatResult::kSatisfied
                                    : tokend::CaveatResult::kNotMine;
  });
  return verifier;
}

bool OursVerify(const tokend::MacaroonVerifier& verifier,
                const std::string& token) {
  tokend::Macaroon macaroon;
  if (!tokend::DecodeToken(token, &macaroon).ok()) return false;
  return verifier.Verify(macaroon, tokend::DeriveMacaroonKey(kRootSecret)).ok();
}

// --- libmacaroons -----------------------------------------------------------

// Returns the serialized token, or "" on any failure.
std::string LibMint() {
  macaroon_returncode err = MACAROON_SUCCESS;
  macaroon* root = macaroon_create(
      Bytes(kLocation), kLocation.size(), Bytes(kRootSecret),
      kRootSecret.size(), Bytes(kIdentifier), kIdentifier.size(), &err);
  if (root == nullptr) return "";
  macaroon* one = macaroon_add_first_party_caveat(root, Bytes(kTimeCaveat),
                                                  kTimeCaveat.size(), &err);
  macaroon_destroy(root);
  if (one == nullptr) return "";
  macaroon* two = macaroon_add_first_party_caveat(one, Bytes(kAccountCaveat),
                                                  kAccountCaveat.size(), &err);
  macaroon_destroy(one);
  if (two == nullptr) return "";
  char buffer[1024];
  std::string out;
  if (macaroon_serialize_size_hint(two) <= sizeof(buffer) &&
      macaroon_serialize(two, buffer, sizeof(buffer), &err) == 0) {
    out = buffer;
  }
  macaroon_destroy(two);
  return out;
}

// libmacaroons' general checkers return 0 when the caveat holds.
int LibCheckTime(void*, const unsigned char* predicate, size_t size) {
  int64_t deadline = 0;
  std::string_view caveat(reinterpret_cast<const char*>(predicate), size);
  if (!tokend::ParseTimeCaveat(caveat, &deadline)) return -1;
  return static_cast<int64_t>(std::time(nullptr)) < deadline ? 0 : -1;
}

struct LibVerifier {
  LibVerifier() : verifier(macaroon_verifier_create()) {
    macaroon_returncode err = MACAROON_SUCCESS;
    macaroon_verifier_satisfy_general(verifier, LibCheckTime, nullptr, &err);
    macaroon_verifier_satisfy_exact(verifier, Bytes(kAccountCaveat),
                                    kAccountCaveat.size(), &err);
  }
  ~LibVerifier() { macaroon_verifier_destroy(verifier); }
  LibVerifier(const LibVerifier&) = delete;
  LibVerifier& operator=(const LibVerifier&) = delete;

  macaroon_verifier* verifier;
};

bool LibVerify(const LibVerifier& verifier, const std::string& token) {
  macaroon_returncode err = MACAROON_SUCCESS;
  macaroon* parsed = macaroon_deserialize(token.c_str(), &err);
  if (parsed == nullptr) return false;
  int result = macaroon_verify(verifier.verifier, parsed, Bytes(kRootSecret),
                               kRootSecret.size(), nullptr, 0, &err);
  macaroon_destroy(parsed);
  return result == 0;
}

// --- benchmarks -------------------------------------------------------------

void BM_OursMintSerialize(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(OursMint());
}

void BM_OursParseVerify(benchmark::State& state) {
  const std::string token = OursMint();
  const tokend::MacaroonVerifier verifier = MakeOursVerifier();
  for (auto _ : state) {
    if (!OursVerify(verifier, token)) {
      state.SkipWithError("our token did not verify");
      break;
    }
  }
}

void BM_LibmacaroonsMintSerialize(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(LibMint());
}

void BM_LibmacaroonsParseVerify(benchmark::State& state) {
  const std::string token = LibMint();
  const LibVerifier verifier;
  for (auto _ : state) {
    if (!LibVerify(verifier, token)) {
      state.SkipWithError("libmacaroons token did not verify");
      break;
    }
  }
}

BENCHMARK(BM_OursMintSerialize)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_LibmacaroonsMintSerialize)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_OursParseVerify)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_LibmacaroonsParseVerify)->Unit(benchmark::kNanosecond);

// Prints as the console reporter does and keeps each benchmark's CPU time
// per iteration in nanoseconds. With --benchmark_repetitions the table uses
// the median, which a busy machine disturbs least.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal, so logs stay plain text.
  RecordingReporter()
      : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      double ns = run.GetAdjustedCPUTime() /
                  benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      ns_per_op_[run.benchmark_name()] = ns;
    }
  }

  // ns/op of `name` (its median if repeated), or -1 if it did not run.
  double NsPerOp(const std::string& name) const {
    auto it = ns_per_op_.find(name + "_median");
    if (it == ns_per_op_.end()) it = ns_per_op_.find(name);
    return it == ns_per_op_.end() ? -1 : it->second;
  }

 private:
  std::map<std::string, double> ns_per_op_;
};

// Both sides must agree on what they are measuring before it is measured:
// each verifies its own token, and the two tokens carry the same signature.
bool SelfCheck() {
  const std::string ours = OursMint();
  const std::string theirs = LibMint();
  tokend::Macaroon ours_parsed, theirs_parsed;
  bool ok = OursVerify(MakeOursVerifier(), ours) &&
            LibVerify(LibVerifier(), theirs) &&
            tokend::DecodeToken(ours, &ours_parsed).ok() &&
            tokend::DecodeToken(theirs, &theirs_parsed).ok() &&
            ours_parsed.signature == theirs_parsed.signature;
  if (!ok) std::fprintf(stderr, "macaroon_bench: self-check failed\n");
  return ok;
}

void PrintTable(const RecordingReporter& reporter) {
  struct Row {
    const char* operation;
    const char* ours;
    const char* theirs;
  };
  const Row rows[] = {
      {"mint+serialize", "BM_OursMintSerialize",
       "BM_LibmacaroonsMintSerialize"},
      {"parse+verify", "BM_OursParseVerify", "BM_LibmacaroonsParseVerify"},
  };
  std::printf("\n%-16s %14s %18s %22s\n", "operation", "ours ns/op",
              "libmacaroons ns/op", "ratio libmacaroons/ours");
  for (const Row& row : rows) {
    double ours = reporter.NsPerOp(row.ours);
    double theirs = reporter.NsPerOp(row.theirs);
    if (ours <= 0 || theirs <= 0) {
      std::printf("%-16s %14s %18s %22s\n", row.operation, "-", "-",
                  "(not run)");
      continue;
    }
    std::printf("%-16s %14.0f %18.0f %22.2f\n", row.operation, ours, theirs,
                theirs / ours);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!SelfCheck()) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintTable(reporter);
  benchmark::Shutdown();
  return 0;
}
