#include "queue/cron_schedule.h"

#include <array>
#include <cstdint>
#include <vector>

namespace daap::queue {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

// How far ahead next_after() looks before it gives up: beyond any schedule that fires at all
// (a 29 February fires at least every 8 years).
constexpr days kSearch(366 * 50);
// The most a zone's clock has been put back at once since these schedules could matter
// (DST: 1 hour, rarely 2; a zone moving its standard time: 2). A wall-clock time more than this
// before `after`'s cannot be later than `after`, so it is not looked up.
constexpr hours kLargestBackwardShift(3);

struct Field {
  const char* name;
  int low;
  int high;
  std::array<std::string_view, 12> names{};  // names[i] stands for low + i
};

constexpr Field kMinute{"minute", 0, 59};
constexpr Field kHour{"hour", 0, 23};
constexpr Field kDay{"day-of-month", 1, 31};
constexpr Field kMonth{
    "month",
    1,
    12,
    {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
constexpr Field kWeekday{"day-of-week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

bool has_names(const Field& f) { return !f.names[0].empty(); }

// Text for an error message: printable ASCII as is, anything else as '?'.
std::string shown(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 100)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

[[noreturn]] void fail(const Field& f, std::string_view field_text, const std::string& problem) {
  throw InvalidSchedule(std::string(f.name) + " field '" + shown(field_text) + "': " + problem);
}

// 1 to 9 digits (no sign, no overflow): the number; else nullopt.
std::optional<int> whole_number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

int value_of(const Field& f, std::string_view field_text, std::string_view part) {
  auto value = whole_number(part);
  if (!value && has_names(f) && part.size() == 3) {
    std::string lower(part);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    for (std::size_t i = 0; i < f.names.size() && !f.names[i].empty(); ++i) {
      if (f.names[i] == lower) value = f.low + static_cast<int>(i);
    }
  }
  if (!value) {
    fail(f, field_text,
         "'" + shown(part) + "' is " +
             (has_names(f) ? "neither a number nor a name" : "not a number"));
  }
  if (*value < f.low || *value > f.high) {
    fail(f, field_text,
         std::to_string(*value) + " is out of range " + std::to_string(f.low) + "-" +
             std::to_string(f.high));
  }
  return *value;
}

// The values a field selects, as bits.
std::bitset<64> parse_field(const Field& f, std::string_view text) {
  std::bitset<64> bits;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (item.empty()) fail(f, text, "a list item is empty");
    const auto slash = item.find('/');
    const auto range = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const auto step_text = item.substr(slash + 1);
      const auto parsed = whole_number(step_text);
      if (!parsed || *parsed < 1) {
        fail(f, text, "the step '" + shown(step_text) + "' must be a whole number of at least 1");
      }
      step = *parsed;
    }
    int first = f.low;
    int last = f.high;
    if (range != "*") {
      const auto dash = range.find('-');
      if (dash == std::string_view::npos) {
        first = value_of(f, text, range);
        // A/S runs from A to the field's end; a plain A is just A.
        last = slash == std::string_view::npos ? first : f.high;
      } else {
        if (range.find('-', dash + 1) != std::string_view::npos) {
          fail(f, text, "'" + shown(range) + "' is not a range (A-B)");
        }
        first = value_of(f, text, range.substr(0, dash));
        last = value_of(f, text, range.substr(dash + 1));
        if (first > last) {
          fail(f, text,
               "the range " + std::to_string(first) + "-" + std::to_string(last) +
                   " runs backwards");
        }
      }
    }
    for (int v = first; v <= last; v += step) bits.set(static_cast<std::size_t>(v));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const auto start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

template <std::size_t N>
std::bitset<N> narrow(const std::bitset<64>& bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

unsigned longest_month_day(unsigned month) {
  constexpr std::array<unsigned, 13> kDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month];
}

}  // namespace

CronSchedule::CronSchedule(std::string_view text) {
  const auto fields = split_fields(text);
  if (fields.size() != 5) {
    throw InvalidSchedule(
        "a cron schedule has 5 fields (minute hour day-of-month month day-of-week) separated "
        "by spaces, got " +
        std::to_string(fields.size()));
  }
  minutes_ = narrow<60>(parse_field(kMinute, fields[0]));
  hours_ = narrow<24>(parse_field(kHour, fields[1]));
  days_ = narrow<32>(parse_field(kDay, fields[2]));
  months_ = narrow<13>(parse_field(kMonth, fields[3]));
  auto weekdays = parse_field(kWeekday, fields[4]);
  if (weekdays[7]) weekdays.set(0);  // 7 is Sunday too
  weekdays_ = narrow<7>(weekdays);
  wildcard_time_ = fields[0].front() == '*' || fields[1].front() == '*';
  days_star_ = fields[2].front() == '*';
  weekdays_star_ = fields[4].front() == '*';
  // Only a restricted day of month, combined with every day of the week, can miss every month.
  if (!days_star_ && weekdays_star_) {
    bool fires = false;
    for (unsigned m = 1; m <= 12; ++m) {
      for (unsigned d = 1; d <= longest_month_day(m); ++d)
        fires = fires || (months_[m] && days_[d]);
    }
    if (!fires) {
      throw InvalidSchedule("the schedule never fires: no month in '" + shown(fields[3]) +
                            "' has a day in '" + shown(fields[2]) + "'");
    }
  }
}

bool CronSchedule::day_matches(std::chrono::year_month_day day) const {
  const bool in_month = days_[static_cast<unsigned>(day.day())];
  const bool in_week = weekdays_[std::chrono::weekday(sys_days(day)).c_encoding()];
  // cron's rule: both restricted means either will do.
  return days_star_ || weekdays_star_ ? in_month && in_week : in_month || in_week;
}

bool CronSchedule::matches(date::local_seconds local) const {
  const auto day = std::chrono::floor<days>(local);
  const std::chrono::year_month_day ymd{sys_days(day.time_since_epoch())};
  const std::chrono::hh_mm_ss time{local - day};
  return time.seconds().count() == 0 &&
         minutes_[static_cast<std::size_t>(time.minutes().count())] &&
         hours_[static_cast<std::size_t>(time.hours().count())] &&
         months_[static_cast<unsigned>(ymd.month())] && day_matches(ymd);
}

std::optional<sys_seconds> CronSchedule::next_after(Instant after,
                                                    const date::time_zone& zone) const {
  // Fire times are whole seconds: later than `after` exactly when later than this.
  const auto after_s = std::chrono::floor<seconds>(after);
  const auto threshold = zone.to_local(after_s) - kLargestBackwardShift;
  std::optional<sys_seconds> best;
  const auto consider = [&](sys_seconds t) {
    if (t > after_s && (!best || t < *best)) best = t;
  };
  auto day = std::chrono::floor<days>(threshold);
  const auto end = day + kSearch;
  std::optional<date::local_days> stop;  // the day after the first day with a time found
  for (; day < end && (!stop || day <= *stop); day += days(1)) {
    const std::chrono::year_month_day ymd{sys_days(day.time_since_epoch())};
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      const sys_days month_end{ymd.year() / ymd.month() / std::chrono::last};
      day = date::local_days(month_end.time_since_epoch());
      continue;
    }
    if (!day_matches(ymd)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[static_cast<std::size_t>(h)] || day + hours(h) + minutes(59) < threshold) {
        continue;
      }
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[static_cast<std::size_t>(m)]) continue;
        const date::local_seconds local = day + hours(h) + minutes(m);
        if (local < threshold) continue;
        const auto info = zone.get_info(local);
        const auto at = [&](const date::sys_info& i) {
          return sys_seconds(local.time_since_epoch() - i.offset);
        };
        switch (info.result) {
          case date::local_info::unique:
            consider(at(info.first));
            break;
          case date::local_info::nonexistent:
            // Skipped by the clock: a fixed time runs the moment the clock jumps over it.
            if (!wildcard_time_) consider(info.first.end);
            break;
          case date::local_info::ambiguous:
            // Shown twice: a fixed time runs the first time only.
            consider(at(info.first));
            if (wildcard_time_) consider(at(info.second));
            break;
        }
      }
    }
    // A time on the next day can still come first where a transition crosses midnight.
    if (best && !stop) stop = day + days(1);
  }
  return best;
}

const date::time_zone& find_time_zone(std::string_view name) {
  try {
    return *date::locate_zone(std::string(name));
  } catch (const std::runtime_error&) {
    throw InvalidSchedule("time zone '" + shown(name) +
                          "' is not in the tz database (use an IANA name such as UTC or "
                          "Europe/Berlin)");
  }
}

sys_seconds latest_fire_time(const CronSchedule& schedule, const date::time_zone& zone,
                             sys_seconds first, Instant now) {
  const auto now_s = std::chrono::floor<seconds>(now);
  // Walking from `first` after a long outage would visit every missed minute: look for the
  // latest run in ever wider windows before now, and walk only the smallest that has one.
  for (const hours window :
       std::array<hours, 5>{hours(1), hours(25), hours(24 * 32), hours(24 * 367), kSearch}) {
    const auto start = std::max(first, now_s - window);
    auto t = start == first ? std::optional<sys_seconds>(first)
                            : schedule.next_after(start - seconds(1), zone);
    if (!t || *t > now_s) continue;
    while (const auto next = schedule.next_after(*t, zone)) {
      if (*next > now_s) break;
      t = next;
    }
    return *t;
  }
  return first;
}

std::string format_utc(sys_seconds t) { return date::format("%FT%TZ", t); }

}  // namespace daap::queue
