#include "queue/job_counts.h"

#include <algorithm>

#include "queue/queries.h"
#include "queue/transaction_settings.h"

namespace daap::queue {

JobCounts count_jobs(pqxx::transaction_base& tx) {
  prefer_index_plans(tx);
  JobCounts out;
  for (const auto& row : tx.exec(sql::count_live_jobs)) {
    const auto queue = row["queue"].as<std::string>();
    const auto state = row["state"].as<std::string>();
    if (out.oldest_due.empty() || out.oldest_due.back().queue != queue) {
      out.oldest_due.push_back({queue, 0});
    }
    if (state == "due") {
      out.oldest_due.back().oldest_due_seconds =
          std::max(0.0, row["earliest_run_at_age_seconds"].as<double>());
    }
    out.counts.push_back({queue, state, row["count"].as<std::int64_t>()});
  }
  for (const auto& row : tx.exec(sql::count_finished_jobs)) {
    out.finished.emplace_back(row["state"].as<std::string>(), row["count"].as<std::int64_t>());
  }
  return out;
}

}  // namespace daap::queue
