// Onezone 20.02 caveats: their strings, values, validity, JSON text and
// whether one holds (see caveat.h).
#include "tokend/token/caveat.h"

#include <arpa/inet.h>

#include <cstring>

#include "tokend/common/limits.h"
#include "tokend/common/text.h"
#include "tokend/token/base64.h"

namespace tokend {

namespace {

struct Kind {
  CaveatType type;
  const char* name;
};

constexpr Kind kKinds[] = {
    {CaveatType::kTime, "time"},
    {CaveatType::kIp, "ip"},
    {CaveatType::kInterface, "interface"},
    {CaveatType::kApi, "api"},
    {CaveatType::kService, "service"},
    {CaveatType::kConsumer, "consumer"},
    {CaveatType::kDataReadonly, "data.readonly"},
    {CaveatType::kDataPath, "data.path"},
    {CaveatType::kDataObjectId, "data.objectid"},
    {CaveatType::kAsn, "asn"},
    {CaveatType::kGeoCountry, "geo.country"},
    {CaveatType::kGeoRegion, "geo.region"},
};

constexpr std::string_view kTimePrefix = "time < ";
constexpr char kSeparator = '|';

constexpr const char* kInterfaces[] = {"rest", "oneclient", "graphsync"};
constexpr const char* kMethods[] = {"GET", "HEAD",  "POST",
                                    "PUT", "PATCH", "DELETE"};
// Onezone's service short names (aai:serialize_service) and, as this
// service's own callers, users.
constexpr const char* kServicePrefixes[] = {"ozw", "ozp", "opw", "opp", "usr"};
// Onezone's subject prefixes (aai:serialize_subject): users, groups,
// providers.
constexpr const char* kConsumerPrefixes[] = {"usr", "grp", "prv"};
// Onezone's geo.region values.
constexpr const char* kRegions[] = {"Africa",  "Antarctica",  "Asia",
                                    "Europe",  "EU",          "NorthAmerica",
                                    "Oceania", "SouthAmerica"};
// The largest ASN (32 bits).
constexpr int64_t kMaxAsn = 4294967295;
// The most of one offending entry a reason repeats, in bytes.
constexpr size_t kMaxQuotedBytes = 64;

template <size_t N>
bool OneOf(std::string_view text, const char* const (&set)[N]) {
  for (const char* item : set) {
    if (text == item) return true;
  }
  return false;
}

bool IsAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// Printable ASCII but space and the list separator.
bool IsEntryCharacter(char c) { return c > ' ' && c < 0x7f && c != kSeparator; }

// A decimal number as this service writes it: no sign, no leading zero.
bool ParseCanonicalDecimal(std::string_view digits, int64_t* value) {
  if (digits.size() > 1 && digits[0] == '0') return false;
  return ParseDecimal(digits, value);
}

// `entry` in double quotes for a reason, cut when long.
std::string Quoted(std::string_view entry) {
  if (entry.size() <= kMaxQuotedBytes) return "\"" + std::string(entry) + "\"";
  return "\"" + std::string(entry.substr(0, kMaxQuotedBytes)) + "...\"";
}

// An IP address as 16 bytes, an IPv4 one in its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d), so that "10.1.2.3" and "::ffff:10.1.2.3" are one
// address and an IPv4 range is the IPv6 range of its mapped addresses.
struct IpAddress {
  uint8_t bytes[16];
};

bool ParseIpAddress(std::string_view text, IpAddress* address) {
  // inet_pton reads a C string: no NUL inside, and the longest IPv6 text
  // ("ffff:...:255.255.255.255", 45 characters) fits the buffer.
  char buffer[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buffer ||
      text.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    in_addr v4;
    if (inet_pton(AF_INET, buffer, &v4) != 1) return false;
    std::memset(address->bytes, 0, 10);
    address->bytes[10] = 0xff;
    address->bytes[11] = 0xff;
    std::memcpy(address->bytes + 12, &v4, 4);
    return true;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buffer, &v6) != 1) return false;
  std::memcpy(address->bytes, &v6, 16);
  return true;
}

struct IpRange {
  IpAddress base;
  int prefix_bits = 128;  // of the 16-byte form: an IPv4 /8 is 104
};

// "10.0.0.0/8", "2001:db8::/32" or a bare address. The prefix length is
// 0-32 or 0-128 in plain decimal (no sign, no leading zero).
bool ParseIpRange(std::string_view text, IpRange* range) {
  const size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  if (!ParseIpAddress(address, &range->base)) return false;
  const bool v4 = address.find(':') == std::string_view::npos;
  const int offset = v4 ? 96 : 0;
  if (slash == std::string_view::npos) {
    range->prefix_bits = 128;
    return true;
  }
  const std::string_view length = text.substr(slash + 1);
  int64_t bits = 0;
  if (length.size() > 3 || !ParseCanonicalDecimal(length, &bits) ||
      bits > 128 - offset) {
    return false;
  }
  range->prefix_bits = offset + static_cast<int>(bits);
  return true;
}

bool InRange(const IpRange& range, const IpAddress& address) {
  const int whole = range.prefix_bits / 8;
  if (std::memcmp(range.base.bytes, address.bytes, whole) != 0) return false;
  const int rest = range.prefix_bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (range.base.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

// "SVC/METHOD/PATH" split at its first two '/'.
bool SplitApi(std::string_view text, std::string_view* service,
              std::string_view* method, std::string_view* path) {
  const size_t first = text.find('/');
  if (first == std::string_view::npos) return false;
  const size_t second = text.find('/', first + 1);
  if (second == std::string_view::npos) return false;
  *service = text.substr(0, first);
  *method = text.substr(first + 1, second - first - 1);
  *path = text.substr(second + 1);
  return true;
}

bool ValidApiEntry(std::string_view entry) {
  std::string_view service, method, path;
  if (!SplitApi(entry, &service, &method, &path)) return false;
  if (service.empty()) return false;
  if (service != "*") {
    for (char c : service) {
      if (!IsAsciiLetter(c)) return false;
    }
  }
  if (method != "*" && !OneOf(method, kMethods)) return false;
  if (path.empty() || path[0] == '/') return false;
  for (char c : path) {
    if (!IsEntryCharacter(c)) return false;
  }
  return true;
}

// "<3 lowercase letters>-<id>", the prefix one of `prefixes`, the id "*"
// or letters, digits, '_' and '-'.
template <size_t N>
bool ValidSubjectEntry(std::string_view entry,
                       const char* const (&prefixes)[N]) {
  if (entry.size() < 5 || entry[3] != '-') return false;
  if (!OneOf(entry.substr(0, 3), prefixes)) return false;
  const std::string_view id = entry.substr(4);
  if (id == "*") return true;
  for (char c : id) {
    if (!IsAsciiLetter(c) && !IsAsciiDigit(c) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

// Standard base64 with its padding, as Onezone writes it, of an absolute
// path (no NUL inside).
bool ValidDataPathEntry(std::string_view entry) {
  std::string path;
  if (!Base64DecodeLenient(entry, &path)) return false;
  std::string canonical = Base64StandardEncode(path);
  while (canonical.size() % 4 != 0) canonical.push_back('=');
  return canonical == entry && !path.empty() && path[0] == '/' &&
         path.find('\0') == std::string::npos;
}

bool ValidObjectIdEntry(std::string_view entry) {
  if (entry.empty()) return false;
  for (char c : entry) {
    if (!IsEntryCharacter(c)) return false;
  }
  return true;
}

bool ValidAsnEntry(std::string_view entry) {
  int64_t asn = 0;
  return ParseCanonicalDecimal(entry, &asn) && asn <= kMaxAsn;
}

bool ValidCountryEntry(std::string_view entry) {
  return entry.size() == 2 && entry[0] >= 'A' && entry[0] <= 'Z' &&
         entry[1] >= 'A' && entry[1] <= 'Z';
}

// Whether `entry` is well formed for a list of `type`; when not, the end
// of a reason ("is not ...").
bool ValidEntry(CaveatType type, std::string_view entry, const char** what) {
  switch (type) {
    case CaveatType::kIp: {
      IpRange range;
      *what = "an IP address or CIDR range";
      return ParseIpRange(entry, &range);
    }
    case CaveatType::kInterface:
      *what = "an interface (rest, oneclient or graphsync)";
      return OneOf(entry, kInterfaces);
    case CaveatType::kApi:
      *what =
          "an API pattern SERVICE/METHOD/PATH (SERVICE letters or *, METHOD "
          "GET, HEAD, POST, PUT, PATCH, DELETE or *, PATH not starting with "
          "'/')";
      return ValidApiEntry(entry);
    case CaveatType::kService:
      *what = "a service (ozw-, ozp-, opw-, opp- or usr- and an id or *)";
      return ValidSubjectEntry(entry, kServicePrefixes);
    case CaveatType::kConsumer:
      *what = "a consumer (usr-, grp- or prv- and an id or *)";
      return ValidSubjectEntry(entry, kConsumerPrefixes);
    case CaveatType::kDataPath:
      *what = "the padded standard base64 of an absolute path";
      return ValidDataPathEntry(entry);
    case CaveatType::kDataObjectId:
      *what = "an object id (printable ASCII, no space or '|')";
      return ValidObjectIdEntry(entry);
    case CaveatType::kAsn:
      *what = "an AS number (0-4294967295)";
      return ValidAsnEntry(entry);
    case CaveatType::kGeoCountry:
      *what = "a two-letter upper-case country code";
      return ValidCountryEntry(entry);
    case CaveatType::kGeoRegion:
      *what =
          "a region (Africa, Antarctica, Asia, Europe, EU, NorthAmerica, "
          "Oceania or SouthAmerica)";
      return OneOf(entry, kRegions);
    case CaveatType::kTime:
    case CaveatType::kDataReadonly:
      break;
  }
  *what = "expected";
  return false;
}

bool Fail(std::string* why, std::string reason) {
  if (why != nullptr) *why = std::move(reason);
  return false;
}

bool IsGeo(CaveatType type) {
  return type == CaveatType::kGeoCountry || type == CaveatType::kGeoRegion;
}

void AppendStringList(const std::vector<std::string>& list, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonQuoted(list[i], out);
  }
  out->push_back(']');
}

}  // namespace

const char* CaveatTypeName(CaveatType type) {
  for (const Kind& kind : kKinds) {
    if (kind.type == type) return kind.name;
  }
  return "unknown";
}

bool CaveatTypeFromName(std::string_view name, CaveatType* type) {
  for (const Kind& kind : kKinds) {
    if (name == kind.name) {
      *type = kind.type;
      return true;
    }
  }
  return false;
}

bool ValidCaveat(const TokenCaveat& caveat, std::string* why) {
  const std::string name = CaveatTypeName(caveat.type);
  if (caveat.blacklist && !IsGeo(caveat.type)) {
    return Fail(why, "a " + name + " caveat has no blacklist");
  }
  switch (caveat.type) {
    case CaveatType::kTime:
      if (!caveat.list.empty()) return Fail(why, "a time caveat has no list");
      if (caveat.valid_until < 0 || caveat.valid_until > 999999999999999999) {
        return Fail(why, "validUntil " + std::to_string(caveat.valid_until) +
                             " is not a time in Unix seconds");
      }
      return true;
    case CaveatType::kDataReadonly:
      if (!caveat.list.empty()) {
        return Fail(why, "a data.readonly caveat has no list");
      }
      return true;
    case CaveatType::kInterface:
      if (caveat.list.size() != 1) {
        return Fail(why, "an interface caveat names one interface");
      }
      break;
    default:
      if (caveat.list.empty()) {
        return Fail(why, "the list of a " + name + " caveat is empty");
      }
      if (caveat.list.size() > kMaxCaveatListEntries) {
        return Fail(why, "a " + name + " caveat lists at most " +
                             std::to_string(kMaxCaveatListEntries) +
                             " entries");
      }
  }
  size_t bytes = name.size() + 4;  // " != "
  for (const std::string& entry : caveat.list) {
    const char* what = "";
    if (!ValidEntry(caveat.type, entry, &what)) {
      return Fail(why, Quoted(entry) + " is not " + what);
    }
    bytes += entry.size() + 1;
  }
  if (bytes > kMaxCaveatBytes) {
    return Fail(why, "a caveat is at most " + std::to_string(kMaxCaveatBytes) +
                         " bytes long");
  }
  return true;
}

bool ParseCaveat(std::string_view text, TokenCaveat* out) {
  if (text.size() > kMaxCaveatBytes) return false;
  TokenCaveat caveat;
  if (text == "data.readonly") {
    caveat.type = CaveatType::kDataReadonly;
  } else if (text.substr(0, kTimePrefix.size()) == kTimePrefix) {
    caveat.type = CaveatType::kTime;
    if (!ParseCanonicalDecimal(text.substr(kTimePrefix.size()),
                               &caveat.valid_until)) {
      return false;
    }
  } else {
    const size_t space = text.find(' ');
    if (space == std::string_view::npos) return false;
    if (!CaveatTypeFromName(text.substr(0, space), &caveat.type)) return false;
    if (caveat.type == CaveatType::kTime ||
        caveat.type == CaveatType::kDataReadonly) {
      return false;
    }
    std::string_view rest = text.substr(space);
    if (rest.substr(0, 3) == " = ") {
      rest.remove_prefix(3);
    } else if (IsGeo(caveat.type) && rest.substr(0, 4) == " != ") {
      caveat.blacklist = true;
      rest.remove_prefix(4);
    } else {
      return false;
    }
    while (true) {
      if (caveat.list.size() == kMaxCaveatListEntries) return false;
      const size_t bar = rest.find(kSeparator);
      caveat.list.emplace_back(rest.substr(0, bar));
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
  }
  if (!ValidCaveat(caveat, nullptr)) return false;
  *out = std::move(caveat);
  return true;
}

std::string CaveatString(const TokenCaveat& caveat) {
  switch (caveat.type) {
    case CaveatType::kTime:
      return std::string(kTimePrefix) + std::to_string(caveat.valid_until);
    case CaveatType::kDataReadonly:
      return "data.readonly";
    default:
      break;
  }
  std::string text = CaveatTypeName(caveat.type);
  text += caveat.blacklist ? " != " : " = ";
  for (size_t i = 0; i < caveat.list.size(); ++i) {
    if (i > 0) text.push_back(kSeparator);
    text += caveat.list[i];
  }
  return text;
}

// Keys in the order jsoncpp writes an object's (sorted), so this text and
// the api layer's ToJson of the same caveat are the same bytes.
std::string CaveatJsonText(const TokenCaveat& caveat) {
  std::string text = "{";
  const char* const name = CaveatTypeName(caveat.type);
  switch (caveat.type) {
    case CaveatType::kTime:
      text += "\"type\":\"time\",\"validUntil\":";
      text += std::to_string(caveat.valid_until);
      break;
    case CaveatType::kDataReadonly:
      text += "\"type\":\"data.readonly\"";
      break;
    case CaveatType::kInterface:
      text += "\"interface\":";
      AppendJsonQuoted(caveat.list.empty() ? "" : caveat.list[0], &text);
      text += ",\"type\":\"interface\"";
      break;
    case CaveatType::kGeoCountry:
    case CaveatType::kGeoRegion:
      text += caveat.blacklist ? "\"filter\":\"blacklist\",\"list\":"
                               : "\"filter\":\"whitelist\",\"list\":";
      AppendStringList(caveat.list, &text);
      text += ",\"type\":\"";
      text += name;
      text += "\"";
      break;
    case CaveatType::kAsn:
      text += "\"type\":\"asn\",\"whitelist\":[";
      for (size_t i = 0; i < caveat.list.size(); ++i) {
        if (i > 0) text.push_back(',');
        // Numbers; an entry that is not one stays a string, so the text
        // is JSON whatever the value.
        if (ValidAsnEntry(caveat.list[i])) {
          text += caveat.list[i];
        } else {
          AppendJsonQuoted(caveat.list[i], &text);
        }
      }
      text += "]";
      break;
    default:
      text += "\"type\":\"";
      text += name;
      text += "\",\"whitelist\":";
      AppendStringList(caveat.list, &text);
  }
  text += "}";
  return text;
}

bool IsDataAccessCaveat(CaveatType type) {
  return type == CaveatType::kDataReadonly || type == CaveatType::kDataPath ||
         type == CaveatType::kDataObjectId;
}

bool CaveatHolds(const TokenCaveat& caveat, const CaveatContext& context) {
  switch (caveat.type) {
    case CaveatType::kTime:
      return context.now < caveat.valid_until;
    case CaveatType::kIp: {
      IpAddress peer;
      if (!ParseIpAddress(context.peer_ip, &peer)) return false;
      for (const std::string& entry : caveat.list) {
        IpRange range;
        if (ParseIpRange(entry, &range) && InRange(range, peer)) return true;
      }
      return false;
    }
    case CaveatType::kInterface:
      return !context.interface.empty() && caveat.list.size() == 1 &&
             caveat.list[0] == context.interface;
    case CaveatType::kApi: {
      if (context.operation.empty()) return true;
      std::string_view service, method, path;
      if (!SplitApi(context.operation, &service, &method, &path)) return false;
      for (const std::string& entry : caveat.list) {
        std::string_view entry_service, entry_method, entry_path;
        if (SplitApi(entry, &entry_service, &entry_method, &entry_path) &&
            MatchesWildcard(entry_service, service) &&
            MatchesWildcard(entry_method, method) &&
            MatchesWildcard(entry_path, path)) {
          return true;
        }
      }
      return false;
    }
    case CaveatType::kService:
    case CaveatType::kConsumer: {
      const std::string_view subject = caveat.type == CaveatType::kService
                                           ? context.service
                                           : context.consumer;
      if (subject.empty()) return false;
      for (const std::string& entry : caveat.list) {
        if (MatchesWildcard(entry, subject)) return true;
      }
      return false;
    }
    case CaveatType::kDataReadonly:
    case CaveatType::kDataPath:
    case CaveatType::kDataObjectId:
      return context.allow_data_access;
    case CaveatType::kAsn:
    case CaveatType::kGeoCountry:
    case CaveatType::kGeoRegion:
      // No GeoIP database: where the client is cannot be known.
      return false;
  }
  return false;
}

bool IsIpAddress(std::string_view text) {
  IpAddress address;
  return ParseIpAddress(text, &address);
}

namespace {

// Where `needle` first occurs in `text` at or after `from` (npos: nowhere),
// by Knuth-Morris-Pratt: linear in both, whatever a client puts in either.
size_t FindLinear(std::string_view text, std::string_view needle, size_t from) {
  if (needle.empty()) return from;
  std::vector<size_t> border(needle.size(), 0);
  for (size_t i = 1, k = 0; i < needle.size(); ++i) {
    while (k > 0 && needle[i] != needle[k]) k = border[k - 1];
    if (needle[i] == needle[k]) ++k;
    border[i] = k;
  }
  for (size_t i = from, k = 0; i < text.size(); ++i) {
    while (k > 0 && text[i] != needle[k]) k = border[k - 1];
    if (text[i] == needle[k]) ++k;
    if (k == needle.size()) return i + 1 - needle.size();
  }
  return std::string_view::npos;
}

}  // namespace

// The pattern is literal runs separated by '*': the first run must start
// the text, the last end it, and the runs between occur in order, each as
// early as it can (the earliest place never loses a match). Each run is
// found in linear time, so an `api` entry of a client's choosing costs at
// most a few passes over the path, never pattern times path.
bool MatchesWildcard(std::string_view pattern, std::string_view text) {
  const size_t first_star = pattern.find('*');
  if (first_star == std::string_view::npos) return pattern == text;
  const size_t last_star = pattern.rfind('*');
  const std::string_view head = pattern.substr(0, first_star);
  const std::string_view tail = pattern.substr(last_star + 1);
  if (head.size() + tail.size() > text.size() ||
      text.substr(0, head.size()) != head ||
      text.substr(text.size() - tail.size()) != tail) {
    return false;
  }
  // The middle runs, between the first and the last '*', within what the
  // head and the tail leave.
  const std::string_view middle = text.substr(
      head.size(), text.size() - head.size() - tail.size());
  size_t at = 0;
  size_t run_start = first_star + 1;
  while (run_start <= last_star) {
    size_t run_end = pattern.find('*', run_start);
    const std::string_view run = pattern.substr(run_start, run_end - run_start);
    at = FindLinear(middle, run, at);
    if (at == std::string_view::npos) return false;
    at += run.size();
    run_start = run_end + 1;
  }
  return true;
}

}  // namespace tokend
