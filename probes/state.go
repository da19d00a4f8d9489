package probes

import "strconv"

// State is the readiness state of one component or of the whole process.
//
// The numeric values are fixed, not iota, because they are exported as the
// process_state metric ("0 - ok, 1 - recovering, 2 - degraded, 3 - starting")
// and must match Teleport's so that existing alerts keep working.
type State int

const (
	// StateOK means the component's last heartbeats succeeded.
	StateOK State = 0
	// StateRecovering means a heartbeat succeeded after a failure, but not
	// for long enough yet to trust the component again.
	StateRecovering State = 1
	// StateDegraded means the component's last heartbeat failed.
	StateDegraded State = 2
	// StateStarting means the component is known but has not yet completed
	// a heartbeat (or, for the process, that no component has).
	StateStarting State = 3
)

// numStates sizes the per-state counters; it follows the largest State.
const numStates = int(StateStarting) + 1

// String returns the lower-case name used in logs and in the JSON of
// /readyz?verbose: ok, recovering, degraded or starting.
func (s State) String() string {
	switch s {
	case StateOK:
		return "ok"
	case StateRecovering:
		return "recovering"
	case StateDegraded:
		return "degraded"
	case StateStarting:
		return "starting"
	default:
		return "State(" + strconv.Itoa(int(s)) + ")"
	}
}
