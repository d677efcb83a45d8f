// The environment and arguments of a child process, as posix_spawn takes them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace daap::bench {

// This process's environment with `changes` applied: a value sets the variable, nullopt
// removes it. "NAME=value" strings.
std::vector<std::string> child_environment(
    const std::map<std::string, std::optional<std::string>>& changes);

// Pointers into `strings` followed by a null pointer (argv, envp); valid while they live.
std::vector<char*> c_strings(std::vector<std::string>& strings);

}  // namespace daap::bench
