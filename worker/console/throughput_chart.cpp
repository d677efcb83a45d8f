#include "worker/console/throughput_chart.h"

#include <algorithm>

namespace daap::worker::console {
namespace {

constexpr int kWidth = 720;
constexpr int kHeight = 160;
constexpr int kTop = 16;     // room for the scale
constexpr int kBottom = 20;  // room for the time labels
constexpr int kLeft = 8;

}  // namespace

std::string throughput_chart(const std::vector<MinuteCounts>& minutes) {
  std::int64_t peak = 1;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  for (const auto& m : minutes) {
    peak = std::max(peak, m.succeeded + m.failed);
    succeeded += m.succeeded;
    failed += m.failed;
  }
  const int plot = kHeight - kTop - kBottom;
  const int n = std::max<int>(1, static_cast<int>(minutes.size()));
  const int slot = (kWidth - 2 * kLeft) / n;
  const auto height = [&](std::int64_t count) { return static_cast<int>(count * plot / peak); };
  std::string out = "<svg id=\"throughput\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) +
                    "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight) +
                    "\" role=\"img\" aria-label=\"succeeded and failed jobs per minute, last "
                    "hour\"><title>last hour: " +
                    std::to_string(succeeded) + " succeeded, " + std::to_string(failed) +
                    " failed</title>";
  out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"11\">peak " + std::to_string(peak) +
         "/min · succeeded " + std::to_string(succeeded) + " · failed " + std::to_string(failed) +
         "</text>";
  const int base = kTop + plot;
  out += "<line class=\"axis\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + std::to_string(base) +
         "\" x2=\"" + std::to_string(kWidth - kLeft) + "\" y2=\"" + std::to_string(base) + "\"/>";
  for (int i = 0; i < static_cast<int>(minutes.size()); ++i) {
    const auto& m = minutes[static_cast<std::size_t>(i)];
    const int x = kLeft + i * slot;
    const int hs = height(m.succeeded);
    const int hf = height(m.failed);
    const auto bar = [&](const char* cls, int y, int h, std::int64_t count) {
      if (h <= 0) return;
      out += "<rect class=\"" + std::string(cls) + "\" x=\"" + std::to_string(x + 1) + "\" y=\"" +
             std::to_string(y) + "\" width=\"" + std::to_string(std::max(1, slot - 2)) +
             "\" height=\"" + std::to_string(h) + "\"><title>" + std::to_string(count) + " " + cls +
             ", " + std::to_string(n - i) + " min ago</title></rect>";
    };
    bar("succeeded", base - hs, hs, m.succeeded);
    bar("failed", base - hs - hf, hf, m.failed);
  }
  for (const int ago : {60, 45, 30, 15, 0}) {
    const int x = kLeft + (n - ago) * slot;
    out += "<text x=\"" + std::to_string(std::min(x, kWidth - 40)) + "\" y=\"" +
           std::to_string(kHeight - 5) + "\">" +
           (ago == 0 ? "now" : "-" + std::to_string(ago) + "m") + "</text>";
  }
  out += "</svg>";
  return out;
}

}  // namespace daap::worker::console
