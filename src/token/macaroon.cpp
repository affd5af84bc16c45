// Macaroon minting and the V1 / V2 wire layouts (see macaroon.h).
#include "tokend/token/macaroon.h"

#include <cstring>

#include "tokend/common/limits.h"
#include "tokend/common/text.h"
#include "tokend/token/base64.h"

namespace tokend {

namespace {

// V1: each packet is "LLLLkey value\n", LLLL the whole packet's length in
// four lowercase hex digits, so a packet holds at most 0xffff bytes.
constexpr size_t kV1HeaderBytes = 4;
constexpr size_t kV1MaxPacketBytes = 0xffff;

// V2 field types (libmacaroons and pymacaroons agree on these).
constexpr uint8_t kV2Version = 2;
constexpr uint8_t kV2EndOfSection = 0;
constexpr uint8_t kV2Location = 1;
constexpr uint8_t kV2Identifier = 2;
constexpr uint8_t kV2VerificationId = 4;
constexpr uint8_t kV2Signature = 6;

Status BadToken(std::string description) {
  return Status(Code::kBadToken, "Bad token: " + std::move(description));
}

void AppendV1Packet(std::string* out, std::string_view key,
                    std::string_view value) {
  static const char kHex[] = "0123456789abcdef";
  size_t length = kV1HeaderBytes + key.size() + 1 + value.size() + 1;
  out->push_back(kHex[(length >> 12) & 0xf]);
  out->push_back(kHex[(length >> 8) & 0xf]);
  out->push_back(kHex[(length >> 4) & 0xf]);
  out->push_back(kHex[length & 0xf]);
  out->append(key);
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

// Reads the next V1 packet from `bytes` at `*pos`.
Status ReadV1Packet(std::string_view bytes, size_t* pos, std::string_view* key,
                    std::string_view* value) {
  if (bytes.size() - *pos < kV1HeaderBytes) return BadToken("truncated packet");
  size_t length = 0;
  for (size_t i = 0; i < kV1HeaderBytes; ++i) {
    int digit = LowerHexDigitValue(bytes[*pos + i]);
    if (digit < 0) return BadToken("packet length is not hexadecimal");
    length = length * 16 + static_cast<size_t>(digit);
  }
  if (length < kV1HeaderBytes + 2 || length > bytes.size() - *pos) {
    return BadToken("packet length out of range");
  }
  std::string_view packet = bytes.substr(*pos + kV1HeaderBytes,
                                         length - kV1HeaderBytes);
  if (packet.back() != '\n') return BadToken("packet does not end in newline");
  packet.remove_suffix(1);
  size_t space = packet.find(' ');
  if (space == std::string_view::npos) return BadToken("packet has no key");
  *key = packet.substr(0, space);
  *value = packet.substr(space + 1);
  *pos += length;
  return Status::Ok();
}

Status CheckFieldSize(std::string_view value, size_t limit, const char* name) {
  if (value.size() > limit) {
    return BadToken(std::string(name) + " longer than " +
                    std::to_string(limit) + " bytes");
  }
  return Status::Ok();
}

Status ParseV1(std::string_view bytes, Macaroon* out) {
  size_t pos = 0;
  std::string_view key, value;
  Status status = ReadV1Packet(bytes, &pos, &key, &value);
  if (!status.ok()) return status;
  if (key != "location") return BadToken("first packet is not the location");
  if (!(status = CheckFieldSize(value, kMaxLocationBytes, "location")).ok()) {
    return status;
  }
  out->location.assign(value);

  status = ReadV1Packet(bytes, &pos, &key, &value);
  if (!status.ok()) return status;
  if (key != "identifier") return BadToken("second packet is not the identifier");
  if (!(status = CheckFieldSize(value, kMaxIdentifierBytes, "identifier")).ok()) {
    return status;
  }
  out->identifier.assign(value);

  while (true) {
    status = ReadV1Packet(bytes, &pos, &key, &value);
    if (!status.ok()) return status;
    if (key == "signature") break;
    if (key == "cid") {
      if (out->caveats.size() >= kMaxCaveats) {
        return BadToken("more than " + std::to_string(kMaxCaveats) + " caveats");
      }
      if (!(status = CheckFieldSize(value, kMaxCaveatBytes, "caveat")).ok()) {
        return status;
      }
      out->caveats.push_back(Caveat{std::string(value), {}, {}});
    } else if (key == "vid" || key == "cl") {
      if (out->caveats.empty()) return BadToken(std::string(key) + " before any cid");
      if (!(status = CheckFieldSize(value, kMaxCaveatBytes, "caveat")).ok()) {
        return status;
      }
      Caveat& last = out->caveats.back();
      (key == "vid" ? last.verification_id : last.location).assign(value);
    } else {
      return BadToken("unknown packet \"" + std::string(key.substr(0, 32)) + "\"");
    }
  }
  if (value.size() != kSha256Bytes) return BadToken("signature is not 32 bytes");
  std::memcpy(out->signature.data(), value.data(), kSha256Bytes);
  if (pos != bytes.size()) return BadToken("data after the signature");
  return Status::Ok();
}

// V2 reader: a byte cursor with varint and field reading.
class V2Reader {
 public:
  explicit V2Reader(std::string_view bytes) : bytes_(bytes) {}

  bool AtEnd() const { return pos_ >= bytes_.size(); }

  // Peeks the next field type without consuming it.
  bool PeekType(uint8_t* type) const {
    if (AtEnd()) return false;
    *type = static_cast<uint8_t>(bytes_[pos_]);
    return true;
  }

  // Reads a field of type `type` (the type byte, a varint length, data).
  Status ReadField(uint8_t type, size_t limit, std::string_view* value) {
    uint8_t actual;
    if (!PeekType(&actual) || actual != type) return BadToken("unexpected V2 field");
    ++pos_;
    uint64_t length = 0;
    for (int shift = 0;; shift += 7) {
      if (AtEnd() || shift > 28) return BadToken("bad V2 field length");
      uint8_t byte = static_cast<uint8_t>(bytes_[pos_++]);
      length |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    if (length > limit) return BadToken("V2 field longer than its limit");
    if (length > bytes_.size() - pos_) return BadToken("truncated V2 field");
    *value = bytes_.substr(pos_, length);
    pos_ += length;
    return Status::Ok();
  }

  Status ReadEndOfSection() {
    uint8_t type;
    if (!PeekType(&type) || type != kV2EndOfSection) {
      return BadToken("missing V2 end of section");
    }
    ++pos_;
    return Status::Ok();
  }

  void Skip() { ++pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

Status ParseV2(std::string_view bytes, Macaroon* out) {
  V2Reader reader(bytes.substr(1));
  std::string_view value;
  uint8_t type = 0;
  Status status;
  if (reader.PeekType(&type) && type == kV2Location) {
    if (!(status = reader.ReadField(kV2Location, kMaxLocationBytes, &value)).ok()) {
      return status;
    }
    out->location.assign(value);
  }
  if (!(status = reader.ReadField(kV2Identifier, kMaxIdentifierBytes, &value)).ok()) {
    return status;
  }
  out->identifier.assign(value);
  if (!(status = reader.ReadEndOfSection()).ok()) return status;

  while (true) {
    if (!reader.PeekType(&type)) return BadToken("truncated V2 caveats");
    if (type == kV2EndOfSection) {
      reader.Skip();
      break;
    }
    if (out->caveats.size() >= kMaxCaveats) {
      return BadToken("more than " + std::to_string(kMaxCaveats) + " caveats");
    }
    Caveat caveat;
    if (type == kV2Location) {
      if (!(status = reader.ReadField(kV2Location, kMaxLocationBytes, &value)).ok()) {
        return status;
      }
      caveat.location.assign(value);
    }
    if (!(status = reader.ReadField(kV2Identifier, kMaxCaveatBytes, &value)).ok()) {
      return status;
    }
    caveat.id.assign(value);
    if (reader.PeekType(&type) && type == kV2VerificationId) {
      if (!(status = reader.ReadField(kV2VerificationId, kMaxCaveatBytes, &value))
               .ok()) {
        return status;
      }
      caveat.verification_id.assign(value);
    }
    if (!(status = reader.ReadEndOfSection()).ok()) return status;
    // A first-party caveat has no vid; a location alone is still first-party
    // to libmacaroons, but we keep it to say so on rejection.
    out->caveats.push_back(std::move(caveat));
  }
  if (!(status = reader.ReadField(kV2Signature, kSha256Bytes, &value)).ok()) {
    return status;
  }
  if (value.size() != kSha256Bytes) return BadToken("signature is not 32 bytes");
  std::memcpy(out->signature.data(), value.data(), kSha256Bytes);
  if (!reader.AtEnd()) return BadToken("data after the signature");
  return Status::Ok();
}

}  // namespace

SecretKey DeriveMacaroonKey(std::string_view root_secret) {
  // The generator key never changes, so each thread keys one context once.
  thread_local KeyedHmacSha256 generator = [] {
    static constexpr char kGenerator[] = "macaroons-key-generator";
    uint8_t key[kSha256Bytes] = {0};
    std::memcpy(key, kGenerator, sizeof(kGenerator) - 1);
    return KeyedHmacSha256(key, sizeof(key));
  }();
  SecretKey derived;
  generator.Compute(root_secret, derived.data());
  return derived;
}

Macaroon MintMacaroon(const SecretKey& derived_key, std::string location,
                      std::string identifier) {
  Macaroon macaroon;
  macaroon.location = std::move(location);
  macaroon.identifier = std::move(identifier);
  HmacSha256::ForThisThread().Compute(derived_key.data(), derived_key.size(),
                                      macaroon.identifier,
                                      macaroon.signature.data());
  return macaroon;
}

void AddFirstPartyCaveat(Macaroon* macaroon, std::string caveat) {
  Digest next;
  HmacSha256::ForThisThread().Compute(macaroon->signature.data(),
                                      macaroon->signature.size(), caveat,
                                      next.data());
  macaroon->signature = next;
  macaroon->caveats.push_back(Caveat{std::move(caveat), {}, {}});
}

std::string SerializeV1(const Macaroon& macaroon) {
  std::string out;
  size_t estimate = 64 + macaroon.location.size() + macaroon.identifier.size();
  for (const Caveat& caveat : macaroon.caveats) estimate += 16 + caveat.id.size();
  out.reserve(estimate);
  AppendV1Packet(&out, "location", macaroon.location);
  AppendV1Packet(&out, "identifier", macaroon.identifier);
  for (const Caveat& caveat : macaroon.caveats) {
    AppendV1Packet(&out, "cid", caveat.id);
    if (caveat.third_party()) {
      AppendV1Packet(&out, "vid", caveat.verification_id);
      AppendV1Packet(&out, "cl", caveat.location);
    }
  }
  AppendV1Packet(&out, "signature",
                 std::string_view(reinterpret_cast<const char*>(
                                      macaroon.signature.data()),
                                  macaroon.signature.size()));
  return out;
}

std::string EncodeToken(const Macaroon& macaroon) {
  return OnezoneEscape(Base64UrlEncode(SerializeV1(macaroon)));
}

Status ParseMacaroonBytes(std::string_view bytes, Macaroon* out) {
  *out = Macaroon();
  if (bytes.empty()) return BadToken("empty");
  if (static_cast<uint8_t>(bytes[0]) == kV2Version) return ParseV2(bytes, out);
  return ParseV1(bytes, out);
}

Status DecodeToken(std::string_view text, Macaroon* out) {
  *out = Macaroon();
  // The size limit applies before trimming, so padding with spaces cannot
  // make us scan an unbounded buffer.
  if (text.size() > kMaxTokenBytes) {
    return BadToken("longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  text = TrimWhitespace(text);
  if (text.empty()) return BadToken("empty");
  std::string base64;
  std::string bytes;
  // Escaped first: an escaped token can also be valid plain base64, but
  // then its packets do not parse, and the plain reading is tried next.
  // When both readings fail, the escaped reading's reason is the one to
  // give, since that is the form Onezone clients send.
  bool escaped_decoded =
      OnezoneUnescape(text, &base64) && Base64DecodeLenient(base64, &bytes);
  Status escaped;
  if (escaped_decoded) {
    escaped = ParseMacaroonBytes(bytes, out);
    if (escaped.ok()) return escaped;
  }
  if (Base64DecodeLenient(text, &bytes)) {
    Status plain = ParseMacaroonBytes(bytes, out);
    if (plain.ok() || !escaped_decoded) return plain;
  }
  *out = Macaroon();
  return escaped_decoded ? escaped : BadToken("not base64");
}

}  // namespace tokend
