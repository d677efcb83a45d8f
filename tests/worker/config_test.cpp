#include "worker/config.h"

#include <cstdlib>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace daap::worker {
namespace {

namespace po = boost::program_options;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// The injected environment: Environment is a plain function pointer, so it reads this map.
std::map<std::string, std::string> fake_env;

std::optional<std::string> from_fake_env(const std::string& name) {
  const auto it = fake_env.find(name);
  if (it == fake_env.end()) return std::nullopt;
  return it->second;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_env = {{"DATABASE_URL", "postgres://daap@localhost/daap"}}; }
  void TearDown() override { fake_env.clear(); }

  static po::variables_map parse(const std::vector<std::string>& args) {
    po::options_description options;
    add_database_options(options);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
    return vm;
  }

  static DatabaseConfig read(const std::vector<std::string>& args = {}) {
    return read_database_config(parse(args), from_fake_env);
  }

  // The message of the ConfigError that reading the configuration throws.
  static std::string error_of(const std::vector<std::string>& args = {}) {
    try {
      read(args);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a ConfigError";
    return "";
  }
};

TEST_F(ConfigTest, DefaultsApplyWhenOnlyDatabaseUrlIsSet) {
  const auto config = read();
  EXPECT_EQ(config.url, "postgres://daap@localhost/daap");
  EXPECT_EQ(config.max_conns, 25);
  EXPECT_EQ(config.min_conns, 5);
  EXPECT_EQ(config.max_conn_lifetime, hours(1));
  EXPECT_EQ(config.max_conn_idle_time, minutes(30));
}

TEST_F(ConfigTest, EnvironmentOverridesEveryDefault) {
  fake_env["DB_MAX_CONNS"] = "40";
  fake_env["DB_MIN_CONNS"] = "2";
  fake_env["DB_MAX_CONN_LIFETIME"] = "1h30m";
  fake_env["DB_MAX_CONN_IDLE_TIME"] = "90s";
  const auto config = read();
  EXPECT_EQ(config.max_conns, 40);
  EXPECT_EQ(config.min_conns, 2);
  EXPECT_EQ(config.max_conn_lifetime, minutes(90));
  EXPECT_EQ(config.max_conn_idle_time, seconds(90));
}

TEST_F(ConfigTest, FlagBeatsEnvironmentForEverySetting) {
  fake_env["DB_MAX_CONNS"] = "40";
  fake_env["DB_MIN_CONNS"] = "2";
  fake_env["DB_MAX_CONN_LIFETIME"] = "1h30m";
  fake_env["DB_MAX_CONN_IDLE_TIME"] = "90s";
  const auto config =
      read({"--database-url=host=db dbname=flag", "--db-max-conns=8", "--db-min-conns", "1",
            "--db-max-conn-lifetime=2h", "--db-max-conn-idle-time=45"});
  EXPECT_EQ(config.url, "host=db dbname=flag");
  EXPECT_EQ(config.max_conns, 8);
  EXPECT_EQ(config.min_conns, 1);
  EXPECT_EQ(config.max_conn_lifetime, hours(2));
  EXPECT_EQ(config.max_conn_idle_time, seconds(45));
}

TEST_F(ConfigTest, MissingDatabaseUrlSaysItIsRequired) {
  fake_env.erase("DATABASE_URL");
  const auto message = error_of();
  EXPECT_THAT(message, HasSubstr("--database-url / DATABASE_URL"));
  EXPECT_THAT(message, HasSubstr("is required"));
}

TEST_F(ConfigTest, EmptyDatabaseUrlCountsAsMissing) {
  fake_env["DATABASE_URL"] = "";
  EXPECT_THAT(error_of(), HasSubstr("is required"));
}

TEST_F(ConfigTest, DatabaseUrlAcceptsBothSchemesAndKeyValueStrings) {
  for (const std::string url : {"postgres://u@h/db", "postgresql://u:pw@h:5433/db?sslmode=off",
                                "host=/var/run/postgresql dbname=daap", "dbname = daap"}) {
    fake_env["DATABASE_URL"] = url;
    EXPECT_EQ(read().url, url);
  }
}

TEST_F(ConfigTest, DatabaseUrlOfAnotherKindIsRejectedWithoutShowingItsPassword) {
  fake_env["DATABASE_URL"] = "mysql://app:hunter2@db/daap";
  const auto message = error_of();
  EXPECT_THAT(message, HasSubstr("--database-url / DATABASE_URL: must be a postgres://"));
  EXPECT_THAT(message, HasSubstr("mysql://app:***@db/daap"));
  EXPECT_THAT(message, Not(HasSubstr("hunter2")));
}

TEST_F(ConfigTest, InvalidConnectionCountsNameTheSettingAndTheValue) {
  for (const std::string value : {"abc", "0", "1001", "-3", "12x", "99999999999", " 5"}) {
    fake_env["DB_MAX_CONNS"] = value;
    EXPECT_EQ(error_of(),
              "--db-max-conns / DB_MAX_CONNS: must be a whole number between 1 and 1000, got '" +
                  value + "'");
  }
  EXPECT_THAT(error_of({"--db-max-conns", ""}), HasSubstr("between 1 and 1000, got ''"));
  fake_env.erase("DB_MAX_CONNS");
  EXPECT_THAT(error_of({"--db-min-conns=-1"}),
              HasSubstr("--db-min-conns / DB_MIN_CONNS: must be a whole number between 0 and "
                        "1000, got '-1'"));
}

TEST_F(ConfigTest, MinConnsAboveMaxConnsNamesBothSettings) {
  const auto message = error_of({"--db-min-conns=30"});
  EXPECT_THAT(message, HasSubstr("--db-min-conns / DB_MIN_CONNS: is 30, more than "
                                 "--db-max-conns / DB_MAX_CONNS (25)"));
}

TEST_F(ConfigTest, DefaultMinConnsYieldsToASmallerMaxConns) {
  fake_env["DB_MAX_CONNS"] = "2";
  EXPECT_EQ(read().min_conns, 2);
}

TEST_F(ConfigTest, InvalidDurationsNameTheSettingAndTheValue) {
  fake_env["DB_MAX_CONN_LIFETIME"] = "soon";
  EXPECT_THAT(error_of(), HasSubstr("--db-max-conn-lifetime / DB_MAX_CONN_LIFETIME: must be a "
                                    "duration such as 90s, 30m, 1h, 500ms or 1h30m, got 'soon'"));
  fake_env.erase("DB_MAX_CONN_LIFETIME");
  EXPECT_THAT(error_of({"--db-max-conn-idle-time=1.5h"}),
              HasSubstr("--db-max-conn-idle-time / DB_MAX_CONN_IDLE_TIME: must be a duration "
                        "such as 90s, 30m, 1h, 500ms or 1h30m, got '1.5h'"));
}

TEST_F(ConfigTest, PoolDurationsMustBeWholeSecondsOfAtLeastOne) {
  fake_env["DB_MAX_CONN_LIFETIME"] = "1500ms";
  EXPECT_THAT(error_of(), HasSubstr("--db-max-conn-lifetime / DB_MAX_CONN_LIFETIME: must be a "
                                    "whole number of seconds, at least 1s, got '1500ms'"));
  fake_env.erase("DB_MAX_CONN_LIFETIME");
  EXPECT_THAT(error_of({"--db-max-conn-idle-time=0s"}),
              HasSubstr("--db-max-conn-idle-time / DB_MAX_CONN_IDLE_TIME: must be a whole number "
                        "of seconds, at least 1s, got '0s'"));
}

TEST_F(ConfigTest, ErrorMessageIsOneLineEvenForAValueWithNewlines) {
  fake_env["DB_MAX_CONNS"] = "4\n5";
  const auto message = error_of();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_THAT(message, HasSubstr("got '4\\n5'"));
}

TEST_F(ConfigTest, ConfigErrorKeepsTheSettingName) {
  fake_env["DB_MIN_CONNS"] = "x";
  try {
    read();
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.setting, "--db-min-conns / DB_MIN_CONNS");
  }
}

TEST_F(ConfigTest, HelpTextNamesEachEnvironmentVariableAndDefault) {
  po::options_description options;
  add_database_options(options);
  const auto help = [&options](const std::string& flag) {
    return options.find(flag, false).description();
  };
  EXPECT_THAT(help("database-url"), HasSubstr("(env DATABASE_URL, required)"));
  EXPECT_EQ(help("db-max-conns"), "maximum pool connections (env DB_MAX_CONNS, default 25)");
  EXPECT_THAT(help("db-min-conns"), HasSubstr("(env DB_MIN_CONNS, default 5)"));
  EXPECT_THAT(help("db-max-conn-lifetime"), HasSubstr("(env DB_MAX_CONN_LIFETIME, default 1h)"));
  EXPECT_THAT(help("db-max-conn-idle-time"), HasSubstr("(env DB_MAX_CONN_IDLE_TIME, default 30m)"));
}

TEST_F(ConfigTest, ProcessEnvironmentReadsTheRealEnvironment) {
  ASSERT_EQ(::setenv("DAAP_CONFIG_TEST_VALUE", "from-env", 1), 0);
  EXPECT_EQ(process_environment("DAAP_CONFIG_TEST_VALUE"), "from-env");
  ::unsetenv("DAAP_CONFIG_TEST_VALUE");
  EXPECT_EQ(process_environment("DAAP_CONFIG_TEST_VALUE"), std::nullopt);
}

// The generic readers are used for the worker's own settings, whatever their option type.
class SettingReadersTest : public ConfigTest {
 protected:
  static po::variables_map parse_other(const std::vector<std::string>& args) {
    po::options_description options;
    options.add_options()("name", po::value<std::string>(), "")("count", po::value<int>(), "")(
        "verbose", po::bool_switch(), "");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
    return vm;
  }
};

TEST_F(SettingReadersTest, LookupPrefersFlagThenEnvironmentThenNothing) {
  fake_env["NAME"] = "env";
  EXPECT_EQ(lookup_setting(parse_other({"--name=flag"}), "name", "NAME", from_fake_env), "flag");
  EXPECT_EQ(lookup_setting(parse_other({}), "name", "NAME", from_fake_env), "env");
  EXPECT_EQ(lookup_setting(parse_other({}), "count", "COUNT", from_fake_env), std::nullopt);
  EXPECT_EQ(lookup_setting(parse_other({"--count=7"}), "count", "COUNT", from_fake_env), "7");
}

TEST_F(SettingReadersTest, UnsetBoolSwitchFallsBackToTheEnvironment) {
  fake_env["VERBOSE"] = "yes";
  EXPECT_TRUE(read_bool_setting(parse_other({}), "verbose", "VERBOSE", false, from_fake_env));
  fake_env["VERBOSE"] = "off";
  EXPECT_FALSE(read_bool_setting(parse_other({}), "verbose", "VERBOSE", true, from_fake_env));
  EXPECT_TRUE(
      read_bool_setting(parse_other({"--verbose"}), "verbose", "VERBOSE", false, from_fake_env));
}

TEST_F(SettingReadersTest, InvalidBoolNamesTheSetting) {
  fake_env["VERBOSE"] = "maybe";
  try {
    read_bool_setting(parse_other({}), "verbose", "VERBOSE", false, from_fake_env);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--verbose / VERBOSE: must be true or false"));
    EXPECT_THAT(e.what(), HasSubstr("got 'maybe'"));
  }
}

TEST_F(SettingReadersTest, StringIntAndDurationReadersFallBackToTheirDefaults) {
  const auto vm = parse_other({});
  EXPECT_EQ(read_string_setting(vm, "name", "NAME", "default", from_fake_env), "default");
  EXPECT_EQ(read_int_setting(vm, "count", "COUNT", 3, 1, 10, from_fake_env), 3);
  EXPECT_EQ(read_duration_setting(vm, "poll", "POLL", milliseconds(250), from_fake_env),
            milliseconds(250));
  fake_env["POLL"] = "500ms";
  EXPECT_EQ(read_duration_setting(vm, "poll", "POLL", milliseconds(250), from_fake_env),
            milliseconds(500));
}

TEST(ParseDurationTest, AcceptsEachUnitAndCombinations) {
  EXPECT_EQ(parse_duration("90s"), seconds(90));
  EXPECT_EQ(parse_duration("30m"), minutes(30));
  EXPECT_EQ(parse_duration("1h"), hours(1));
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("1h30m"), minutes(90));
  EXPECT_EQ(parse_duration("1m30s250ms"), milliseconds(90250));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(ParseDurationTest, BareNumberIsSeconds) { EXPECT_EQ(parse_duration("45"), seconds(45)); }

TEST(ParseDurationTest, RejectsMalformedTextSayingWhatIsAccepted) {
  for (const std::string text :
       {"", "abc", "1x", "h", "1h30", "-1s", "1.5h", " 1h", "1h ", "1H", "ms", "5 s"}) {
    try {
      parse_duration(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("90s, 30m, 1h, 500ms or 1h30m, got '" + text + "'"));
    }
  }
}

TEST(ParseDurationTest, RejectsDurationsTooLongToRepresent) {
  EXPECT_THROW(parse_duration("100001h"), std::invalid_argument);
  EXPECT_THROW(parse_duration("99999999999999999999999h"), std::invalid_argument);
  EXPECT_EQ(parse_duration("100000h"), hours(100000));
}

TEST(FormatDurationTest, UsesTheLargestExactUnitAndRoundTrips) {
  EXPECT_EQ(format_duration(hours(1)), "1h");
  EXPECT_EQ(format_duration(minutes(30)), "30m");
  EXPECT_EQ(format_duration(seconds(90)), "90s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  for (const auto d : {milliseconds(1), milliseconds(1500), milliseconds(5400000)}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
}

TEST(RedactUrlTest, HidesThePasswordOfAUrl) {
  EXPECT_EQ(redact_url("postgres://daap:s3cret@db.example:5432/daap?sslmode=require"),
            "postgres://daap:***@db.example:5432/daap?sslmode=require");
  EXPECT_EQ(redact_url("postgresql://:s3cret@db/daap"), "postgresql://:***@db/daap");
}

TEST(RedactUrlTest, LeavesUrlsWithoutPasswordAlone) {
  for (const std::string url :
       {"postgres://daap@db/daap", "postgres://db:5432/daap", "postgresql:///daap?host=/tmp",
        "postgres://[::1]:5432/daap", "host=db dbname=daap user=daap", "postgres://u:@db/x"}) {
    EXPECT_EQ(redact_url(url), url);
  }
}

TEST(RedactUrlTest, HidesPasswordsHoldingUrlSpecialCharacters) {
  EXPECT_EQ(redact_url("postgres://u:p@ss/w@rd@db/daap?x=a@b"), "postgres://u:***@db/daap?x=a@b");
  EXPECT_EQ(redact_url("postgres://u:p?ss@db/daap"), "postgres://u:***@db/daap");
  EXPECT_EQ(redact_url("postgres://u:p%40ss@db/daap"), "postgres://u:***@db/daap");
}

TEST(RedactUrlTest, HidesPasswordInKeyValueStrings) {
  EXPECT_EQ(redact_url("host=db password=s3cret dbname=daap"), "host=db password=*** dbname=daap");
  EXPECT_EQ(redact_url("password = 's3 cr\\'et' host=db"), "password = '***' host=db");
  EXPECT_EQ(redact_url("PASSWORD=s3cret"), "PASSWORD=***");
  EXPECT_EQ(redact_url("host=db sslpassword=k3y"), "host=db sslpassword=***");
  EXPECT_EQ(redact_url("passfile=/x mypassword=keep"), "passfile=/x mypassword=keep");
}

TEST(RedactUrlTest, HidesPasswordInUrlQueryParameters) {
  EXPECT_EQ(redact_url("postgres://db/daap?user=u&password=s3cret&sslmode=off"),
            "postgres://db/daap?user=u&password=***&sslmode=off");
}

TEST(RedactUrlTest, WorksOnUrlsEmbeddedInLongerMessages) {
  EXPECT_EQ(redact_url("could not connect to \"postgres://u:s3cret@db/daap\": refused"),
            "could not connect to \"postgres://u:***@db/daap\": refused");
  EXPECT_EQ(redact_url("tried postgres://a:one@x and postgresql://b:two@y, then host=z "
                       "password=three"),
            "tried postgres://a:***@x and postgresql://b:***@y, then host=z password=***");
  EXPECT_EQ(redact_url("mail admin@example.com about postgres://db/x"),
            "mail admin@example.com about postgres://db/x");
}

}  // namespace
}  // namespace daap::worker
