// Unit tests for status.h and json_response.h: every code's HTTP status and
// Onezone error id, and the Onezone 20.02 error body
// {"error": {"id", "description", "details"?}} with details.authError for
// rejected credentials.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <json/json.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/http/json_response.h"
#include "tokend/http/response.h"

namespace tokend {
namespace {

struct ExpectedCode {
  Code code;
  int http_status;
  const char* error_id;
};

// Written from the reference (onezone-tokens.md, Onezone's errors.erl) and
// HTTP's own meaning of each status, independently of src/common/status.cpp.
const ExpectedCode kExpectedCodes[] = {
    {Code::kOk, 200, "ok"},
    {Code::kUnauthorized, 401, "unauthorized"},
    {Code::kBadBasicCredentials, 401, "badBasicCredentials"},
    {Code::kBadToken, 401, "badToken"},
    {Code::kTokenInvalid, 401, "tokenInvalid"},
    {Code::kTokenCaveatUnverified, 401, "tokenCaveatUnverified"},
    {Code::kTokenCaveatUnknown, 401, "tokenCaveatUnknown"},
    {Code::kForbidden, 403, "forbidden"},
    {Code::kNotFound, 404, "notFound"},
    {Code::kMethodNotAllowed, 405, "notSupported"},
    {Code::kAlreadyExists, 409, "alreadyExists"},
    {Code::kMalformedData, 400, "malformedData"},
    {Code::kBadValueJSON, 400, "badValueJSON"},
    {Code::kBadData, 400, "badData"},
    {Code::kBadValueInteger, 400, "badValueInteger"},
    {Code::kBadValueString, 400, "badValueString"},
    {Code::kBadValueTooLow, 400, "badValueTooLow"},
    {Code::kBadValueTooHigh, 400, "badValueTooHigh"},
    {Code::kBadValueToken, 400, "badValueToken"},
    {Code::kBadValueName, 400, "badValueName"},
    {Code::kMissingRequiredValue, 400, "missingRequiredValue"},
    {Code::kPayloadTooLarge, 413, "payloadTooLarge"},
    {Code::kRequestHeaderTooLarge, 431, "requestHeaderTooLarge"},
    {Code::kTooManyRequests, 429, "tooManyRequests"},
    {Code::kHashingLaneNeeded, 500, "hashingLaneNeeded"},
    {Code::kServiceUnavailable, 503, "serviceUnavailable"},
    {Code::kInternal, 500, "internalServerError"},
};

Json::Value ParseBody(const std::string& text) {
  Json::CharReaderBuilder builder;
  Json::CharReaderBuilder::strictMode(&builder.settings_);
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value root;
  std::string errors;
  bool parsed =
      reader->parse(text.data(), text.data() + text.size(), &root, &errors);
  CPPUNIT_ASSERT_MESSAGE("not JSON: " + text + " (" + errors + ")", parsed);
  return root;
}

// The values of header `name`, in order.
std::vector<std::string> HeaderValues(const Response& response,
                                      const std::string& name) {
  std::vector<std::string> values;
  for (const auto& header : response.headers) {
    if (header.first == name) values.push_back(header.second);
  }
  return values;
}

std::string JsonString(const Json::Value& value) {
  CPPUNIT_ASSERT_MESSAGE("not a string: " + value.toStyledString(),
                         value.isString());
  return value.asString();
}

// The text of jsoncpp's own writer with ToJson's settings: what ToJson wrote
// before it had a writer of its own.
std::string JsoncppText(const Json::Value& value) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  builder["emitUTF8"] = true;
  return Json::writeString(builder, value);
}

// A pseudo-random string, mostly of the bytes JSON escapes or UTF-8 uses.
std::string RandomString(std::mt19937* rng) {
  static const char kBytes[] =
      "aZ09/\"\\\b\f\n\r\t\x01\x1f\x7f\x80\xc3\xa9\xff";
  std::string text;
  for (size_t length = (*rng)() % 24; length > 0; --length) {
    if ((*rng)() % 4 == 0) {
      text += static_cast<char>((*rng)() % 256);
    } else {
      text += kBytes[(*rng)() % (sizeof kBytes)];  // the final NUL included
    }
  }
  return text;
}

// A pseudo-random value of every type, nested at most `depth` deep.
Json::Value RandomValue(std::mt19937* rng, int depth) {
  switch ((*rng)() % (depth > 0 ? 8 : 6)) {
    case 0:
      return Json::Value();
    case 1:
      return Json::Value((*rng)() % 2 == 0);
    case 2:
      return Json::Value(static_cast<Json::Int64>(
          (uint64_t{(*rng)()} << 32 | (*rng)()) >> ((*rng)() % 64)));
    case 3:
      return Json::Value(Json::UInt64{(*rng)()} << ((*rng)() % 33));
    case 4: {
      // Any bit pattern: subnormals, infinities and NaNs included.
      uint64_t bits = uint64_t{(*rng)()} << 32 | (*rng)();
      double number;
      std::memcpy(&number, &bits, sizeof number);
      return Json::Value((*rng)() % 2 == 0 ? number : bits % 10000 / 8.0);
    }
    case 5: {
      std::string text = RandomString(rng);
      return Json::Value(text.data(), text.data() + text.size());
    }
    case 6: {
      Json::Value array(Json::arrayValue);
      for (size_t size = (*rng)() % 5; size > 0; --size) {
        array.append(RandomValue(rng, depth - 1));
      }
      // Now and then a gap, which jsoncpp writes as null.
      if ((*rng)() % 8 == 0) array[array.size() + 2] = 1;
      return array;
    }
    default: {
      Json::Value object(Json::objectValue);
      for (size_t size = (*rng)() % 5; size > 0; --size) {
        object[RandomString(rng)] = RandomValue(rng, depth - 1);
      }
      return object;
    }
  }
}

}  // namespace

class JsonResponseTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(JsonResponseTest);
  CPPUNIT_TEST(testEveryCodeMapsToItsHttpStatusAndOnezoneId);
  CPPUNIT_TEST(testEveryCodeHasItsOwnEntryInTheCodeTable);
  CPPUNIT_TEST(testEveryErrorIdIsDistinct);
  CPPUNIT_TEST(testStatusAccessorsAgreeWithTheCodeTable);
  CPPUNIT_TEST(testDefaultStatusIsOkWithoutDetails);
  CPPUNIT_TEST(testAddDetailKeepsOrderAndKind);
  CPPUNIT_TEST(testErrorBodyHasIdAndDescription);
  CPPUNIT_TEST(testErrorBodyHasNoDetailsKeyWhenThereAreNone);
  CPPUNIT_TEST(testErrorBodyRendersStringAndNumberDetails);
  CPPUNIT_TEST(testErrorBodyRendersJsonDetailsAsTheValuesTheyHold);
  CPPUNIT_TEST(testErrorResponseCarriesTheHttpStatusOfEveryCode);
  CPPUNIT_TEST(testErrorResponseIsJson);
  CPPUNIT_TEST(testUnauthorizedRendersTheInnerIdAsAuthError);
  CPPUNIT_TEST(testUnauthorizedRendersTheInnerDetailsUnderAuthError);
  CPPUNIT_TEST(testUnauthorizedWithoutInnerDetailsHasNoInnerDetailsKey);
  CPPUNIT_TEST(testUnauthorizedDescriptionNamesTheInnerReason);
  CPPUNIT_TEST(testUnauthorizedKeepsItsOwnDetailsBesideAuthError);
  CPPUNIT_TEST(testUnauthorizedIsA401WithTheInnerReasonKept);
  CPPUNIT_TEST(testWwwAuthenticateIsSentOnEvery401);
  CPPUNIT_TEST(testWwwAuthenticateIsNotSentOnOtherStatuses);
  CPPUNIT_TEST(testDescriptionWithQuotesAndControlCharactersStaysValidJson);
  CPPUNIT_TEST(testJsonResponseRendersCompactJsonWithItsStatus);
  CPPUNIT_TEST(testToJsonEmitsUtf8Unescaped);
  CPPUNIT_TEST(testToJsonWritesWhatJsoncppWritesForEveryKindOfValue);
  CPPUNIT_TEST(testToJsonWritesWhatJsoncppWritesForEveryByteAtEveryOffset);
  CPPUNIT_TEST(testToJsonWritesWhatJsoncppWritesForRandomValues);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEveryCodeMapsToItsHttpStatusAndOnezoneId() {
    for (const ExpectedCode& expected : kExpectedCodes) {
      std::string id = expected.error_id;
      CPPUNIT_ASSERT_EQUAL_MESSAGE(id, expected.http_status,
                                   HttpStatusOf(expected.code));
      CPPUNIT_ASSERT_EQUAL(id, std::string(ErrorIdOf(expected.code)));
    }
  }

  void testEveryCodeHasItsOwnEntryInTheCodeTable() {
    // A code missing from the table would fall back to internalServerError.
    for (int value = 0; value < static_cast<int>(Code::kInternal); ++value) {
      Code code = static_cast<Code>(value);
      CPPUNIT_ASSERT_MESSAGE(
          "code " + std::to_string(value),
          std::string(ErrorIdOf(code)) != "internalServerError");
      // kHashingLaneNeeded is never rendered; 500 should it ever be.
      if (code == Code::kHashingLaneNeeded) continue;
      CPPUNIT_ASSERT_MESSAGE("code " + std::to_string(value),
                             HttpStatusOf(code) != 500);
    }
  }

  void testEveryErrorIdIsDistinct() {
    const int count = static_cast<int>(Code::kInternal) + 1;
    for (int i = 0; i < count; ++i) {
      for (int j = i + 1; j < count; ++j) {
        CPPUNIT_ASSERT_MESSAGE(ErrorIdOf(static_cast<Code>(i)),
                               std::string(ErrorIdOf(static_cast<Code>(i))) !=
                                   ErrorIdOf(static_cast<Code>(j)));
      }
    }
  }

  void testStatusAccessorsAgreeWithTheCodeTable() {
    for (const ExpectedCode& expected : kExpectedCodes) {
      if (expected.code == Code::kOk) continue;
      Status status(expected.code, "something");
      CPPUNIT_ASSERT(!status.ok());
      CPPUNIT_ASSERT_EQUAL(expected.http_status, HttpStatusOf(status.code()));
      CPPUNIT_ASSERT_EQUAL(std::string(expected.error_id),
                           std::string(status.error_id()));
      CPPUNIT_ASSERT(status.inner() == nullptr);
    }
  }

  void testDefaultStatusIsOkWithoutDetails() {
    Status status;
    CPPUNIT_ASSERT(status.ok());
    CPPUNIT_ASSERT(Status::Ok().ok());
    CPPUNIT_ASSERT_EQUAL(200, HttpStatusOf(status.code()));
    CPPUNIT_ASSERT(status.details().empty());
    CPPUNIT_ASSERT(status.inner() == nullptr);
  }

  void testAddDetailKeepsOrderAndKind() {
    Status status(Code::kBadValueTooHigh, "too high");
    status.AddDetail("key", "ttl").AddNumberDetail("limit", -42);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, status.details().size());
    CPPUNIT_ASSERT_EQUAL(std::string("key"), status.details()[0].key);
    CPPUNIT_ASSERT_EQUAL(std::string("ttl"), status.details()[0].value);
    CPPUNIT_ASSERT(!status.details()[0].number);
    CPPUNIT_ASSERT_EQUAL(std::string("limit"), status.details()[1].key);
    CPPUNIT_ASSERT_EQUAL(std::string("-42"), status.details()[1].value);
    CPPUNIT_ASSERT(status.details()[1].number);
  }

  void testErrorBodyHasIdAndDescription() {
    Response response = ErrorResponse(
        Status(Code::kNotFound, "The resource could not be found."));
    Json::Value body = ParseBody(response.body);
    CPPUNIT_ASSERT(body.isObject());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, body.getMemberNames().size());
    const Json::Value& error = body["error"];
    CPPUNIT_ASSERT(error.isObject());
    CPPUNIT_ASSERT_EQUAL(std::string("notFound"), JsonString(error["id"]));
    CPPUNIT_ASSERT_EQUAL(std::string("The resource could not be found."),
                         JsonString(error["description"]));
  }

  void testErrorBodyHasNoDetailsKeyWhenThereAreNone() {
    for (const ExpectedCode& expected : kExpectedCodes) {
      if (expected.code == Code::kOk) continue;
      Json::Value body =
          ParseBody(ErrorResponse(Status(expected.code, "x")).body);
      CPPUNIT_ASSERT_MESSAGE(expected.error_id,
                             !body["error"].isMember("details"));
      CPPUNIT_ASSERT_EQUAL(size_t{2}, body["error"].getMemberNames().size());
    }
  }

  void testErrorBodyRendersStringAndNumberDetails() {
    Status status(Code::kBadValueTooHigh, "Bad value: too high.");
    status.AddDetail("key", "ttl").AddNumberDetail("limit", 31536000);
    Json::Value details =
        ParseBody(ErrorResponse(status).body)["error"]["details"];
    CPPUNIT_ASSERT(details.isObject());
    CPPUNIT_ASSERT_EQUAL(std::string("ttl"), JsonString(details["key"]));
    CPPUNIT_ASSERT(details["limit"].isIntegral());
    CPPUNIT_ASSERT(!details["limit"].isString());
    CPPUNIT_ASSERT_EQUAL(Json::Int64(31536000), details["limit"].asInt64());

    // A number detail at the edge of the range keeps every digit.
    Status big(Code::kBadValueTooHigh, "x");
    big.AddNumberDetail("limit", 9223372036854775807LL);
    Json::Value limit =
        ParseBody(ErrorResponse(big).body)["error"]["details"]["limit"];
    CPPUNIT_ASSERT_EQUAL(Json::Int64(9223372036854775807LL), limit.asInt64());
  }

  void testErrorBodyRendersJsonDetailsAsTheValuesTheyHold() {
    Status status(Code::kBadValueCaveat, "Bad value: caveat.");
    status.AddJsonDetail("caveat", R"({"type":"time","validUntil":5})")
        .AddJsonDetail("keys", R"(["name","revoked"])")
        .AddJsonDetail("bare", R"("time < 5")")
        .AddJsonDetail("broken", R"({"type":)")
        .AddJsonDetail("long", "[\"" + std::string(600, 'x') + "\"]")
        .AddJsonDetail("long caveat", R"({"type":"ip","whitelist":[")" +
                                          std::string(600, '1') + R"("]})");
    CPPUNIT_ASSERT(status.details()[0].json);
    CPPUNIT_ASSERT(!status.details()[0].number);
    Json::Value details =
        ParseBody(ErrorResponse(status).body)["error"]["details"];
    CPPUNIT_ASSERT(details["caveat"].isObject());
    CPPUNIT_ASSERT_EQUAL(std::string("time"), JsonString(details["caveat"]["type"]));
    CPPUNIT_ASSERT_EQUAL(Json::Int64(5), details["caveat"]["validUntil"].asInt64());
    CPPUNIT_ASSERT(details["keys"].isArray());
    CPPUNIT_ASSERT_EQUAL(2u, details["keys"].size());
    CPPUNIT_ASSERT_EQUAL(std::string("revoked"), JsonString(details["keys"][1]));
    CPPUNIT_ASSERT_EQUAL(std::string("time < 5"), JsonString(details["bare"]));
    // Not JSON, or longer than an error echoes: a string, cut as usual.
    CPPUNIT_ASSERT_EQUAL(std::string(R"({"type":)"), JsonString(details["broken"]));
    CPPUNIT_ASSERT(details["long"].isString());
    CPPUNIT_ASSERT(JsonString(details["long"]).size() <= 512);
    // An object too long to echo stays an object, with the members that fit.
    const Json::Value& caveat = details["long caveat"];
    CPPUNIT_ASSERT(caveat.isObject());
    CPPUNIT_ASSERT_EQUAL(std::string("ip"), JsonString(caveat["type"]));
    CPPUNIT_ASSERT(!caveat.isMember("whitelist"));
  }

  void testErrorResponseCarriesTheHttpStatusOfEveryCode() {
    for (const ExpectedCode& expected : kExpectedCodes) {
      if (expected.code == Code::kOk) continue;
      Response response = ErrorResponse(Status(expected.code, "x"));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(expected.error_id, expected.http_status,
                                   response.status);
      CPPUNIT_ASSERT_EQUAL(std::string(expected.error_id),
                           JsonString(ParseBody(response.body)["error"]["id"]));
    }
  }

  void testErrorResponseIsJson() {
    Response response = ErrorResponse(Status(Code::kInternal, "boom"));
    std::vector<std::string> types = HeaderValues(response, "Content-Type");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, types.size());
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"), types[0]);
    CPPUNIT_ASSERT_EQUAL(500, response.status);
  }

  void testUnauthorizedRendersTheInnerIdAsAuthError() {
    Status status = Status::Unauthorized(
        Status(Code::kBadBasicCredentials, "Invalid username or password."));
    Json::Value error = ParseBody(ErrorResponse(status).body)["error"];
    CPPUNIT_ASSERT_EQUAL(std::string("unauthorized"), JsonString(error["id"]));
    const Json::Value& auth_error = error["details"]["authError"];
    CPPUNIT_ASSERT(auth_error.isObject());
    CPPUNIT_ASSERT_EQUAL(std::string("badBasicCredentials"),
                         JsonString(auth_error["id"]));
    // Only id (and details): the inner description is in the outer one.
    CPPUNIT_ASSERT(!auth_error.isMember("description"));
  }

  void testUnauthorizedRendersTheInnerDetailsUnderAuthError() {
    Status inner(Code::kTokenCaveatUnverified, "Caveat unverified.");
    inner.AddDetail("caveat", "time < 1522358333");
    Json::Value error =
        ParseBody(ErrorResponse(Status::Unauthorized(inner)).body)["error"];
    const Json::Value& auth_error = error["details"]["authError"];
    CPPUNIT_ASSERT_EQUAL(std::string("tokenCaveatUnverified"),
                         JsonString(auth_error["id"]));
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1522358333"),
                         JsonString(auth_error["details"]["caveat"]));
    // The inner details stay inside authError, not beside it.
    CPPUNIT_ASSERT(!error["details"].isMember("caveat"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, error["details"].getMemberNames().size());
  }

  void testUnauthorizedWithoutInnerDetailsHasNoInnerDetailsKey() {
    for (Code code :
         {Code::kBadToken, Code::kTokenInvalid, Code::kBadBasicCredentials}) {
      Json::Value auth_error =
          ParseBody(ErrorResponse(Status::Unauthorized(Status(code, "x")))
                        .body)["error"]["details"]["authError"];
      CPPUNIT_ASSERT_EQUAL(std::string(ErrorIdOf(code)),
                           JsonString(auth_error["id"]));
      CPPUNIT_ASSERT(!auth_error.isMember("details"));
      CPPUNIT_ASSERT_EQUAL(size_t{1}, auth_error.getMemberNames().size());
    }
  }

  void testUnauthorizedDescriptionNamesTheInnerReason() {
    Status status =
        Status::Unauthorized(Status(Code::kTokenInvalid, "Token is invalid."));
    CPPUNIT_ASSERT(status.description().find("Token is invalid.") !=
                   std::string::npos);
    std::string description = JsonString(
        ParseBody(ErrorResponse(status).body)["error"]["description"]);
    CPPUNIT_ASSERT(description.find("Token is invalid.") != std::string::npos);
  }

  void testUnauthorizedKeepsItsOwnDetailsBesideAuthError() {
    Status status = Status::Unauthorized(Status(Code::kBadToken, "x"));
    status.AddDetail("requestId", "abc123");
    Json::Value details =
        ParseBody(ErrorResponse(status).body)["error"]["details"];
    CPPUNIT_ASSERT_EQUAL(std::string("abc123"),
                         JsonString(details["requestId"]));
    CPPUNIT_ASSERT_EQUAL(std::string("badToken"),
                         JsonString(details["authError"]["id"]));
  }

  void testUnauthorizedIsA401WithTheInnerReasonKept() {
    Status inner(Code::kTokenCaveatUnknown, "Unknown caveat.");
    inner.AddDetail("caveat", "color = red");
    Status status = Status::Unauthorized(inner);
    CPPUNIT_ASSERT_EQUAL(std::string("unauthorized"),
                         std::string(status.error_id()));
    CPPUNIT_ASSERT_EQUAL(401, HttpStatusOf(status.code()));
    CPPUNIT_ASSERT(status.details().empty());
    CPPUNIT_ASSERT(status.inner() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("tokenCaveatUnknown"),
                         std::string(status.inner()->error_id()));
    CPPUNIT_ASSERT_EQUAL(std::string("color = red"),
                         status.inner()->details()[0].value);
    // A copy shares the same inner reason.
    Status copy = status;
    CPPUNIT_ASSERT(copy.inner() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown caveat."),
                         copy.inner()->description());
  }

  void testWwwAuthenticateIsSentOnEvery401() {
    std::vector<Status> unauthorized = {
        Status::Unauthorized(Status(Code::kBadBasicCredentials, "x")),
        Status(Code::kUnauthorized, "no credentials"),
        Status(Code::kBadToken, "x"),
    };
    for (const Status& status : unauthorized) {
      Response response = ErrorResponse(status);
      CPPUNIT_ASSERT_EQUAL(401, response.status);
      std::vector<std::string> values =
          HeaderValues(response, "WWW-Authenticate");
      CPPUNIT_ASSERT_EQUAL(size_t{1}, values.size());
      CPPUNIT_ASSERT_EQUAL(std::string("Basic "), values[0].substr(0, 6));
      CPPUNIT_ASSERT(values[0].find("realm=") != std::string::npos);
    }
  }

  void testWwwAuthenticateIsNotSentOnOtherStatuses() {
    for (const ExpectedCode& expected : kExpectedCodes) {
      if (expected.http_status == 401 || expected.code == Code::kOk) continue;
      Response response = ErrorResponse(Status(expected.code, "x"));
      CPPUNIT_ASSERT_MESSAGE(
          expected.error_id,
          HeaderValues(response, "WWW-Authenticate").empty());
    }
  }

  void testDescriptionWithQuotesAndControlCharactersStaysValidJson() {
    const std::string nasty = "a \"quoted\" \\ value\n\t\x01 </script>";
    Status status(Code::kBadData, nasty);
    status.AddDetail("key", nasty);
    Json::Value error = ParseBody(ErrorResponse(status).body)["error"];
    CPPUNIT_ASSERT_EQUAL(nasty, JsonString(error["description"]));
    CPPUNIT_ASSERT_EQUAL(nasty, JsonString(error["details"]["key"]));
  }

  void testJsonResponseRendersCompactJsonWithItsStatus() {
    Json::Value body(Json::objectValue);
    body["tokens"] = Json::Value(Json::arrayValue);
    body["tokens"].append("MDAx");
    body["tokens"].append("MDAy");
    Response response = JsonResponse(201, body);
    CPPUNIT_ASSERT_EQUAL(201, response.status);
    CPPUNIT_ASSERT_EQUAL(std::string("{\"tokens\":[\"MDAx\",\"MDAy\"]}"),
                         response.body);
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"),
                         HeaderValues(response, "Content-Type").at(0));
    CPPUNIT_ASSERT_EQUAL(std::string("{}"),
                         ToJson(Json::Value(Json::objectValue)));
  }

  void testToJsonEmitsUtf8Unescaped() {
    Json::Value value(Json::objectValue);
    value["name"] = "Zoë";
    CPPUNIT_ASSERT_EQUAL(std::string("{\"name\":\"Zoë\"}"), ToJson(value));
  }

  void testToJsonWritesWhatJsoncppWritesForEveryKindOfValue() {
    using Limits64 = std::numeric_limits<Json::Int64>;
    const double kInfinity = std::numeric_limits<double>::infinity();
    std::vector<Json::Value> values = {
        Json::Value(),
        Json::Value(true),
        Json::Value(false),
        Json::Value(0),
        Json::Value(-1),
        Json::Value(31536000),
        Json::Value(Limits64::min()),
        Json::Value(Limits64::max()),
        Json::Value(0u),
        Json::Value(std::numeric_limits<Json::UInt>::max()),
        Json::Value(std::numeric_limits<Json::UInt64>::max()),
        Json::Value(0.0),
        Json::Value(-0.0),
        Json::Value(0.1),
        Json::Value(3.0),
        Json::Value(-2.5e-300),
        Json::Value(1e21),
        Json::Value(std::numeric_limits<double>::denorm_min()),
        Json::Value(std::numeric_limits<double>::max()),
        Json::Value(kInfinity),
        Json::Value(-kInfinity),
        Json::Value(std::numeric_limits<double>::quiet_NaN()),
        Json::Value(""),
        Json::Value("MDAxY2xvY2F0aW9uIG9uZXpvbmUK_-"),
        Json::Value("Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
        Json::Value("\xff\xfe \xc3 \xed\xa0\x80 invalid UTF-8"),
        Json::Value("\"\\/\b\f\n\r\t\x01\x1f\x7f </script>"),
        Json::Value(Json::arrayValue),
        Json::Value(Json::objectValue),
    };
    std::string all_bytes;
    for (int byte = 0; byte < 256; ++byte) {
      std::string one(1, static_cast<char>(byte));
      values.emplace_back(one.data(), one.data() + 1);
      all_bytes += one;
    }
    values.emplace_back(all_bytes.data(), all_bytes.data() + all_bytes.size());
    for (const std::string& text :
         {std::string("a\0b", 3), std::string("\0", 1), std::string(4, '\0')}) {
      values.emplace_back(text.data(), text.data() + text.size());
    }

    Json::Value nested(Json::objectValue);
    nested["tokens"] = Json::Value(Json::arrayValue);
    nested["tokens"].append("MDAx");
    nested["tokens"].append(Json::Value(Json::arrayValue));
    nested["tokens"].append(Json::Value(Json::objectValue));
    nested["b"]["c"]["d"] = Json::Value(Json::arrayValue);
    nested["b"]["c"]["d"].append(Json::Value(Json::arrayValue));
    nested["b"]["c"]["d"][0].append(-7);
    nested["a"] = 1.5;
    nested[""] = "empty key";
    nested["A"] = Json::Value();
    nested["aa"] = true;
    nested[std::string("k\0ey", 4)] = "NUL in a key";
    nested["k\"\\\n\x01\xc3\xa9"] = "escapes in a key";
    values.push_back(nested);
    Json::Value sparse(Json::arrayValue);
    sparse[3] = "a gap before";
    values.push_back(sparse);

    for (const Json::Value& value : values) {
      CPPUNIT_ASSERT_EQUAL(JsoncppText(value), ToJson(value));
    }
  }

  void testToJsonWritesWhatJsoncppWritesForEveryByteAtEveryOffset() {
    // ToJson copies runs of plain bytes between the escaped ones: each byte
    // at each offset, among neighbours close to the bytes escaped.
    for (char neighbour : {' ', '#', ']', '\x7f', '\x80', '\xff'}) {
      for (size_t offset = 0; offset < 17; ++offset) {
        for (int byte = 0; byte < 256; ++byte) {
          std::string text(17, neighbour);
          text[offset] = static_cast<char>(byte);
          Json::Value value(text.data(), text.data() + text.size());
          CPPUNIT_ASSERT_EQUAL(JsoncppText(value), ToJson(value));
        }
      }
    }
  }

  void testToJsonWritesWhatJsoncppWritesForRandomValues() {
    std::mt19937 rng(20240611);
    for (int i = 0; i < 3000; ++i) {
      Json::Value value = RandomValue(&rng, 4);
      CPPUNIT_ASSERT_EQUAL(JsoncppText(value), ToJson(value));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonResponseTest);

}  // namespace tokend
