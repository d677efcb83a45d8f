// Enqueue from C++ (the SQL API daap.enqueue / daap.enqueue_many is the contract for others).
#pragma once

#include <vector>

#include <pqxx/pqxx>

#include "queue/job.h"

namespace daap::queue {

// Enqueues inside the caller's transaction; returns the new id, or the id of the unfinished
// job holding the same unique_key. Throws std::invalid_argument naming a bad field.
JobId enqueue(pqxx::transaction_base& tx, const NewJob& job);

// Enqueues many jobs in one statement (one NOTIFY); ids in input order.
std::vector<JobId> enqueue_many(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs);

}  // namespace daap::queue
