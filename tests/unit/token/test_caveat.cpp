// Unit tests for caveat.h: Onezone 20.02's caveat strings read strictly and
// written back the same, CIDR ranges of both families (IPv4-mapped
// addresses included), wildcard patterns, whether each kind holds, and the
// JSON text of a caveat.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "tokend/common/limits.h"
#include "tokend/token/caveat.h"

namespace tokend {
namespace {

constexpr int64_t kNow = 1700000000;

TokenCaveat Parsed(const std::string& text) {
  TokenCaveat caveat;
  CPPUNIT_ASSERT_MESSAGE(text, ParseCaveat(text, &caveat));
  return caveat;
}

bool IpHolds(const std::string& ranges, const char* peer) {
  CaveatContext context;
  context.peer_ip = peer;
  return CaveatHolds(Parsed("ip = " + ranges), context);
}

class CaveatTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CaveatTest);
  CPPUNIT_TEST(testTypeNamesAndTypesMapBothWays);
  CPPUNIT_TEST(testEveryKindRoundTripsThroughItsString);
  CPPUNIT_TEST(testParsedValuesCarryTheListAndTheDeadline);
  CPPUNIT_TEST(testMalformedCaveatStringsAreRefused);
  CPPUNIT_TEST(testMalformedEntriesOfEachKindAreRefused);
  CPPUNIT_TEST(testListsAreBoundedAndNeverEmpty);
  CPPUNIT_TEST(testValidCaveatSaysWhatIsWrong);
  CPPUNIT_TEST(testIpAddressesOfBothFamiliesAreRecognised);
  CPPUNIT_TEST(testIpv4RangesMatchByTheirPrefix);
  CPPUNIT_TEST(testIpv6RangesMatchByTheirPrefix);
  CPPUNIT_TEST(testIpv4MappedPeersMatchIpv4RangesAndTheOtherWayRound);
  CPPUNIT_TEST(testAnIpCaveatWithoutAUsablePeerDoesNotHold);
  CPPUNIT_TEST(testATimeCaveatHoldsUntilItsDeadline);
  CPPUNIT_TEST(testAnInterfaceCaveatHoldsOnItsInterfaceOnly);
  CPPUNIT_TEST(testAnApiCaveatMatchesServiceMethodAndPath);
  CPPUNIT_TEST(testServiceAndConsumerCaveatsMatchTheirSubject);
  CPPUNIT_TEST(testDataCaveatsHoldOnlyWhereDataAccessCaveatsAreAllowed);
  CPPUNIT_TEST(testGeoIpCaveatsNeverHold);
  CPPUNIT_TEST(testJsonTextHasOnezonesFieldsForEveryKind);
  CPPUNIT_TEST(testJsonTextEscapesWhatACaveatHolds);
  CPPUNIT_TEST(testWildcardsMatchAnyRunOfCharacters);
  CPPUNIT_TEST(testWildcardsStayFastOnPathologicalPatterns);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testTypeNamesAndTypesMapBothWays() {
    const char* names[] = {"time",          "ip",          "interface",
                           "api",           "service",     "consumer",
                           "data.readonly", "data.path",   "data.objectid",
                           "asn",           "geo.country", "geo.region"};
    for (const char* name : names) {
      CaveatType type;
      CPPUNIT_ASSERT_MESSAGE(name, CaveatTypeFromName(name, &type));
      CPPUNIT_ASSERT_EQUAL(std::string(name),
                           std::string(CaveatTypeName(type)));
    }
    CaveatType type;
    for (const char* bad : {"", "Time", "geo", "data", "unknown", "ip "}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !CaveatTypeFromName(bad, &type));
    }
    CPPUNIT_ASSERT(IsDataAccessCaveat(CaveatType::kDataReadonly));
    CPPUNIT_ASSERT(IsDataAccessCaveat(CaveatType::kDataPath));
    CPPUNIT_ASSERT(IsDataAccessCaveat(CaveatType::kDataObjectId));
    CPPUNIT_ASSERT(!IsDataAccessCaveat(CaveatType::kApi));
    CPPUNIT_ASSERT(!IsDataAccessCaveat(CaveatType::kTime));
  }

  void testEveryKindRoundTripsThroughItsString() {
    for (const char* text : {
             "time < 1800000000",
             "time < 0",
             "ip = 10.0.0.0/8|::1",
             "ip = 192.0.2.7",
             "ip = 0.0.0.0/0|::/0|2001:db8::/32|::ffff:10.0.0.1/128",
             "interface = rest",
             "interface = oneclient",
             "interface = graphsync",
             "api = ozw/GET/user/*|*/*/spaces/*",
             "api = ozw/DELETE/tokens/named/abc|opw/*/files/*/content",
             "service = ozw-onezone|opw-*",
             "service = ozp-x_1|opp-ABC-def|usr-*",
             "consumer = usr-0123456789abcdef|grp-*|prv-p1",
             "data.readonly",
             "data.path = L3NwYWNlL2Rpcg==|Lw==",
             "data.objectid = 0000000000A1|abc$123~",
             "asn = 1|64512|4294967295|0",
             "geo.country = PL|DE",
             "geo.country != FR",
             "geo.region = Europe|Asia",
             "geo.region != NorthAmerica|EU",
         }) {
      TokenCaveat caveat = Parsed(text);
      CPPUNIT_ASSERT_EQUAL(std::string(text), CaveatString(caveat));
      std::string why;
      CPPUNIT_ASSERT_MESSAGE(text, ValidCaveat(caveat, &why));
    }
  }

  void testParsedValuesCarryTheListAndTheDeadline() {
    TokenCaveat time = Parsed("time < 1800000000");
    CPPUNIT_ASSERT(time.type == CaveatType::kTime);
    CPPUNIT_ASSERT_EQUAL(int64_t{1800000000}, time.valid_until);
    CPPUNIT_ASSERT(time.list.empty());
    TokenCaveat ip = Parsed("ip = 10.0.0.0/8|::1");
    CPPUNIT_ASSERT(ip.type == CaveatType::kIp);
    CPPUNIT_ASSERT(ip.list == std::vector<std::string>({"10.0.0.0/8", "::1"}));
    TokenCaveat geo = Parsed("geo.region != Europe");
    CPPUNIT_ASSERT(geo.type == CaveatType::kGeoRegion);
    CPPUNIT_ASSERT(geo.blacklist);
    CPPUNIT_ASSERT(!Parsed("geo.region = Europe").blacklist);
    CPPUNIT_ASSERT(Parsed("interface = rest").list ==
                   std::vector<std::string>({"rest"}));
    // A caveat built as a value is written as its string.
    TokenCaveat built;
    built.type = CaveatType::kConsumer;
    built.list = {"usr-a", "grp-*"};
    CPPUNIT_ASSERT_EQUAL(std::string("consumer = usr-a|grp-*"),
                         CaveatString(built));
  }

  void testMalformedCaveatStringsAreRefused() {
    TokenCaveat caveat;
    for (const char* bad : {
             "",
             " ",
             "time",
             "time <",
             "time < ",
             "time < 12a",
             "time < -5",
             "time < +5",
             "time < 05",
             "time <  5",
             "time < 5 ",
             " time < 5",
             "time<5",
             "time = 5",
             "time < 1234567890123456789",
             "time < 1.5",
             "ip",
             "ip =",
             "ip = ",
             "ip =10.0.0.1",
             "ip= 10.0.0.1",
             "ip  = 10.0.0.1",
             "ip = 10.0.0.1 ",
             "ip != 10.0.0.1",
             "ip = 10.0.0.1|",
             "ip = |10.0.0.1",
             "ip = 10.0.0.1||::1",
             "IP = 10.0.0.1",
             "data.readonly ",
             "data.readonly = x",
             "data.readonly = ",
             "data.Readonly",
             "interface = REST",
             "interface = rest|oneclient",
             "interface = ",
             "interface = http",
             "unknown = x",
             "account = 105",
             "color = red",
             "time < 1\n",
             "geo.country = pl",
             "asn != 1",
             "service != ozw-onezone",
         }) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseCaveat(bad, &caveat));
    }
    CPPUNIT_ASSERT(!ParseCaveat(std::string("ip = 10.0.0.1\0", 14), &caveat));
    CPPUNIT_ASSERT(!ParseCaveat(std::string("ip = 10.0.0.1\0/8", 16), &caveat));
    // A failed parse leaves the output as it was.
    caveat = Parsed("time < 7");
    CPPUNIT_ASSERT(!ParseCaveat("ip = x", &caveat));
    CPPUNIT_ASSERT_EQUAL(int64_t{7}, caveat.valid_until);
    // Longer than any caveat may be.
    std::string long_id(kMaxCaveatBytes, 'a');
    CPPUNIT_ASSERT(!ParseCaveat("data.objectid = " + long_id, &caveat));
  }

  void testMalformedEntriesOfEachKindAreRefused() {
    TokenCaveat caveat;
    for (const char* bad : {
             // IP: addresses, prefix lengths.
             "ip = 10.0.0.300/8",
             "ip = 10.0.0.0/33",
             "ip = 10.0.0.0/08",
             "ip = 10.0.0.0/+8",
             "ip = 10.0.0.0/-1",
             "ip = 10.0.0.0/",
             "ip = 10.0.0.0/8/8",
             "ip = 10.0.0.0/ 8",
             "ip = 10.0.0/8",
             "ip = 10.0.0.01",
             "ip = 10.0.0.1.2",
             "ip = ::1/129",
             "ip = ::1/0128",
             "ip = ::1/1280",
             "ip = :::1",
             "ip = 1::2::3",
             "ip = fe80::1%eth0",
             "ip = localhost",
             "ip = 10.0.0.0/8a",
             "ip = 0x0a.0.0.1",
             // api: SERVICE/METHOD/PATH.
             "api = ozw/GET",
             "api = ozw/GET/",
             "api = ozw/GET//user",
             "api = ozw/get/user",
             "api = ozw/OPTIONS/user",
             "api = /GET/user",
             "api = oz1/GET/user",
             "api = ozw/GET/a b",
             "api = ozw/*/user/*|",
             "api = ozw/GET/user\x7f",
             // service and consumer: prefix and id.
             "service = ozw-",
             "service = ozw",
             "service = xyz-1",
             "service = OZW-1",
             "service = grp-1",
             "service = ozw-a*",
             "service = ozw-a.b",
             "service = ozwonezone",
             "consumer = ozw-onezone",
             "consumer = usr-",
             "consumer = usr-a b",
             "consumer = usr_abc",
             // data.path: padded standard base64 of an absolute path.
             "data.path = L3NwYWNlL2Rpcg",
             "data.path = c3BhY2U=",
             "data.path = L3NwYWNl_2Rpcg==",
             "data.path = ",
             "data.path = !!!!",
             "data.path = AA==",
             // data.objectid: printable ASCII, no space.
             "data.objectid = a b",
             "data.objectid = a\tb",
             "data.objectid = \xc5\xbc",
             // asn, geo.
             "asn = 01",
             "asn = -1",
             "asn = 4294967296",
             "asn = AS1",
             "asn = 1.5",
             "geo.country = POL",
             "geo.country = P",
             "geo.country = P1",
             "geo.region = europe",
             "geo.region = Mars",
         }) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseCaveat(bad, &caveat));
    }
  }

  void testListsAreBoundedAndNeverEmpty() {
    std::string list = "asn = 0";
    for (size_t i = 1; i < kMaxCaveatListEntries; ++i) {
      list += "|" + std::to_string(i);
    }
    TokenCaveat caveat;
    CPPUNIT_ASSERT(ParseCaveat(list, &caveat));
    CPPUNIT_ASSERT_EQUAL(kMaxCaveatListEntries, caveat.list.size());
    CPPUNIT_ASSERT(!ParseCaveat(list + "|1", &caveat));
    caveat.list.push_back("1");
    CPPUNIT_ASSERT(!ValidCaveat(caveat, nullptr));
    caveat.list.clear();
    CPPUNIT_ASSERT(!ValidCaveat(caveat, nullptr));
  }

  void testValidCaveatSaysWhatIsWrong() {
    TokenCaveat ip;
    ip.type = CaveatType::kIp;
    ip.list = {"10.0.0.0/8", "10.0.0.300/8"};
    std::string why;
    CPPUNIT_ASSERT(!ValidCaveat(ip, &why));
    CPPUNIT_ASSERT_EQUAL(
        std::string("\"10.0.0.300/8\" is not an IP address or CIDR range"),
        why);
    TokenCaveat empty;
    empty.type = CaveatType::kService;
    CPPUNIT_ASSERT(!ValidCaveat(empty, &why));
    CPPUNIT_ASSERT(why.find("empty") != std::string::npos);
    TokenCaveat time;
    time.valid_until = -1;
    CPPUNIT_ASSERT(!ValidCaveat(time, &why));
    TokenCaveat blacklisted_ip = ip;
    blacklisted_ip.list = {"::1"};
    blacklisted_ip.blacklist = true;
    CPPUNIT_ASSERT(!ValidCaveat(blacklisted_ip, &why));
    TokenCaveat readonly;
    readonly.type = CaveatType::kDataReadonly;
    CPPUNIT_ASSERT(ValidCaveat(readonly, &why));
    readonly.list = {"x"};
    CPPUNIT_ASSERT(!ValidCaveat(readonly, &why));
    // A long entry is cut in the reason.
    TokenCaveat object;
    object.type = CaveatType::kDataObjectId;
    object.list = {std::string(1000, 'x') + " "};
    CPPUNIT_ASSERT(!ValidCaveat(object, &why));
    CPPUNIT_ASSERT(why.size() < 200);
    // Entries that are each fine but too many bytes together.
    object.list.assign(kMaxCaveatListEntries, std::string(100, 'x'));
    CPPUNIT_ASSERT(!ValidCaveat(object, &why));
    CPPUNIT_ASSERT(why.find("bytes") != std::string::npos);
  }

  void testIpAddressesOfBothFamiliesAreRecognised() {
    for (const char* good :
         {"192.0.2.7", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1",
          "::ffff:10.0.0.1", "FE80::1", "1:2:3:4:5:6:7:8"}) {
      CPPUNIT_ASSERT_MESSAGE(good, IsIpAddress(good));
    }
    for (const char* bad :
         {"", "1", "10.0.0", "256.0.0.1", "10.0.0.1/32", " 10.0.0.1",
          "10.0.0.1 ", "::1%lo", "1:2:3:4:5:6:7:8:9", "example.org"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !IsIpAddress(bad));
    }
    CPPUNIT_ASSERT(!IsIpAddress(std::string("::1\0", 4)));
  }

  void testIpv4RangesMatchByTheirPrefix() {
    CPPUNIT_ASSERT(IpHolds("10.0.0.0/8", "10.255.1.2"));
    CPPUNIT_ASSERT(!IpHolds("10.0.0.0/8", "11.0.0.1"));
    CPPUNIT_ASSERT(IpHolds("192.168.4.0/22", "192.168.7.255"));
    CPPUNIT_ASSERT(!IpHolds("192.168.4.0/22", "192.168.8.0"));
    CPPUNIT_ASSERT(!IpHolds("192.168.4.0/22", "192.168.3.255"));
    CPPUNIT_ASSERT(IpHolds("192.0.2.7", "192.0.2.7"));
    CPPUNIT_ASSERT(!IpHolds("192.0.2.7", "192.0.2.6"));
    CPPUNIT_ASSERT(IpHolds("192.0.2.7/32", "192.0.2.7"));
    CPPUNIT_ASSERT(!IpHolds("192.0.2.7/32", "192.0.2.8"));
    CPPUNIT_ASSERT(IpHolds("192.0.2.7/31", "192.0.2.6"));
    CPPUNIT_ASSERT(!IpHolds("192.0.2.7/31", "192.0.2.8"));
    // /0 is every IPv4 address, and no IPv6 one.
    CPPUNIT_ASSERT(IpHolds("0.0.0.0/0", "203.0.113.9"));
    CPPUNIT_ASSERT(IpHolds("10.1.2.3/0", "255.255.255.255"));
    CPPUNIT_ASSERT(!IpHolds("0.0.0.0/0", "2001:db8::1"));
    // Host bits in the base do not matter.
    CPPUNIT_ASSERT(IpHolds("10.1.2.3/8", "10.9.9.9"));
    // Any one range of the list.
    CPPUNIT_ASSERT(IpHolds("172.16.0.0/12|10.0.0.0/8", "10.0.0.1"));
    CPPUNIT_ASSERT(IpHolds("172.16.0.0/12|10.0.0.0/8", "172.31.255.255"));
    CPPUNIT_ASSERT(!IpHolds("172.16.0.0/12|10.0.0.0/8", "172.32.0.0"));
  }

  void testIpv6RangesMatchByTheirPrefix() {
    CPPUNIT_ASSERT(IpHolds("2001:db8::/32", "2001:db8:ffff::1"));
    CPPUNIT_ASSERT(!IpHolds("2001:db8::/32", "2001:db9::1"));
    CPPUNIT_ASSERT(IpHolds("2001:db8::/33", "2001:db8:7fff::1"));
    CPPUNIT_ASSERT(!IpHolds("2001:db8::/33", "2001:db8:8000::1"));
    CPPUNIT_ASSERT(IpHolds("::1", "::1"));
    CPPUNIT_ASSERT(IpHolds("::1", "0:0:0:0:0:0:0:1"));
    CPPUNIT_ASSERT(!IpHolds("::1", "::2"));
    CPPUNIT_ASSERT(IpHolds("::1/128", "::1"));
    CPPUNIT_ASSERT(!IpHolds("::1/128", "::"));
    CPPUNIT_ASSERT(IpHolds("fe80::/10", "febf::1"));
    CPPUNIT_ASSERT(!IpHolds("fe80::/10", "fec0::1"));
    CPPUNIT_ASSERT(IpHolds("::/0", "2001:db8::1"));
    CPPUNIT_ASSERT(!IpHolds("2001:db8::1", "192.0.2.1"));
  }

  void testIpv4MappedPeersMatchIpv4RangesAndTheOtherWayRound() {
    // What a dual-stack socket reports for an IPv4 client.
    CPPUNIT_ASSERT(IpHolds("10.0.0.0/8", "::ffff:10.1.2.3"));
    CPPUNIT_ASSERT(IpHolds("10.0.0.0/8", "::FFFF:a01:203"));
    CPPUNIT_ASSERT(!IpHolds("10.0.0.0/8", "::ffff:11.1.2.3"));
    CPPUNIT_ASSERT(IpHolds("10.1.2.3", "::ffff:10.1.2.3"));
    CPPUNIT_ASSERT(IpHolds("0.0.0.0/0", "::ffff:1.2.3.4"));
    // Not mapped: the IPv4-compatible ::10.1.2.3 is another address.
    CPPUNIT_ASSERT(!IpHolds("10.0.0.0/8", "::10.1.2.3"));
    CPPUNIT_ASSERT(!IpHolds("0.0.0.0/0", "::1"));
    // An IPv4 peer is in the IPv6 ranges of its mapped form.
    CPPUNIT_ASSERT(IpHolds("::ffff:0:0/96", "192.0.2.7"));
    CPPUNIT_ASSERT(IpHolds("::ffff:10.0.0.0/104", "10.200.0.1"));
    CPPUNIT_ASSERT(!IpHolds("::ffff:10.0.0.0/104", "11.0.0.1"));
    CPPUNIT_ASSERT(IpHolds("::/0", "192.0.2.7"));
    CPPUNIT_ASSERT(!IpHolds("2001:db8::/32", "192.0.2.7"));
  }

  void testAnIpCaveatWithoutAUsablePeerDoesNotHold() {
    CPPUNIT_ASSERT(!IpHolds("0.0.0.0/0|::/0", ""));
    CPPUNIT_ASSERT(!IpHolds("0.0.0.0/0|::/0", "unknown"));
    CPPUNIT_ASSERT(!IpHolds("0.0.0.0/0|::/0", "10.0.0.1:443"));
  }

  void testATimeCaveatHoldsUntilItsDeadline() {
    CaveatContext context;
    context.now = kNow;
    CPPUNIT_ASSERT(CaveatHolds(Parsed("time < 1700000001"), context));
    CPPUNIT_ASSERT(!CaveatHolds(Parsed("time < 1700000000"), context));
    CPPUNIT_ASSERT(!CaveatHolds(Parsed("time < 0"), context));
  }

  void testAnInterfaceCaveatHoldsOnItsInterfaceOnly() {
    CaveatContext context;
    context.interface = "rest";
    CPPUNIT_ASSERT(CaveatHolds(Parsed("interface = rest"), context));
    CPPUNIT_ASSERT(!CaveatHolds(Parsed("interface = oneclient"), context));
    context.interface = "";
    CPPUNIT_ASSERT(!CaveatHolds(Parsed("interface = rest"), context));
  }

  void testAnApiCaveatMatchesServiceMethodAndPath() {
    const TokenCaveat api = Parsed("api = ozw/GET/user/*|*/*/spaces/*");
    CaveatContext context;
    // At a verify endpoint the service that asked checks it.
    CPPUNIT_ASSERT(CaveatHolds(api, context));
    context.operation = "ozw/GET/user/tokens/named";
    CPPUNIT_ASSERT(CaveatHolds(api, context));
    context.operation = "ozw/POST/user/tokens/named";
    CPPUNIT_ASSERT(!CaveatHolds(api, context));
    context.operation = "ozw/DELETE/spaces/s1";
    CPPUNIT_ASSERT(CaveatHolds(api, context));
    context.operation = "opw/PUT/spaces/s1/users/u";
    CPPUNIT_ASSERT(CaveatHolds(api, context));
    context.operation = "ozw/GET/users";  // "user/*" needs the slash
    CPPUNIT_ASSERT(!CaveatHolds(api, context));
    context.operation = "opw/GET/user/x";
    CPPUNIT_ASSERT(!CaveatHolds(api, context));
    context.operation = "ozw/GET";  // not an operation
    CPPUNIT_ASSERT(!CaveatHolds(api, context));
    // The method is one part: "GET" does not match "GETX", nor a path its
    // method.
    const TokenCaveat exact = Parsed("api = ozw/GET/tokens/named/abc");
    context.operation = "ozw/GETX/tokens/named/abc";
    CPPUNIT_ASSERT(!CaveatHolds(exact, context));
    context.operation = "ozw/GET/tokens/named/abc";
    CPPUNIT_ASSERT(CaveatHolds(exact, context));
    context.operation = "ozw/GET/tokens/named/abcd";
    CPPUNIT_ASSERT(!CaveatHolds(exact, context));
  }

  void testServiceAndConsumerCaveatsMatchTheirSubject() {
    const TokenCaveat service = Parsed("service = ozw-onezone|opw-*");
    CaveatContext context;
    CPPUNIT_ASSERT(!CaveatHolds(service, context));  // unknown service
    context.service = "ozw-onezone";
    CPPUNIT_ASSERT(CaveatHolds(service, context));
    context.service = "opw-krakow";
    CPPUNIT_ASSERT(CaveatHolds(service, context));
    context.service = "opp-krakow";
    CPPUNIT_ASSERT(!CaveatHolds(service, context));
    context.service = "ozw-onezone2";
    CPPUNIT_ASSERT(!CaveatHolds(service, context));

    const TokenCaveat consumer = Parsed("consumer = usr-alice|grp-*");
    CPPUNIT_ASSERT(!CaveatHolds(consumer, context));  // unknown consumer
    context.consumer = "usr-alice";
    CPPUNIT_ASSERT(CaveatHolds(consumer, context));
    context.consumer = "usr-bob";
    CPPUNIT_ASSERT(!CaveatHolds(consumer, context));
    context.consumer = "grp-g1";
    CPPUNIT_ASSERT(CaveatHolds(consumer, context));
    // The service does not stand in for the consumer.
    context.consumer = "";
    context.service = "usr-alice";
    CPPUNIT_ASSERT(!CaveatHolds(consumer, context));
  }

  void testDataCaveatsHoldOnlyWhereDataAccessCaveatsAreAllowed() {
    CaveatContext context;
    for (const char* text :
         {"data.readonly", "data.path = Lw==", "data.objectid = abc"}) {
      context.allow_data_access = false;
      CPPUNIT_ASSERT_MESSAGE(text, !CaveatHolds(Parsed(text), context));
      context.allow_data_access = true;
      CPPUNIT_ASSERT_MESSAGE(text, CaveatHolds(Parsed(text), context));
    }
  }

  void testGeoIpCaveatsNeverHold() {
    CaveatContext context;
    context.peer_ip = "192.0.2.7";
    context.allow_data_access = true;
    for (const char* text : {"asn = 1", "geo.country = PL", "geo.country != PL",
                             "geo.region = Europe", "geo.region != Europe"}) {
      CPPUNIT_ASSERT_MESSAGE(text, !CaveatHolds(Parsed(text), context));
    }
  }

  void testJsonTextHasOnezonesFieldsForEveryKind() {
    const std::pair<const char*, const char*> cases[] = {
        {"time < 1800000000", R"({"type":"time","validUntil":1800000000})"},
        {"ip = 10.0.0.0/8|::1",
         R"({"type":"ip","whitelist":["10.0.0.0/8","::1"]})"},
        {"interface = rest", R"({"interface":"rest","type":"interface"})"},
        {"api = ozw/GET/user/*",
         R"({"type":"api","whitelist":["ozw/GET/user/*"]})"},
        {"service = opw-*", R"({"type":"service","whitelist":["opw-*"]})"},
        {"consumer = usr-a|grp-*",
         R"({"type":"consumer","whitelist":["usr-a","grp-*"]})"},
        {"data.readonly", R"({"type":"data.readonly"})"},
        {"data.path = Lw==", R"({"type":"data.path","whitelist":["Lw=="]})"},
        {"data.objectid = x1",
         R"({"type":"data.objectid","whitelist":["x1"]})"},
        {"asn = 1|64512", R"({"type":"asn","whitelist":[1,64512]})"},
        {"geo.country = PL|DE",
         R"({"filter":"whitelist","list":["PL","DE"],"type":"geo.country"})"},
        {"geo.region != Europe",
         R"({"filter":"blacklist","list":["Europe"],"type":"geo.region"})"},
    };
    for (const auto& [text, json] : cases) {
      CPPUNIT_ASSERT_EQUAL(std::string(json), CaveatJsonText(Parsed(text)));
    }
  }

  void testJsonTextEscapesWhatACaveatHolds() {
    TokenCaveat caveat;
    caveat.type = CaveatType::kDataObjectId;
    caveat.list = {"a\"b", std::string("c\x01\\d\n", 5)};
    CPPUNIT_ASSERT(!ValidCaveat(caveat, nullptr));  // control bytes
    CPPUNIT_ASSERT_EQUAL(
        std::string(
            R"({"type":"data.objectid","whitelist":["a\"b","c\u0001\\d\n"]})"),
        CaveatJsonText(caveat));
    // A quote is a valid object id character, and escaped in the text.
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"({"type":"data.objectid","whitelist":["x\"y"]})"),
        CaveatJsonText(Parsed("data.objectid = x\"y")));
    // An asn entry that is not a number stays a string.
    TokenCaveat asn;
    asn.type = CaveatType::kAsn;
    asn.list = {"1", "x\""};
    CPPUNIT_ASSERT_EQUAL(std::string(R"({"type":"asn","whitelist":[1,"x\""]})"),
                         CaveatJsonText(asn));
  }

  void testWildcardsMatchAnyRunOfCharacters() {
    CPPUNIT_ASSERT(MatchesWildcard("", ""));
    CPPUNIT_ASSERT(!MatchesWildcard("", "a"));
    CPPUNIT_ASSERT(MatchesWildcard("*", ""));
    CPPUNIT_ASSERT(MatchesWildcard("*", "anything/at all"));
    CPPUNIT_ASSERT(MatchesWildcard("**", "x"));
    CPPUNIT_ASSERT(MatchesWildcard("abc", "abc"));
    CPPUNIT_ASSERT(!MatchesWildcard("abc", "abcd"));
    CPPUNIT_ASSERT(!MatchesWildcard("abcd", "abc"));
    CPPUNIT_ASSERT(!MatchesWildcard("abc", "ABC"));
    CPPUNIT_ASSERT(MatchesWildcard("opw-*", "opw-"));
    CPPUNIT_ASSERT(MatchesWildcard("opw-*", "opw-krakow"));
    CPPUNIT_ASSERT(!MatchesWildcard("opw-*", "opp-krakow"));
    CPPUNIT_ASSERT(MatchesWildcard("*-onezone", "ozw-onezone"));
    CPPUNIT_ASSERT(!MatchesWildcard("*-onezone", "ozw-onezone2"));
    CPPUNIT_ASSERT(MatchesWildcard("spaces/*/users/*", "spaces/s1/users/u2"));
    CPPUNIT_ASSERT(MatchesWildcard("spaces/*/users/*", "spaces/a/b/users/"));
    CPPUNIT_ASSERT(!MatchesWildcard("spaces/*/users/*", "spaces/s1/groups/g"));
    // Backtracking: the first "ab" after '*' is not the one that fits.
    CPPUNIT_ASSERT(MatchesWildcard("*ab*abc", "xabyabababc"));
    CPPUNIT_ASSERT(MatchesWildcard("a*b*c", "aXbYbZc"));
    CPPUNIT_ASSERT(!MatchesWildcard("a*b*c", "aXbYbZ"));
    CPPUNIT_ASSERT(MatchesWildcard("*a", "aaa"));
    CPPUNIT_ASSERT(!MatchesWildcard("*a", "aab"));
    // '*' in the text is an ordinary character.
    CPPUNIT_ASSERT(!MatchesWildcard("a", "*"));
    CPPUNIT_ASSERT(MatchesWildcard("a*", "a*"));
  }

  void testWildcardsStayFastOnPathologicalPatterns() {
    // A recursive matcher takes exponential time on these; the two-pointer
    // one at most pattern x text steps.
    std::string pattern;
    for (int i = 0; i < 100; ++i) pattern += "a*";
    pattern += "b";
    const std::string text(kMaxCaveatBytes, 'a');
    CPPUNIT_ASSERT(!MatchesWildcard(pattern, text));
    CPPUNIT_ASSERT(MatchesWildcard(pattern, text + "b"));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CaveatTest);

}  // namespace
}  // namespace tokend
