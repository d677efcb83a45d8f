// Runs a program as a child process and captures what it printed.
#pragma once

#include <string>
#include <vector>

namespace daap::test {

// How a child process ended and what it printed.
struct ProgramResult {
  int status = -1;  // exit status; 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs `program` with `args`, with DATABASE_URL set to `database_url` (removed when empty) and
// the rest of this process's environment. Waits for it to end.
ProgramResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& database_url);

// Runs `command` with /bin/sh -c and this process's environment as it is. Standard output and
// standard error are kept apart: read values from `out` only, and show `err` when it fails.
ProgramResult run_shell(const std::string& command);

// A binary of this build: DAAP_BUILD_ROOT + "/" + relative_path.
std::string built_binary(const std::string& relative_path);

}  // namespace daap::test
