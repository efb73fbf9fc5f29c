#include "core/idle_priority.h"

#include <pthread.h>
#include <sched.h>

namespace passwerk {

void EnterIdlePriority() {
  sched_param param{};
  (void)sched_setscheduler(0, SCHED_IDLE, &param);
}

void LeaveIdlePriority(std::thread& thread) {
  if (!thread.joinable()) return;
  sched_param param{};
  (void)pthread_setschedparam(thread.native_handle(), SCHED_OTHER, &param);
}

}  // namespace passwerk
