// daapctl's table formatter: cells cut to fit 120 columns, one UTC timestamp style, ages.
#include "worker/daapctl/table_format.h"

#include <sstream>

#include <gtest/gtest.h>

namespace daap::worker::daapctl {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

const sys_seconds kNow =
    sys_days(std::chrono::year(2026) / 12 / 1) + hours(3) + minutes(15) + seconds(21);

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(TableFormat, ACellThatFitsIsKeptAndALongerOneIsCutWithAnEllipsis) {
  EXPECT_EQ(fit_cell("short", 5), "short");
  EXPECT_EQ(fit_cell("connection refused", 10), "connectio…");
  EXPECT_EQ(display_width(fit_cell("connection refused", 10)), 10U);
  EXPECT_EQ(fit_cell("two\nlines\tand tab", 40), "two lines and tab");
}

TEST(TableFormat, CuttingCountsCodePointsAndNeverSplitsOne) {
  EXPECT_EQ(display_width("größe"), 5U);
  EXPECT_EQ(fit_cell("größenänderung", 6), "größe…");
  EXPECT_EQ(fit_cell("ééé", 3), "ééé");
}

TEST(TableFormat, AWideTableIsNarrowedTo120ColumnsByItsWidestColumnsFirst) {
  const std::string error(300, 'e');
  const std::string kind(40, 'k');
  std::ostringstream out;
  print_table(out, {"ID", "KIND", "STATE", "LAST_ERROR"},
              {{"1", kind, "failed", error}, {"22", "noop", "succeeded", "-"}});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 3U);
  for (const auto& line : lines) EXPECT_LE(display_width(line), kTableWidth) << line;
  EXPECT_EQ(display_width(lines[1]), kTableWidth) << "the table uses the room it has";
  // The error, widest, gave way alone; the kind and the state kept their widths.
  EXPECT_NE(lines[1].find(kind + "  failed     e"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("…"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[0].substr(0, 8), "ID  KIND");
  EXPECT_NE(lines[2].find("22  noop"), std::string::npos) << lines[2];
}

TEST(TableFormat, ATableThatFitsIsPrintedAsItIs) {
  std::ostringstream out;
  print_table(out, {"QUEUE", "DUE"}, {{"default", "3"}, {"reports", "12"}});
  EXPECT_EQ(out.str(), "QUEUE    DUE\ndefault  3\nreports  12\n");
}

TEST(TableFormat, NoColumnIsCutBelowItsHeader) {
  std::ostringstream out;
  print_table(out, {"CREATED_AT", "X"}, {{"in 3m", std::string(200, 'x')}}, {}, 20);
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].substr(0, 12), "CREATED_AT  ");
  EXPECT_EQ(display_width(lines[1]), 20U) << lines[1];
}

TEST(TableFormat, AColumnKeptUncutKeepsItsWidthWhileTheOthersGiveWay) {
  const std::string at = "2026-12-02T02:00:00Z (in 22h)";
  std::ostringstream out;
  print_table(out, {"NAME", "NEXT_RUN_AT", "KIND"},
              {{std::string(80, 'n'), at, std::string(80, 'k')}}, {"NEXT_RUN_AT"});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[1].find(at), std::string::npos) << lines[1];
  EXPECT_EQ(display_width(lines[1]), kTableWidth) << lines[1];
}

TEST(TableFormat, PostgresTimestampsOfAnyOffsetPrintInUtcWithZ) {
  EXPECT_EQ(utc_text("2026-12-01T03:15:21.123456+00:00"), "2026-12-01T03:15:21Z");
  EXPECT_EQ(utc_text("2026-12-01T04:15:21+01:00"), "2026-12-01T03:15:21Z");
  EXPECT_EQ(utc_text("2026-11-30 22:45:21.5-04:30"), "2026-12-01T03:15:21Z");
  EXPECT_EQ(utc_text("2026-12-01 03:15:21+00"), "2026-12-01T03:15:21Z");
  EXPECT_EQ(utc_text("2026-12-01T03:15:21Z"), "2026-12-01T03:15:21Z");
  EXPECT_EQ(utc_text(kNow), "2026-12-01T03:15:21Z");
  EXPECT_EQ(utc_text(""), "-");
  EXPECT_EQ(utc_text("infinity"), "infinity") << "what it cannot read it leaves as it is";
  EXPECT_FALSE(parse_timestamp("2026-12-01T03:15:21")) << "no zone: not an instant";
  EXPECT_FALSE(parse_timestamp("2026-02-30T03:15:21Z"));
}

TEST(TableFormat, AgesReadInTheirLargestWholeUnitBothWays) {
  EXPECT_EQ(relative_text(kNow, kNow), "now");
  EXPECT_EQ(relative_text(kNow - seconds(45), kNow), "45s ago");
  EXPECT_EQ(relative_text(kNow - minutes(3) - seconds(59), kNow), "3m ago");
  EXPECT_EQ(relative_text(kNow + hours(2) + minutes(10), kNow), "in 2h");
  EXPECT_EQ(relative_text(kNow - hours(47), kNow), "47h ago");
  EXPECT_EQ(relative_text(kNow - hours(72), kNow), "3d ago");
  EXPECT_EQ(relative_text("2026-12-01T03:12:21+00:00", kNow), "3m ago");
  EXPECT_EQ(relative_text("", kNow), "-");
  EXPECT_EQ(duration_text(75.9), "1m");
  EXPECT_EQ(duration_text(0.4), "0s");
  EXPECT_EQ(duration_text(std::nullopt), "-");
}

}  // namespace
}  // namespace daap::worker::daapctl
