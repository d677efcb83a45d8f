// Validation, status lifecycle and JSON form of databases records (no database needed).
#include "schema/database_record.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schema/errors.h"

namespace daap::schema {
namespace {

using S = DatabaseStatus;

// The field an InvalidInput names, or "" when `f` throws nothing.
template <typename F>
std::string rejected_field(F f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.field();
  }
  return "";
}

TEST(DatabaseValidation, AcceptsDnsLabelNames) {
  for (const std::string& name :
       std::vector<std::string>{"a", "orders", "orders-v2", "a1", "a--b", std::string(63, 'x')}) {
    EXPECT_NO_THROW(validate_name(name)) << name;
  }
}

TEST(DatabaseValidation, RejectsUppercaseName) {
  EXPECT_EQ(rejected_field([] { validate_name("Orders"); }), "name");
  EXPECT_EQ(rejected_field([] { validate_name("ordErs"); }), "name");
}

TEST(DatabaseValidation, RejectsNameLongerThan63Characters) {
  try {
    validate_name(std::string(64, 'a'));
    FAIL() << "64 characters accepted";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "name");
    EXPECT_NE(std::string(e.what()).find("63"), std::string::npos) << e.what();
  }
}

TEST(DatabaseValidation, RejectsEmptyName) {
  EXPECT_EQ(rejected_field([] { validate_name(""); }), "name");
}

TEST(DatabaseValidation, RejectsNameStartingWithDigitOrHyphen) {
  EXPECT_EQ(rejected_field([] { validate_name("1orders"); }), "name");
  EXPECT_EQ(rejected_field([] { validate_name("-orders"); }), "name");
}

TEST(DatabaseValidation, RejectsNameEndingWithHyphen) {
  EXPECT_EQ(rejected_field([] { validate_name("orders-"); }), "name");
}

TEST(DatabaseValidation, RejectsQuotesSqlAndOtherCharactersInName) {
  for (const std::string& name :
       std::vector<std::string>{"a'; drop table x;--", "a\"b", "a'b", "a b", "a_b", "a.b",
                                "caf\xc3\xa9", "a%b", "a\\b", std::string("a\0b", 3), "a\nb"}) {
    EXPECT_EQ(rejected_field([&] { validate_name(name); }), "name") << name;
  }
}

TEST(DatabaseValidation, InvalidInputMessageNamesFieldAndOffendingCharacter) {
  try {
    validate_name("a'; drop table x;--");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()),
              "invalid name: may contain only lowercase letters, digits and '-', found ''' at "
              "position 2");
  }
}

TEST(DatabaseValidation, RejectsBlankOwnerTeam) {
  for (const std::string& team : std::vector<std::string>{"", " ", "   ", "\t", " \n "}) {
    EXPECT_EQ(rejected_field([&] { validate_owner_team(team); }), "owner_team") << team;
  }
  EXPECT_NO_THROW(validate_owner_team("payments"));
  EXPECT_NO_THROW(validate_owner_team("Payments & Billing"));
}

TEST(DatabaseValidation, LimitsOwnerTeamTo255Characters) {
  EXPECT_NO_THROW(validate_owner_team(std::string(255, 't')));
  EXPECT_EQ(rejected_field([] { validate_owner_team(std::string(256, 't')); }), "owner_team");
  // varchar(255) counts characters, not bytes: 255 two-byte characters fit.
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "\xc3\xa9";
  EXPECT_NO_THROW(validate_owner_team(accented));
  EXPECT_EQ(rejected_field([&] { validate_owner_team(accented + "\xc3\xa9"); }), "owner_team");
}

TEST(DatabaseValidation, RejectsOwnerTeamThatIsNotUtf8) {
  for (const std::string& team :
       std::vector<std::string>{std::string("team\xff"), std::string("team\xc3"),
                                std::string("\xc0\xaf"), std::string("te\0am", 5)}) {
    EXPECT_EQ(rejected_field([&] { validate_owner_team(team); }), "owner_team");
  }
}

TEST(DatabaseValidation, RequiresNamespaceToBeDnsLabel) {
  EXPECT_NO_THROW(validate_namespace("default"));
  EXPECT_NO_THROW(validate_namespace("team-payments"));
  for (const std::string& ns :
       std::vector<std::string>{"", "Default", "kube_system", "-ns", "ns-", std::string(64, 'n')}) {
    EXPECT_EQ(rejected_field([&] { validate_namespace(ns); }), "namespace") << ns;
  }
}

TEST(DatabaseValidation, CapsPurposeAt4096Characters) {
  EXPECT_NO_THROW(validate_purpose(""));
  EXPECT_NO_THROW(validate_purpose(std::string(4096, 'p')));
  EXPECT_EQ(rejected_field([] { validate_purpose(std::string(4097, 'p')); }), "purpose");
  EXPECT_EQ(rejected_field([] { validate_purpose("bad \xff"); }), "purpose");
}

TEST(DatabaseValidation, ValidateChecksEveryFieldOfNewDatabase) {
  const NewDatabase good{.name = "orders", .owner_team = "payments", .purpose = "orders"};
  EXPECT_NO_THROW(validate(good));
  auto bad = good;
  bad.name = "Orders";
  EXPECT_EQ(rejected_field([&] { validate(bad); }), "name");
  bad = good;
  bad.owner_team = " ";
  EXPECT_EQ(rejected_field([&] { validate(bad); }), "owner_team");
  bad = good;
  bad.namespace_name = "No";
  EXPECT_EQ(rejected_field([&] { validate(bad); }), "namespace");
  bad = good;
  bad.purpose = std::string(5000, 'p');
  EXPECT_EQ(rejected_field([&] { validate(bad); }), "purpose");
}

TEST(DatabaseStatusText, RoundTripsEveryStatus) {
  for (const auto s : {S::provisioning, S::ready, S::degraded, S::error, S::deleting, S::deleted}) {
    EXPECT_EQ(parse_status(to_string(s)), s);
  }
  EXPECT_EQ(to_string(S::deleting), "deleting");
}

TEST(DatabaseStatusText, UnknownStatusIsInvalidInputNamingStatus) {
  EXPECT_EQ(rejected_field([] { parse_status("READY"); }), "status");
  EXPECT_EQ(rejected_field([] { parse_status(""); }), "status");
}

TEST(DatabaseStatusTransitions, AllowsExactlyTheDocumentedTransitions) {
  const std::set<std::pair<S, S>> allowed = {
      {S::provisioning, S::ready}, {S::provisioning, S::error}, {S::ready, S::deleting},
      {S::ready, S::degraded},     {S::degraded, S::ready},     {S::degraded, S::deleting},
      {S::error, S::deleting},     {S::error, S::provisioning}, {S::deleting, S::deleted},
  };
  const auto all = {S::provisioning, S::ready, S::degraded, S::error, S::deleting, S::deleted};
  for (const auto from : all) {
    for (const auto to : all) {
      EXPECT_EQ(can_transition(from, to), allowed.count({from, to}) == 1)
          << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST(DatabaseStatusTransitions, InvalidTransitionNamesBothStates) {
  try {
    check_transition(S::ready, S::provisioning);
    FAIL();
  } catch (const InvalidTransition& e) {
    EXPECT_EQ(e.from(), S::ready);
    EXPECT_EQ(e.to(), S::provisioning);
    EXPECT_EQ(std::string(e.what()),
              "cannot change database status from 'ready' to 'provisioning'");
  }
  EXPECT_NO_THROW(check_transition(S::deleting, S::deleted));
}

TEST(SchemaErrors, AreAllPermanent) {
  const NotFound not_found("id 'x'");
  const NameTaken taken("orders");
  const InvalidInput invalid("name", "bad");
  const InvalidTransition transition(S::ready, S::error);
  const WrongState wrong("x", S::deleting, "update");
  for (const Error* e :
       std::initializer_list<const Error*>{&not_found, &taken, &invalid, &transition, &wrong}) {
    EXPECT_TRUE(e->permanent()) << e->what();
  }
  EXPECT_EQ(std::string(taken.what()),
            "database name 'orders' is already taken by an active database");
  EXPECT_EQ(std::string(not_found.what()), "no database with id 'x'");
}

TEST(DatabaseIds, RecognisesCanonicalUuidText) {
  EXPECT_TRUE(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(is_uuid("123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_FALSE(is_uuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(is_uuid("orders"));
  EXPECT_FALSE(is_uuid(""));
}

TEST(DatabaseJson, FormatsTimestampsAsRfc3339UtcWithMicroseconds) {
  using namespace std::chrono;
  const Timestamp t = sys_days{2024y / 5 / 1} + 12h + 3min + 4s + 5us;
  EXPECT_EQ(format_rfc3339(t), "2024-05-01T12:03:04.000005Z");
  EXPECT_EQ(format_rfc3339(Timestamp{}), "1970-01-01T00:00:00.000000Z");
}

TEST(DatabaseJson, UsesColumnNamesAndNullForAbsentValues) {
  DatabaseRecord r;
  r.id = "123e4567-e89b-12d3-a456-426614174000";
  r.name = "orders";
  r.owner_team = "payments";
  r.namespace_name = "default";
  r.status = S::ready;
  r.port = 5432;
  const nlohmann::json j = r;
  EXPECT_EQ(j["name"], "orders");
  EXPECT_EQ(j["namespace"], "default");
  EXPECT_EQ(j["status"], "ready");
  EXPECT_EQ(j["port"], 5432);
  EXPECT_TRUE(j["host"].is_null());
  EXPECT_TRUE(j["deleted_at"].is_null());
  EXPECT_EQ(j["created_at"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(j.size(), 15U);
}

}  // namespace
}  // namespace daap::schema
