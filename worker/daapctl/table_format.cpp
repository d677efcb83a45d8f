#include "worker/daapctl/table_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace daap::worker::daapctl {
namespace {

using std::chrono::sys_seconds;

constexpr std::size_t kMinColumn = 6;
constexpr std::string_view kEllipsis = "…";

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The single largest unit of `seconds` (>= 0): "45s", "3m", "2h", "3d".
std::string unit_text(long long seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 60 * 60) return std::to_string(seconds / 60) + "m";
  if (seconds < 48 * 60 * 60) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

// Reads `count` digits at `at` into `out`.
bool digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !continuation_byte(c); }));
}

std::string fit_cell(std::string_view text, std::size_t width) {
  std::string line;
  line.reserve(text.size());
  for (const char c : text) {
    line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
  }
  if (display_width(line) <= width) return line;
  if (width == 0) return {};
  // Keep width - 1 code points, then the ellipsis.
  std::size_t kept = 0, end = 0;
  while (end < line.size()) {
    std::size_t next = end + 1;
    while (next < line.size() && continuation_byte(line[next])) ++next;
    if (kept + 1 > width - 1) break;
    ++kept;
    end = next;
  }
  return line.substr(0, end) + std::string(kEllipsis);
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::vector<std::string>& uncut, std::size_t max_width) {
  const std::size_t columns = header.size();
  std::vector<std::size_t> widths(columns), floors(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    widths[c] = display_width(header[c]);
    floors[c] = std::max(widths[c], kMinColumn);
  }
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < columns; ++c) {
      widths[c] = std::max(widths[c], display_width(fit_cell(row[c], row[c].size())));
    }
  }
  for (std::size_t c = 0; c < columns; ++c) {
    const bool keep = std::find(uncut.begin(), uncut.end(), header[c]) != uncut.end();
    floors[c] = keep ? widths[c] : std::min(floors[c], widths[c]);
  }
  const auto total = [&] {
    std::size_t sum = columns > 0 ? 2 * (columns - 1) : 0;
    for (const auto w : widths) sum += w;
    return sum;
  };
  // The widest column that can still give way loses one column, until the table fits.
  for (std::size_t over = total(); over > max_width;) {
    std::size_t widest = columns;
    for (std::size_t c = 0; c < columns; ++c) {
      if (widths[c] > floors[c] && (widest == columns || widths[c] > widths[widest])) widest = c;
    }
    if (widest == columns) break;  // every column at its floor: wider than asked, never torn
    --widths[widest];
    --over;
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < columns; ++c) {
      const std::string cell = fit_cell(c < row.size() ? row[c] : std::string(), widths[c]);
      line += cell;
      if (c + 1 < columns) line += std::string(widths[c] - display_width(cell) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

std::optional<sys_seconds> parse_timestamp(std::string_view text) {
  int y, mo, d, h, mi, s;
  if (!digits(text, 0, 4, y) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2, mo) ||
      text[7] != '-' || !digits(text, 8, 2, d) || (text[10] != 'T' && text[10] != ' ') ||
      !digits(text, 11, 2, h) || text[13] != ':' || !digits(text, 14, 2, mi) || text[16] != ':' ||
      !digits(text, 17, 2, s)) {
    return std::nullopt;
  }
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  }
  int offset_minutes = 0;
  if (at < text.size() && text[at] == 'Z') {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const int sign = text[at] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!digits(text, at + 1, 2, oh)) return std::nullopt;
    at += 3;
    if (at < text.size() && text[at] == ':') ++at;
    if (at < text.size()) {
      if (!digits(text, at, 2, om)) return std::nullopt;
      at += 2;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;  // no zone: not an instant
  }
  if (at != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo),
                                         std::chrono::day(d)};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return sys_seconds(std::chrono::sys_days(date)) + std::chrono::hours(h) +
         std::chrono::minutes(mi) + std::chrono::seconds(s) - std::chrono::minutes(offset_minutes);
}

std::string utc_text(sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time(t - day);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return buffer;
}

std::string utc_text(std::string_view postgres_text) {
  if (postgres_text.empty()) return "-";
  const auto t = parse_timestamp(postgres_text);
  return t ? utc_text(*t) : std::string(postgres_text);
}

std::string relative_text(sys_seconds t, sys_seconds now) {
  const auto seconds = (t - now).count();
  if (seconds == 0) return "now";
  return seconds > 0 ? "in " + unit_text(seconds) : unit_text(-seconds) + " ago";
}

std::string relative_text(std::string_view postgres_text, sys_seconds now) {
  if (postgres_text.empty()) return "-";
  const auto t = parse_timestamp(postgres_text);
  return t ? relative_text(*t, now) : std::string(postgres_text);
}

std::string duration_text(std::optional<double> seconds) {
  if (!seconds) return "-";
  return unit_text(static_cast<long long>(std::floor(std::max(0.0, *seconds))));
}

sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace daap::worker::daapctl
