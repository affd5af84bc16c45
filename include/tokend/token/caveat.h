// The caveats of Onezone 20.02 as first-party caveat strings inside a
// macaroon ("ip = 10.0.0.0/8|::1") and as parsed values, and whether one
// holds for the request or verification at hand.
//
// Strings, one per kind (lists separated by '|'):
//   time < T                  T: Unix seconds
//   ip = CIDR|...             IPv4 or IPv6, a bare address is a /32 or /128
//   interface = rest          rest, oneclient or graphsync
//   api = SVC/METHOD/PATH|... SVC "ozw", "*", ...; METHOD "GET", "*", ...;
//                             PATH under /api/v3/onezone without its first
//                             '/', '*' matching any run of characters
//   service = ozw-onezone|... "<3 letters>-<id>", the id may be "*"
//   consumer = usr-<id>|...   the same form
//   data.readonly
//   data.path = B64|...       base64 of an absolute path
//   data.objectid = ID|...
//   asn = N|...               ASNs, decimal
//   geo.country = PL|DE       "!=" instead of "=" for a blacklist
//   geo.region = Europe|...   the same
// asn and geo.* need a GeoIP database this service has not: it refuses them
// at creation, and in a presented token they never hold.
//
// Pure functions and plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tokend {

enum class CaveatType {
  kTime,
  kIp,
  kInterface,
  kApi,
  kService,
  kConsumer,
  kDataReadonly,
  kDataPath,
  kDataObjectId,
  kAsn,
  kGeoCountry,
  kGeoRegion,
};

struct TokenCaveat {
  CaveatType type = CaveatType::kTime;
  int64_t valid_until = 0;        // time
  // ip, api, service, consumer, data.path, data.objectid, asn and geo.*:
  // the entries; interface: its one value.
  std::vector<std::string> list;
  bool blacklist = false;         // geo.*: the list names what is refused
};

// The JSON "type" of a caveat kind ("time", "data.readonly", ...), and the
// kind of a type; false for a type that is not one of them.
const char* CaveatTypeName(CaveatType type);
bool CaveatTypeFromName(std::string_view name, CaveatType* type);

// Whether every value of `caveat` is well formed for its kind (see the
// table above); when not, `why` (may be null) says what is wrong, in words
// for an error description ("\"10.0.0.300/8\" is not an IP address or CIDR
// range"). Entries are strict: a prefix length in plain decimal, ASNs
// without leading zeros, data.path in padded standard base64, at most
// kMaxCaveatListEntries of them and kMaxCaveatBytes in all.
bool ValidCaveat(const TokenCaveat& caveat, std::string* why);

// Parses one caveat string; false when it is not a well-formed caveat of a
// known kind (then a token carrying it fails with tokenCaveatUnknown). Only
// the canonical form is read: one space around '=' ('<' for time), no
// stray spaces, no empty entries, numbers without leading zeros.
bool ParseCaveat(std::string_view text, TokenCaveat* out);

// The caveat string of a valid caveat (ParseCaveat reads it back).
std::string CaveatString(const TokenCaveat& caveat);

// The caveat's JSON form as text, {"type":"ip","whitelist":["::1"]}, for a
// token error's details.caveat (layers below api/ write no jsoncpp). Keys
// come in jsoncpp's (sorted) order, {"interface":"rest","type":"interface"},
// so the text is the same bytes as the api layer's JSON of the caveat;
// strings are escaped whatever the caveat holds.
std::string CaveatJsonText(const TokenCaveat& caveat);

// Kinds a service may only check on the data itself: a verifier refuses
// them unless allowDataAccessCaveats.
bool IsDataAccessCaveat(CaveatType type);

// What a caveat is checked against. Empty strings are unknown, and a caveat
// about an unknown value does not hold (an `ip` caveat with no peer address
// fails), except `operation`: empty at a verify endpoint, where the service
// that asked checks `api` caveats against its own operations.
struct CaveatContext {
  int64_t now = 0;
  std::string_view peer_ip;    // "192.0.2.7", "2001:db8::1", "::ffff:10.0.0.1"
  std::string_view interface;  // "rest", "oneclient", "graphsync"
  std::string_view operation;  // "ozw/GET/user/tokens/named"
  std::string_view service;    // "ozw-onezone", "usr-<id>"
  std::string_view consumer;   // "usr-<id>"
  bool allow_data_access = false;
};

// Whether `caveat` holds in `context`. ip: IPv4 addresses count as their
// IPv4-mapped IPv6 form, so a peer "::ffff:10.1.2.3" is in 10.0.0.0/8, a
// peer "10.1.2.3" is in ::ffff:0:0/96 (and in ::/0). api: each part of an
// entry is a wildcard pattern for the same part of `operation`.
bool CaveatHolds(const TokenCaveat& caveat, const CaveatContext& context);

// Whether `text` is a well-formed IP address (IPv4 or IPv6).
bool IsIpAddress(std::string_view text);

// Whether `text` matches `pattern`, where each '*' stands for any run of
// characters (none included) and every other character for itself.
bool MatchesWildcard(std::string_view pattern, std::string_view text);

}  // namespace tokend
