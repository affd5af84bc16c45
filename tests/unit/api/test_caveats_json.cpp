// Unit tests for caveats_json.h: every caveat kind in Onezone's JSON form
// becomes its macaroon string and back, what a new token may not carry
// (asn and geo.*, and for invitations all but time, ip, asn, geo and
// consumer) is badValueCaveat saying why, and a malformed caveat is
// badValueCaveat naming it.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <json/json.h>

#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tokend/api/caveats_json.h"
#include "tokend/common/limits.h"
#include "tokend/http/json_response.h"
#include "tokend/token/caveat.h"

namespace tokend {
namespace {

constexpr int64_t kNow = 1700000000;

Json::Value Parse(const std::string& text) {
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  CPPUNIT_ASSERT_MESSAGE(
      text,
      reader->parse(text.data(), text.data() + text.size(), &value, &errors));
  return value;
}

// The string of one caveat given as JSON text, or the error.
Status ParseOneCaveat(const std::string& json, std::string* out,
                      CaveatUse use = CaveatUse::kAccessOrIdentity) {
  std::vector<std::string> caveats;
  Status status =
      ParseCaveatsJson(Parse("[" + json + "]"), kNow, &caveats, use);
  if (status.ok()) {
    CPPUNIT_ASSERT_EQUAL(size_t{1}, caveats.size());
    *out = caveats[0];
  }
  return status;
}

void AssertBadCaveat(const std::string& json, const std::string& words,
                     CaveatUse use = CaveatUse::kAccessOrIdentity) {
  std::string text;
  Status status = ParseOneCaveat(json, &text, use);
  CPPUNIT_ASSERT_MESSAGE(json, status.code() == Code::kBadValueCaveat);
  CPPUNIT_ASSERT_MESSAGE(json + ": " + status.description(),
                         status.description().find(words) != std::string::npos);
  CPPUNIT_ASSERT_EQUAL(size_t{1}, status.details().size());
  CPPUNIT_ASSERT_EQUAL(std::string("caveat"), status.details()[0].key);
  CPPUNIT_ASSERT(status.details()[0].json);
  // details.caveat is the caveat as sent.
  CPPUNIT_ASSERT_EQUAL(ToJson(Parse(json)), status.details()[0].value);
}

// The JSON form and the string of each kind a new access token may carry.
const std::pair<const char*, const char*> kAccepted[] = {
    {R"({"type": "time", "validUntil": 1800000000})", "time < 1800000000"},
    {R"({"type": "ip", "whitelist": ["10.0.0.0/8", "::1"]})",
     "ip = 10.0.0.0/8|::1"},
    {R"({"type": "interface", "interface": "rest"})", "interface = rest"},
    {R"({"type": "interface", "interface": "graphsync"})",
     "interface = graphsync"},
    {R"({"type": "api", "whitelist": ["ozw/GET/user/*", "*/*/spaces/*"]})",
     "api = ozw/GET/user/*|*/*/spaces/*"},
    {R"({"type": "service", "whitelist": ["ozw-onezone", "opw-*"]})",
     "service = ozw-onezone|opw-*"},
    {R"({"type": "consumer", "whitelist": ["usr-abc", "grp-*", "prv-p"]})",
     "consumer = usr-abc|grp-*|prv-p"},
    {R"({"type": "data.readonly"})", "data.readonly"},
    {R"({"type": "data.path", "whitelist": ["L3NwYWNlL2Rpcg=="]})",
     "data.path = L3NwYWNlL2Rpcg=="},
    {R"({"type": "data.objectid", "whitelist": ["0000A1", "b2"]})",
     "data.objectid = 0000A1|b2"},
};

class CaveatsJsonTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CaveatsJsonTest);
  CPPUNIT_TEST(testEveryKindANewTokenMayCarryBecomesItsString);
  CPPUNIT_TEST(testEveryKindComesBackInItsJsonForm);
  CPPUNIT_TEST(testGeoIpCaveatsAreReadButRefusedForNewTokens);
  CPPUNIT_TEST(testInvitationsAcceptOnlyTimeIpAsnGeoAndConsumer);
  CPPUNIT_TEST(testMalformedCaveatsAreBadValueCaveatSayingWhy);
  CPPUNIT_TEST(testInvalidEntriesAreBadValueCaveatWithValidCaveatsReason);
  CPPUNIT_TEST(testAnUnreadableCaveatStringIsShownAsUnknown);
  CPPUNIT_TEST(testTheJsonFormMatchesTheTokenLayersJsonText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEveryKindANewTokenMayCarryBecomesItsString() {
    for (const auto& [json, expected] : kAccepted) {
      std::string text;
      Status status = ParseOneCaveat(json, &text);
      CPPUNIT_ASSERT_MESSAGE(json + std::string(": ") + status.description(),
                             status.ok());
      CPPUNIT_ASSERT_EQUAL(std::string(expected), text);
    }
    // All of them in one list, in order.
    std::string all = "[";
    for (const auto& [json, expected] : kAccepted) {
      all += std::string(all.size() > 1 ? "," : "") + json;
    }
    std::vector<std::string> caveats = {"time < 1900000000"};
    CPPUNIT_ASSERT(ParseCaveatsJson(Parse(all + "]"), kNow, &caveats).ok());
    CPPUNIT_ASSERT_EQUAL(std::size(kAccepted) + 1, caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string("data.objectid = 0000A1|b2"),
                         caveats.back());
  }

  void testEveryKindComesBackInItsJsonForm() {
    for (const auto& [json, expected] : kAccepted) {
      CPPUNIT_ASSERT_EQUAL(ToJson(Parse(json)), ToJson(CaveatJson(expected)));
    }
    for (
        const char* json : {
            R"({"type": "asn", "whitelist": [1, 64512]})",
            R"({"type": "geo.country", "filter": "blacklist", "list": ["PL"]})",
            R"({"type": "geo.region", "filter": "whitelist",
                 "list": ["Europe", "Asia"]})",
        }) {
      TokenCaveat caveat;
      CPPUNIT_ASSERT_MESSAGE(json, CaveatFromJson(Parse(json), &caveat).ok());
      CPPUNIT_ASSERT_EQUAL(ToJson(Parse(json)),
                           ToJson(CaveatJson(CaveatString(caveat))));
    }
    const Json::Value asn = CaveatJson("asn = 4294967295");
    CPPUNIT_ASSERT(asn["whitelist"][0].isIntegral());
    CPPUNIT_ASSERT_EQUAL(Json::Int64(4294967295),
                         asn["whitelist"][0].asInt64());
  }

  void testGeoIpCaveatsAreReadButRefusedForNewTokens() {
    const std::pair<const char*, const char*> geo[] = {
        {R"({"type": "asn", "whitelist": [1, 64512]})", "asn = 1|64512"},
        {R"({"type": "geo.country", "filter": "whitelist", "list": ["PL", "DE"]})",
         "geo.country = PL|DE"},
        {R"({"type": "geo.country", "filter": "blacklist", "list": ["PL"]})",
         "geo.country != PL"},
        {R"({"type": "geo.region", "filter": "whitelist", "list": ["Europe"]})",
         "geo.region = Europe"},
        {R"({"type": "geo.region", "filter": "blacklist", "list": ["Asia"]})",
         "geo.region != Asia"},
    };
    for (const auto& [json, expected] : geo) {
      TokenCaveat caveat;
      CPPUNIT_ASSERT_MESSAGE(json, CaveatFromJson(Parse(json), &caveat).ok());
      CPPUNIT_ASSERT_EQUAL(std::string(expected), CaveatString(caveat));
      AssertBadCaveat(json, "no GeoIP database");
      AssertBadCaveat(json, "no GeoIP database", CaveatUse::kInvitation);
    }
    // Refused for what it is, before its shape is looked at.
    AssertBadCaveat(R"({"type": "geo.region", "list": 7})",
                    "no GeoIP database");
  }

  void testInvitationsAcceptOnlyTimeIpAsnGeoAndConsumer() {
    std::string text;
    for (const char* json : {
             R"({"type": "time", "validUntil": 1800000000})",
             R"({"type": "ip", "whitelist": ["192.0.2.0/24"]})",
             R"({"type": "consumer", "whitelist": ["usr-*"]})",
         }) {
      CPPUNIT_ASSERT_MESSAGE(
          json, ParseOneCaveat(json, &text, CaveatUse::kInvitation).ok());
    }
    for (const char* json : {
             R"({"type": "interface", "interface": "rest"})",
             R"({"type": "api", "whitelist": ["ozw/GET/user/*"]})",
             R"({"type": "service", "whitelist": ["ozw-onezone"]})",
             R"({"type": "data.readonly"})",
             R"({"type": "data.path", "whitelist": ["Lw=="]})",
             R"({"type": "data.objectid", "whitelist": ["x"]})",
         }) {
      AssertBadCaveat(json,
                      "invitations accept only time, ip, asn, geo.country, "
                      "geo.region and consumer caveats",
                      CaveatUse::kInvitation);
    }
  }

  void testMalformedCaveatsAreBadValueCaveatSayingWhy() {
    const std::pair<const char*, const char*> bad[] = {
        {R"({"type": "time", "validUntil": 1700000000})", "already passed"},
        {R"({"type": "time", "validUntil": 1.8e9})", "whole number"},
        {R"({"type": "time", "validUntil": "1800000000"})", "whole number"},
        {R"({"type": "time", "validUntil": 1800000000, "x": 1})",
         "has no key \"x\""},
        {R"({"type": "nope"})", "\"nope\" is not a caveat type"},
        {R"({"type": "Time", "validUntil": 1800000000})", "not a caveat type"},
        {R"({"type": 7})", "must be an object"},
        {R"("time < 1800000000")", "must be an object"},
        {R"({"type": "ip", "whitelist": "10.0.0.0/8"})", "must be a list"},
        {R"({"type": "ip", "whitelist": [10]})", "list of strings"},
        {R"({"type": "ip", "whitelist": []})", "empty"},
        {R"({"type": "ip", "list": ["10.0.0.0/8"]})", "has no key \"list\""},
        {R"({"type": "ip", "whitelist": ["10.0.0.0/8"], "filter": "whitelist"})",
         "has no key \"filter\""},
        {R"({"type": "interface", "interface": ["rest"]})", "must be a string"},
        {R"({"type": "interface", "whitelist": ["rest"]})", "has no key"},
        {R"({"type": "interface"})", "must be a string"},
        {R"({"type": "data.readonly", "whitelist": []})", "has no key"},
        {R"({"type": "service"})", "must be a list"},
        {R"({"type": "consumer", "whitelist": [null]})", "list of strings"},
    };
    for (const auto& [json, words] : bad) AssertBadCaveat(json, words);
    // The asn list must hold integers: read through CaveatFromJson (asn is
    // refused for new tokens before its fields are read).
    TokenCaveat caveat;
    for (const char* json : {R"({"type": "asn", "whitelist": ["1"]})",
                             R"({"type": "asn", "whitelist": [1.5]})",
                             R"({"type": "asn", "whitelist": [-1]})",
                             R"({"type": "asn", "whitelist": [4294967296]})",
                             R"({"type": "geo.country", "filter": "white",
                                 "list": ["PL"]})",
                             R"({"type": "geo.country", "list": ["PL"]})",
                             R"({"type": "geo.country", "filter": "whitelist",
                                 "list": ["pl"]})"}) {
      Status status = CaveatFromJson(Parse(json), &caveat);
      CPPUNIT_ASSERT_MESSAGE(json, status.code() == Code::kBadValueCaveat);
    }
    // Too many entries in one list.
    std::string many = R"({"type": "data.objectid", "whitelist": ["x")";
    for (size_t i = 0; i < kMaxCaveatListEntries; ++i) many += R"(,"x")";
    AssertBadCaveat(many + "]}", "at most 64 entries");
  }

  void testInvalidEntriesAreBadValueCaveatWithValidCaveatsReason() {
    AssertBadCaveat(
        R"({"type": "ip", "whitelist": ["10.0.0.0/8", "10.0.0.300/8"]})",
        "caveat of type \"ip\" is invalid: \"10.0.0.300/8\" is not an IP "
        "address or CIDR range");
    AssertBadCaveat(R"({"type": "ip", "whitelist": ["10.0.0.0/33"]})",
                    "\"10.0.0.0/33\" is not");
    AssertBadCaveat(R"({"type": "interface", "interface": "http"})",
                    "\"http\" is not an interface");
    AssertBadCaveat(R"({"type": "api", "whitelist": ["ozw/get/user"]})",
                    "is not an API pattern");
    AssertBadCaveat(R"({"type": "service", "whitelist": ["xyz-1"]})",
                    "\"xyz-1\" is not a service");
    AssertBadCaveat(R"({"type": "consumer", "whitelist": ["ozw-onezone"]})",
                    "is not a consumer");
    AssertBadCaveat(R"({"type": "data.path", "whitelist": ["c3BhY2U="]})",
                    "base64 of an absolute path");
    AssertBadCaveat(R"({"type": "data.objectid", "whitelist": ["a b"]})",
                    "is not an object id");
    AssertBadCaveat(R"({"type": "data.objectid", "whitelist": [""]})",
                    "\"\" is not an object id");
    AssertBadCaveat(R"({"type": "data.objectid", "whitelist": ["a|b"]})",
                    "is not");
  }

  void testAnUnreadableCaveatStringIsShownAsUnknown() {
    for (const char* text :
         {"account = 105", "time < 05", "ip = 10.0.0.300", ""}) {
      const Json::Value json = CaveatJson(text);
      CPPUNIT_ASSERT_EQUAL(std::string("unknown"), json["type"].asString());
      CPPUNIT_ASSERT_EQUAL(std::string(text), json["caveat"].asString());
    }
  }

  void testTheJsonFormMatchesTheTokenLayersJsonText() {
    for (const char* text : {
             "time < 1800000000",
             "ip = 10.0.0.0/8|::1",
             "interface = rest",
             "api = */*/spaces/*",
             "service = opw-*",
             "consumer = usr-a",
             "data.readonly",
             "data.path = Lw==",
             "data.objectid = x\"y\\z",
             "asn = 0|4294967295",
             "geo.country != PL|DE",
             "geo.region = Europe",
         }) {
      TokenCaveat caveat;
      CPPUNIT_ASSERT_MESSAGE(text, ParseCaveat(text, &caveat));
      CPPUNIT_ASSERT_EQUAL(ToJson(CaveatJson(text)), CaveatJsonText(caveat));
      // And the JSON form reads back as the same caveat.
      TokenCaveat back;
      CPPUNIT_ASSERT(CaveatFromJson(CaveatJson(text), &back).ok());
      CPPUNIT_ASSERT_EQUAL(std::string(text), CaveatString(back));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CaveatsJsonTest);

}  // namespace
}  // namespace tokend
