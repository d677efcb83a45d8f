#include "tests/runtime/runtime_fixture.h"

#include <chrono>
#include <thread>

#include "queue/errors.h"

namespace daap::worker::runtime {
namespace {

PoolConfig pool_config(const std::string& url) {
  PoolConfig c;
  c.url = url;
  c.max_conns = 8;
  c.min_conns = 0;
  c.acquire_timeout = std::chrono::seconds(10);
  return c;
}

// effect: records (job_id, attempt); fails while attempt <= payload.fail_times; waits for its
// interrupt when payload.hang is true; runs payload.sql in the job's transaction.
nlohmann::json effect(const JobContext& context) {
  const auto& job = context.job();
  auto& tx = context.transaction();
  tx.exec("INSERT INTO test_effects (job_id, attempt) VALUES ($1, $2)",
          pqxx::params{job.id, job.attempt});
  if (job.payload.value("hang", false)) {
    while (!context.interrupt().requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls its interrupt
    }
    context.throw_if_interrupted();
  }
  if (const auto sql = job.payload.find("sql"); sql != job.payload.end()) {
    tx.exec(sql->get<std::string>());
  }
  if (job.attempt <= job.payload.value("fail_times", 0)) {
    throw std::runtime_error("planned failure of job " + std::to_string(job.id));
  }
  return {{"attempt", job.attempt}};
}

}  // namespace

RuntimeTest::RuntimeTest()
    : pool(pool_config(db.url())),
      registry([this](const queue::Job& job) { return time_limit_of(handlers, job); }),
      completer(pool, Completer::Options{}),
      executor(ExecutorConfig{1, 50}, handlers, pool, registry, completer, metrics) {
  exec("CREATE TABLE test_effects (job_id bigint, attempt int)");
  handlers.add("effect", effect);
  Registration grouped;
  grouped.handler = effect;
  grouped.group = true;
  handlers.add("effect.grouped", grouped);
  handlers.add(
      "instant", [](const JobContext&) { return nlohmann::json::object(); }, false);
  completer.start();
}

RuntimeTest::~RuntimeTest() { completer.stop(false); }

void RuntimeTest::exec(const std::string& sql, const pqxx::params& params) {
  pqxx::connection conn(db.url());
  pqxx::work tx(conn);
  tx.exec(sql, params);
  tx.commit();
}

std::int64_t RuntimeTest::count(const std::string& sql) {
  pqxx::connection conn(db.url());
  return pqxx::nontransaction(conn).query_value<std::int64_t>(sql);
}

std::string RuntimeTest::text(const std::string& sql) {
  pqxx::connection conn(db.url());
  return pqxx::nontransaction(conn).query_value<std::string>(sql);
}

std::vector<queue::JobId> RuntimeTest::insert(const std::string& kind, int n,
                                              const std::string& payload) {
  pqxx::connection conn(db.url());
  pqxx::work tx(conn);
  std::vector<queue::JobId> ids;
  for (const auto& row :
       tx.exec("INSERT INTO daap.jobs (kind, payload) SELECT $1, $2::jsonb "
               "FROM generate_series(1, $3) RETURNING id",
               pqxx::params{kind, payload, n})) {
    ids.push_back(row[0].as<queue::JobId>());
  }
  tx.commit();
  return ids;
}

int RuntimeTest::claim(int limit) {
  pqxx::connection conn(db.url());
  auto jobs = queue::claim(conn, kWorker, {"default"}, limit, std::chrono::seconds(30));
  const int n = static_cast<int>(jobs.size());
  registry.add(std::move(jobs));
  return n;
}

std::string RuntimeTest::state(queue::JobId id) {
  return text("SELECT state FROM daap.jobs WHERE id = " + std::to_string(id));
}

std::string RuntimeTest::last_error(queue::JobId id) {
  return text("SELECT coalesce(last_error, '') FROM daap.jobs WHERE id = " + std::to_string(id));
}

std::int64_t RuntimeTest::effects(queue::JobId id) {
  return count("SELECT count(*) FROM test_effects WHERE job_id = " + std::to_string(id));
}

void RuntimeTest::run_all() {
  const auto with = executor.batch_with();
  while (registry.counts().buffered > 0) executor.run_batch(registry.take(50, with));
  registry.wait_until_empty(SteadyClock::now() + std::chrono::seconds(30));
}

}  // namespace daap::worker::runtime
