// daap-bench is not a test; this only checks that it starts and explains itself.
#include <gmock/gmock.h>

#include "tests/support/run_program.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;

TEST(DaapBenchTest, HelpExitsZeroAndNamesTheOptions) {
  const auto r = run_program(built_binary("bench/daap-bench"), {"--help"}, "");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--concurrency"));
  EXPECT_THAT(r.out, HasSubstr("--only"));
}

}  // namespace
}  // namespace daap::test
