#include "core/idle_priority.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>

namespace passwerk {
namespace {

int PolicyOf(std::thread& thread) {
  int policy = -1;
  sched_param param{};
  EXPECT_EQ(pthread_getschedparam(thread.native_handle(), &policy, &param), 0);
  return policy;
}

TEST(IdlePriority, AThreadEntersAndIsBroughtBack) {
  std::atomic<bool> entered = false;
  std::atomic<bool> stop = false;
  std::thread worker([&] {
    EnterIdlePriority();
    entered = true;
    while (!stop) std::this_thread::yield();
  });
  while (!entered) std::this_thread::yield();
  EXPECT_EQ(PolicyOf(worker), SCHED_IDLE);
  LeaveIdlePriority(worker);
  EXPECT_EQ(PolicyOf(worker), SCHED_OTHER);
  stop = true;
  worker.join();
}

TEST(IdlePriority, LeavingAThreadThatIsNotRunningIsHarmless) {
  std::thread none;
  LeaveIdlePriority(none);
  EXPECT_FALSE(none.joinable());
}

}  // namespace
}  // namespace passwerk
