// README, Time limits: every attempt has one, the job's own (daap.jobs.timeout) or its kind's:
// database.create/update/delete 1 min, provisioning 15 min, others 5 min.
#include <gtest/gtest.h>

#include "worker/handlers/handlers.h"
#include "worker/provisioners/provisioners.h"
#include "worker/runtime/executor.h"

namespace daap::worker::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

milliseconds limit_of(const std::string& kind, std::optional<milliseconds> own = std::nullopt) {
  HandlerRegistry handlers;
  WorkerConfig config;
  config.database.url = "postgres://daap@localhost/daap";
  config.provision_database_url = config.database.url;
  handlers::register_builtin_handlers(handlers, provisioners::make(config));
  queue::Job job;
  job.kind = kind;
  job.timeout = own;
  return time_limit_of(handlers, job);
}

TEST(ReadmeTimeLimits, EachKindHasTheReadmesLimitAndAJobsOwnLimitWins) {
  EXPECT_EQ(limit_of("database.create"), minutes(1));
  EXPECT_EQ(limit_of("database.update"), minutes(1));
  EXPECT_EQ(limit_of("database.delete"), minutes(1));
  EXPECT_EQ(limit_of("database.provision"), minutes(15));
  EXPECT_EQ(limit_of("database.deprovision"), minutes(15));
  EXPECT_EQ(limit_of("noop"), minutes(5));
  EXPECT_EQ(limit_of("no.such.kind"), minutes(5));
  EXPECT_EQ(limit_of("database.provision", milliseconds(2000)), milliseconds(2000));
}

}  // namespace
}  // namespace daap::worker::runtime
