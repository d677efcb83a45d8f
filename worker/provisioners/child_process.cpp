#include "worker/provisioners/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <optional>

#include "worker/provisioners/interrupt_wakeup.h"
#include "worker/provisioners/provisioner.h"

namespace daap::worker::provisioners {
namespace {

using Clock = std::chrono::steady_clock;

// How long an interrupted child has between SIGTERM and SIGKILL.
constexpr std::chrono::seconds kKillGrace(2);

// Owns a file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct Pipe {
  Fd read, write;
  Pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw ProvisionError("cannot create a pipe");
    read.fd = fds[0];
    write.fd = fds[1];
  }
};

// Exited (a zombie, not yet reaped)? waitid with WNOWAIT leaves it to be reaped later, so its
// pid, which names its process group, cannot be reused before we are done signalling it.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& args, const std::string& input,
                      Interrupt& interrupt) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Pipe in, out, err;
  const InterruptWakeup wakeup(interrupt);
  sigset_t none;
  sigemptyset(&none);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);

  const pid_t pid = ::fork();
  if (pid < 0) throw ProvisionError("cannot start " + args[0]);
  if (pid == 0) {
    // Only async-signal-safe calls here. A group of its own, so that an interrupt reaches
    // whatever it starts too; daap-worker blocks SIGTERM and ignores SIGPIPE in every thread,
    // and a child would inherit both.
    ::setpgid(0, 0);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::sigaction(SIGPIPE, &default_action, nullptr);
    ::dup2(in.read.fd, 0);
    ::dup2(out.write.fd, 1);
    ::dup2(err.write.fd, 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that the group exists before any kill below
  in.read.reset();
  out.write.reset();
  err.write.reset();
  if (input.empty()) in.write.reset();
  if (in.write.fd >= 0) ::fcntl(in.write.fd, F_SETFL, O_NONBLOCK);
  // Readable when the child exits; without pidfd_open (Linux < 5.3), look every 100 ms.
  const Fd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  ChildResult result;
  std::size_t written = 0;
  std::optional<Clock::time_point> terminated_at;
  std::optional<Clock::time_point> exited_at;
  bool killed = false;
  std::array<char, 4096> buffer{};
  const auto read_into = [&](Fd& fd, std::string& sink) {
    const auto n = ::read(fd.fd, buffer.data(), buffer.size());
    if (n > 0) {
      sink.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      fd.reset();
    }
  };
  // Until it has exited and its output is read; what it left behind holding our pipes (in
  // another session, out of reach of its group) gets the grace period, no more.
  while (!exited_at ||
         ((out.read.fd >= 0 || err.read.fd >= 0) && Clock::now() < *exited_at + kKillGrace)) {
    std::array<pollfd, 5> fds{pollfd{in.write.fd, POLLOUT, 0}, pollfd{out.read.fd, POLLIN, 0},
                              pollfd{err.read.fd, POLLIN, 0},
                              pollfd{terminated_at ? -1 : wakeup.fd(), POLLIN, 0},
                              pollfd{exited_at ? -1 : exit_fd.fd, POLLIN, 0}};
    // The next deadline: SIGKILL after SIGTERM, the end of the drain, or a look at the child.
    std::optional<Clock::time_point> until;
    if (terminated_at && !killed) until = *terminated_at + kKillGrace;
    if (exited_at) until = *exited_at + kKillGrace;
    int timeout = -1;
    if (until) {
      timeout = static_cast<int>(std::max<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(*until - Clock::now()).count(), 0));
    } else if (exit_fd.fd < 0) {
      timeout = 100;
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;

    if (!terminated_at && fds[3].revents != 0) {
      result.interrupted = true;
      ::kill(-pid, SIGTERM);
      terminated_at = Clock::now();
    }
    if (terminated_at && !killed && Clock::now() >= *terminated_at + kKillGrace) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    if (fds[0].revents != 0) {
      const auto n = ::write(in.write.fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      // A child that exits without reading all of it: EPIPE; its exit status tells why.
      if (written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        in.write.reset();
      }
    }
    if (fds[1].revents != 0) read_into(out.read, result.out);
    if (fds[2].revents != 0) read_into(err.read, result.err);
    if (!exited_at && has_exited(pid)) {
      exited_at = Clock::now();
      // Whatever it started and left behind in its group, holding our pipes: ended with it.
      if (out.read.fd >= 0 || err.read.fd >= 0) ::kill(-pid, SIGKILL);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace daap::worker::provisioners
