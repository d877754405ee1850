// Package crashtest holds gridloop's process-level reliability tests (issue #8): they
// build the gridloop binary, run `gridloop serve` as separate processes on a real store,
// drive reports at them over HTTP, kill them with SIGKILL under load, and check from the
// database that nothing acknowledged was lost and nothing was half-written. The servers
// fold the rollups' journal every 50 ms, and after the kills `gridloop rollups check`
// must find the rollups equal to a recomputation from the event log.
//
//   - TestCrashSafety: one server on SQLite, then on PostgreSQL, killed three times at
//     random moments under concurrent reports and restarted on the same store.
//   - TestManyNodes: two servers on one PostgreSQL database taking reports together, their
//     deadline clocks racing over the same overdue cases, one of them killed mid-load.
//
// The tests skip under -short. PostgreSQL comes from internal/dbtest, as everywhere.
package crashtest
