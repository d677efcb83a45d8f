// Running a helper program (kubectl) as a child: in a process group of its own, with input on
// its stdin and its stdout and stderr collected; when the job's Interrupt fires, the whole
// group gets SIGTERM, then SIGKILL if it is still there after a grace period.
#pragma once

#include <string>
#include <vector>

#include "worker/interrupt.h"

namespace daap::worker::provisioners {

struct ChildResult {
  int status = -1;  // exit status, 128 + signal when killed, 127 when it could not be run
  std::string out;
  std::string err;
  bool interrupted = false;  // ended because the interrupt fired
};

// Runs argv (PATH lookup) to its end. Throws ProvisionError only when it cannot start it.
ChildResult run_child(const std::vector<std::string>& argv, const std::string& input,
                      Interrupt& interrupt);

}  // namespace daap::worker::provisioners
