// daapctl console: the admins' web console (worker/console/), served until SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "worker/console/server.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl console [--addr HOST:PORT] [--read-only] [--overview-max-age DURATION]\n"
    "  Serves the web console (queues, jobs, databases, periodic jobs, and their actions).\n"
    "  Loopback only unless CONSOLE_TOKEN is set: with it, every page needs a login with that\n"
    "  token. Prints 'console listening on http://HOST:PORT/' once it serves.";

// "127.0.0.1:8090", "[::1]:8090", ":8090" (loopback) -> host and port (0: any free port).
std::pair<std::string, int> parse_addr(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    throw UsageError("--addr must be HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "127.0.0.1";
  const auto port_text = text.substr(colon + 1);
  try {
    std::size_t used = 0;
    const int port = std::stoi(port_text, &used);
    if (used == port_text.size() && port >= 0 && port <= 65535) return {host, port};
  } catch (const std::exception&) {
  }
  throw UsageError("--addr: the port must be 0..65535, got '" + port_text + "'");
}

}  // namespace

int console_command(const Args& args) {
  po::options_description options("console options");
  options.add_options()("addr", po::value<std::string>()->default_value("127.0.0.1:8090"),
                        "listen on HOST:PORT (port 0: any free port)")(
      "read-only", "show everything, change nothing: no action forms, every POST refused")(
      "overview-max-age", po::value<std::string>()->default_value("10s"),
      "how old the overview's counts may be before they are read again in the background "
      "(0: on every request)");
  po::positional_options_description positional;
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm)) return 0;

  console::ConsoleConfig config;
  std::tie(config.host, config.port) = parse_addr(vm["addr"].as<std::string>());
  config.read_only = vm.count("read-only") != 0U;
  try {
    config.overview_max_age = parse_duration(vm["overview-max-age"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--overview-max-age: ") + e.what());
  }
  if (const char* token = std::getenv("CONSOLE_TOKEN"); token != nullptr && *token != '\0') {
    config.token = token;
  }
  if (!console::is_loopback(config.host) && !config.token) {
    throw ConfigError("CONSOLE_TOKEN",
                      "the console listens on " + config.host +
                          ", which is not loopback: set CONSOLE_TOKEN (a long random secret "
                          "admins log in with), or listen on 127.0.0.1");
  }
  config.database_url = read_database_config(vm).url;

  // Signals are taken by sigwait below, never by the server's threads (which inherit the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  console::ConsoleServer server(config);
  const int port = server.bind();
  std::thread serving([&] { server.serve(); });
  const bool v6 = config.host.find(':') != std::string::npos;
  std::cout << "console listening on http://" << (v6 ? "[" + config.host + "]" : config.host) << ":"
            << port << "/" << std::endl;
  if (config.read_only) std::cerr << "daapctl console: read-only: every action is refused\n";
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stop();
  serving.join();
  return 0;
}

}  // namespace daap::worker::daapctl
