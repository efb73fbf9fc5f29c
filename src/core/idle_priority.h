// Background work at idle priority (SCHED_IDLE): the import of check
// records takes only CPU time no request wants. A thread at
// that priority may wait long for the CPU on a busy machine, so whoever stops
// it first gives it normal priority back: a shutdown (or a short-lived command
// such as `passwerk demo`) then never waits for the machine to go idle.
#pragma once

#include <thread>

namespace passwerk {

// The calling thread runs at idle priority from now on.
void EnterIdlePriority();

// `thread`, running at idle priority, runs at normal priority again (best
// effort: without the right to do so it stays where it is).
void LeaveIdlePriority(std::thread& thread);

}  // namespace passwerk
