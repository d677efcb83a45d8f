// Cron schedules: what is refused (and the message naming it), which minutes fire, and daylight
// saving time in a real zone of the system's tz database.
#include "queue/cron_schedule.h"

#include <string>

#include <gtest/gtest.h>

namespace daap::queue {
namespace {

using std::chrono::sys_seconds;

sys_seconds utc(const std::string& text) {
  std::istringstream in(text);
  sys_seconds t;
  in >> date::parse("%FT%TZ", t);
  EXPECT_FALSE(in.fail()) << text;
  return t;
}

// The next fire time after `after` (UTC), formatted, or "never".
std::string next(const std::string& schedule, const std::string& after,
                 const std::string& zone = "UTC") {
  const auto t = CronSchedule(schedule).next_after(Instant(utc(after)), find_time_zone(zone));
  return t ? format_utc(*t) : "never";
}

std::string refusal(const std::string& schedule) {
  try {
    CronSchedule{schedule};
  } catch (const InvalidSchedule& e) {
    return e.what();
  }
  return "accepted";
}

TEST(CronScheduleTest, ABadScheduleIsRefusedNamingTheFieldAndTheProblem) {
  EXPECT_EQ(refusal("* * * *"),
            "a cron schedule has 5 fields (minute hour day-of-month month day-of-week) separated "
            "by spaces, got 4");
  EXPECT_EQ(refusal("60 * * * *"), "minute field '60': 60 is out of range 0-59");
  EXPECT_EQ(refusal("* 24 * * *"), "hour field '24': 24 is out of range 0-23");
  EXPECT_EQ(refusal("* * 0 * *"), "day-of-month field '0': 0 is out of range 1-31");
  EXPECT_EQ(refusal("* * * foo *"), "month field 'foo': 'foo' is neither a number nor a name");
  EXPECT_EQ(refusal("* * * * 8"), "day-of-week field '8': 8 is out of range 0-7");
  EXPECT_EQ(refusal("5-1 * * * *"), "minute field '5-1': the range 5-1 runs backwards");
  EXPECT_EQ(refusal("*/0 * * * *"),
            "minute field '*/0': the step '0' must be a whole number of at least 1");
  EXPECT_EQ(refusal("1,,2 * * * *"), "minute field '1,,2': a list item is empty");
  EXPECT_EQ(refusal("1-2-3 * * * *"), "minute field '1-2-3': '1-2-3' is not a range (A-B)");
  EXPECT_EQ(refusal("x * * * *"), "minute field 'x': 'x' is not a number");
  EXPECT_EQ(refusal("0 0 30 2 *"), "the schedule never fires: no month in '2' has a day in '30'");
  EXPECT_EQ(refusal("0 0 29 2 *"), "accepted") << "29 February comes every leap year";
}

TEST(CronScheduleTest, AnUnknownTimeZoneIsRefusedNamingIt) {
  try {
    find_time_zone("Mars/Olympus_Mons");
    FAIL() << "accepted";
  } catch (const InvalidSchedule& e) {
    EXPECT_EQ(std::string(e.what()),
              "time zone 'Mars/Olympus_Mons' is not in the tz database (use an IANA name such as "
              "UTC or Europe/Berlin)");
  }
}

TEST(CronScheduleTest, RangesStepsListsAndNamesSelectTheirMinutes) {
  EXPECT_EQ(next("*/15 * * * *", "2026-05-04T10:07:00Z"), "2026-05-04T10:15:00Z");
  EXPECT_EQ(next("*/15 * * * *", "2026-05-04T10:15:00Z"), "2026-05-04T10:30:00Z")
      << "strictly after";
  EXPECT_EQ(next("10-20/5 * * * *", "2026-05-04T10:16:00Z"), "2026-05-04T10:20:00Z");
  EXPECT_EQ(next("10-20/5 * * * *", "2026-05-04T10:20:00Z"), "2026-05-04T11:10:00Z");
  EXPECT_EQ(next("50/5 * * * *", "2026-05-04T10:56:00Z"), "2026-05-04T11:50:00Z")
      << "A/S runs from A to the field's end";
  EXPECT_EQ(next("1,3,58 * * * *", "2026-05-04T10:03:00Z"), "2026-05-04T10:58:00Z");
  // 2026-05-04 is a Monday.
  EXPECT_EQ(next("0 9 * * MON-fri", "2026-05-08T09:00:00Z"), "2026-05-11T09:00:00Z")
      << "Friday 9:00, then Monday";
  EXPECT_EQ(next("0 0 1 jan,Jul *", "2026-05-04T00:00:00Z"), "2026-07-01T00:00:00Z");
  EXPECT_EQ(next("0 0 * * 7", "2026-05-04T00:00:00Z"), "2026-05-10T00:00:00Z") << "7 is Sunday too";
  EXPECT_EQ(next("0 0 29 2 *", "2026-05-04T00:00:00Z"), "2028-02-29T00:00:00Z");
}

TEST(CronScheduleTest, BothDayFieldsRestrictedMatchEitherDay) {
  // The 13th, or any Friday: Friday 8 May comes first; after it, Wednesday 13 May.
  EXPECT_EQ(next("0 0 13 * fri", "2026-05-04T00:00:00Z"), "2026-05-08T00:00:00Z");
  EXPECT_EQ(next("0 0 13 * fri", "2026-05-08T00:00:00Z"), "2026-05-13T00:00:00Z");
  // One restricted, the other `*`: both must match (the 13th only when it is a Friday).
  EXPECT_EQ(next("0 0 13 * *", "2026-05-04T00:00:00Z"), "2026-05-13T00:00:00Z");
  EXPECT_EQ(next("0 0 */1 * fri", "2026-05-04T00:00:00Z"), "2026-05-08T00:00:00Z")
      << "a field starting with * counts as unrestricted";
}

TEST(CronScheduleTest, AFixedTimeTheClockSkipsRunsWhenItJumps) {
  // Europe/Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
  EXPECT_EQ(next("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin"), "2026-03-29T01:00:00Z");
  EXPECT_EQ(next("30 2 * * *", "2026-03-29T01:00:00Z", "Europe/Berlin"), "2026-03-30T00:30:00Z");
  // A wildcard schedule runs at the times the clock shows: 01:30 CET, then 03:00 CEST.
  EXPECT_EQ(next("*/30 * * * *", "2026-03-29T00:30:00Z", "Europe/Berlin"), "2026-03-29T01:00:00Z");
}

TEST(CronScheduleTest, AFixedTimeTheClockRepeatsRunsOnce) {
  // Europe/Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 is shown at 00:30 UTC
  // and again at 01:30 UTC.
  EXPECT_EQ(next("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(next("30 2 * * *", "2026-10-25T00:30:00Z", "Europe/Berlin"), "2026-10-26T01:30:00Z");
  // A wildcard schedule runs at both.
  EXPECT_EQ(next("30 * * * *", "2026-10-25T00:30:00Z", "Europe/Berlin"), "2026-10-25T01:30:00Z");
  EXPECT_EQ(next("30 * * * *", "2026-10-25T01:30:00Z", "Europe/Berlin"), "2026-10-25T02:30:00Z");
}

TEST(CronScheduleTest, ATimeZoneShiftsTheFireTime) {
  EXPECT_EQ(next("0 9 * * *", "2026-05-04T00:00:00Z", "America/New_York"), "2026-05-04T13:00:00Z");
  EXPECT_EQ(next("0 9 * * *", "2026-05-04T00:00:00Z", "Asia/Tokyo"), "2026-05-05T00:00:00Z");
}

TEST(CronScheduleTest, TheLatestFireTimeStandsForEveryMissedRun) {
  const CronSchedule hourly("0 * * * *");
  const auto& zone = find_time_zone("UTC");
  EXPECT_EQ(format_utc(latest_fire_time(hourly, zone, utc("2026-05-01T00:00:00Z"),
                                        Instant(utc("2026-05-04T10:59:59Z")))),
            "2026-05-04T10:00:00Z");
  const CronSchedule yearly("0 0 1 1 *");
  EXPECT_EQ(format_utc(latest_fire_time(yearly, zone, utc("2020-01-01T00:00:00Z"),
                                        Instant(utc("2026-05-04T10:00:00Z")))),
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(latest_fire_time(yearly, zone, utc("2026-01-01T00:00:00Z"),
                                        Instant(utc("2026-01-01T00:00:00Z")))),
            "2026-01-01T00:00:00Z")
      << "only the first one is due";
}

}  // namespace
}  // namespace daap::queue
