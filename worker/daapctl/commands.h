// daapctl's subcommands. Each parses its own arguments and returns the process exit status:
// 0 done, 1 the operation failed, 2 bad usage or configuration.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "worker/config.h"
#include "worker/daapctl/table_format.h"

namespace daap::worker::daapctl {

using Args = std::vector<std::string>;

int migrate_command(const Args& args);
int console_command(const Args& args);
int databases_command(const Args& args);
int enqueue_command(const Args& args);
int jobs_command(const Args& args);
int queues_command(const Args& args);
int periodic_command(const Args& args);
int stats_command(const Args& args);
int workers_command(const Args& args);

// Thrown for a usage mistake; main prints it with the command's usage and exits 2.
class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The help of one action of a command (`daapctl jobs show --help`): its usage and the options
// it takes (--help and --database-url are always listed).
struct ActionHelp {
  std::string usage;
  std::vector<std::string> options;
};
using ActionHelps = std::map<std::string, ActionHelp>;

// Parses `args` against `options` (--help and --database-url are added) and `positional` names.
// Returns false when --help was printed: the action's help when `actions` has the "action"
// given, else `usage` and every option a user types (positional names are not listed).
bool parse_command_line(const Args& args, const std::string& usage,
                        boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description& positional,
                        boost::program_options::variables_map& vm,
                        const ActionHelps& actions = {});

// How listings print: aligned text columns or one JSON document.
enum class OutputFormat { table, json };

// Declares --output (table|json) on `options`.
void add_output_option(boost::program_options::options_description& options);
// The parsed --output; throws UsageError naming the flag for anything else.
OutputFormat read_output_format(const boost::program_options::variables_map& vm);

// Parses a job id argument (a positive whole number); throws UsageError naming `what`.
std::int64_t parse_id(const std::string& text, const std::string& what);

}  // namespace daap::worker::daapctl
