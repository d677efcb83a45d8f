// How daapctl's tables read: columns that fit a 120-column terminal (long cells cut with "…"),
// timestamps in one UTC style (2026-12-01T03:15:21Z), ages a person reads ("3m ago", "in 2h").
// JSON output does not come through here: it keeps PostgreSQL's absolute timestamps.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace daap::worker::daapctl {

// The width every table fits.
inline constexpr std::size_t kTableWidth = 120;

// Columns `text` takes on a terminal: its UTF-8 code points.
std::size_t display_width(std::string_view text);

// `text` on one line (control characters as spaces), cut to `width` columns with "…" last.
std::string fit_cell(std::string_view text, std::size_t width);

// Prints `rows` under `header` as left-aligned columns separated by two spaces, no wider than
// `max_width`: the widest columns give way first (never below their header, or 6), and cells
// longer than their column are cut with "…". The columns named in `uncut` (timestamps a
// person must read whole) keep their width.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::vector<std::string>& uncut = {}, std::size_t max_width = kTableWidth);

// A timestamp as PostgreSQL prints it ("2026-12-01T04:15:21.5+01:00", "2026-12-01 03:15:21+00",
// "...Z"); nullopt when it is not one. Fractions of a second are dropped.
std::optional<std::chrono::sys_seconds> parse_timestamp(std::string_view text);

// "2026-12-01T03:15:21Z".
std::string utc_text(std::chrono::sys_seconds t);
// A PostgreSQL timestamp in that style; "-" for an empty one, unchanged when unreadable.
std::string utc_text(std::string_view postgres_text);

// "now" within a second, else the largest whole unit: "45s ago", "3m ago", "2h ago",
// "3d ago", or ahead "in 10s", "in 2h".
std::string relative_text(std::chrono::sys_seconds t, std::chrono::sys_seconds now);
// A PostgreSQL timestamp so; "-" for an empty one, unchanged when unreadable.
std::string relative_text(std::string_view postgres_text, std::chrono::sys_seconds now);

// A duration in the same units: "45s", "3m", "2h", "3d"; "-" when there is none.
std::string duration_text(std::optional<double> seconds);

// This machine's clock, to the second (what relative times are counted from).
std::chrono::sys_seconds now_seconds();

}  // namespace daap::worker::daapctl
