#include "queue/workers.h"

#include "queue/queries.h"

namespace daap::queue {

void register_worker(pqxx::transaction_base& tx, const WorkerInfo& info) {
  tx.exec(sql::register_worker, pqxx::params{info.id, info.hostname, info.pid, info.version,
                                             info.queues, info.concurrency});
}

void touch_worker(pqxx::transaction_base& tx, const std::string& worker_id) {
  tx.exec(sql::touch_worker, pqxx::params{worker_id});
}

void deregister_worker(pqxx::transaction_base& tx, const std::string& worker_id) {
  tx.exec(sql::deregister_worker, pqxx::params{worker_id});
}

}  // namespace daap::queue
