// Cron schedules: the five standard fields (minute hour day-of-month month day-of-week), parsed
// here (Debian 12 packages no maintained C++ cron library), and when one fires next in an IANA
// time zone (Howard Hinnant's date/tz over the system's tz database, /usr/share/zoneinfo).
//
// Fields: `*`, numbers, ranges `A-B`, lists `A,B-C`, steps `*/S`, `A-B/S` and `A/S` (A to the
// field's end), names jan-dec and sun-sat (either case; day-of-week 7 is Sunday too). Days: as
// cron, when both day fields are restricted (neither starts with `*`) a day matches if either
// does; otherwise both must. Daylight saving time, as ISC cron: a fixed-time schedule (minute
// and hour fields without `*`) whose time is skipped runs when the clock jumps, and runs once
// when its time repeats; a schedule with `*` in its minute or hour field runs at the times the
// clock shows, so skipped minutes do not run and repeated ones run again.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <date/tz.h>

namespace daap::queue {

// A time as PostgreSQL's timestamptz holds it: microseconds, UTC.
using Instant = std::chrono::sys_time<std::chrono::microseconds>;

// A schedule or time zone that cannot be used; the message names the field and what is wrong.
class InvalidSchedule : public std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class CronSchedule {
 public:
  // Parses `text`; throws InvalidSchedule naming the field (also for a schedule that can never
  // fire, such as `0 0 30 2 *`).
  explicit CronSchedule(std::string_view text);

  // The first time strictly after `after` at which the schedule fires in `zone`; nullopt only
  // if it does not fire within the next 50 years.
  std::optional<std::chrono::sys_seconds> next_after(Instant after,
                                                     const date::time_zone& zone) const;

  // Whether the schedule's fields match a wall-clock minute (DST aside).
  bool matches(date::local_seconds local) const;

 private:
  bool day_matches(std::chrono::year_month_day day) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;        // 1-31
  std::bitset<13> months_;      // 1-12
  std::bitset<7> weekdays_;     // 0 (Sunday) - 6
  bool days_star_ = false;      // the day-of-month field starts with '*'
  bool weekdays_star_ = false;  // the day-of-week field starts with '*'
  bool wildcard_time_ = false;  // the minute or hour field starts with '*'
};

// The IANA time zone `name` ("UTC", "Europe/Berlin"); throws InvalidSchedule when the tz
// database has no such zone.
const date::time_zone& find_time_zone(std::string_view name);

// The latest time at or before `now` at which `schedule` fires in `zone`, given that it fires
// at `first` (<= now): the one run that stands for every run missed in between.
std::chrono::sys_seconds latest_fire_time(const CronSchedule& schedule, const date::time_zone& zone,
                                          std::chrono::sys_seconds first, Instant now);

// "2026-03-29T01:00:00Z"
std::string format_utc(std::chrono::sys_seconds t);

}  // namespace daap::queue
