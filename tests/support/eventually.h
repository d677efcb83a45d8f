// Waiting on a condition with a deadline, instead of sleeping for a guessed time.
#pragma once

#include <chrono>
#include <functional>

namespace daap::test {

// Checks `condition` every `interval` until it holds or `timeout` passes; returns whether it
// held. A condition that finds the server gone (pqxx::broken_connection) is asked again.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

}  // namespace daap::test
