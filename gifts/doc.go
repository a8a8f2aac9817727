// Package gifts gives every player a gift on a schedule — the tutorial's
// "Gift for {username}", weight 0, every 10 seconds — from inside the
// server process, exactly once per player per tick, across crashes,
// restarts and several server processes sharing one database. It replaces
// Celery beat, a worker and a message broker with a [Scheduler] that a host
// starts when it is ready and stops on shutdown.
//
// The scheduler does not know what an item or an inventory is: it grants
// through a [Granter], the one method it needs, which inventory.SQLStore
// implements set-based and in batches of thousands of users per
// transaction. A host wires them like this:
//
//	s, err := gifts.New(db, inventory.NewSQLStore(db), &gifts.Options{Publisher: hub})
//	...
//	err = s.Start(ctx)  // when the server is ready
//	...
//	err = s.Stop(ctx)   // on shutdown: waits for the tick in progress
//
// [Migrations] creates the package's one table, gamekit_gift_schedules.
//
// # Ticks and keys
//
// Ticks are numbered from the clock, not counted: with an interval, tick n
// fires at n×interval of Unix time (with 10s, tick 176390000 fires at
// 2025-11-23 12:13:20 UTC), so every process, and every run of a process,
// gives the same tick the same number. A [Schedule] numbers ticks by the
// Unix second they fire in instead.
//
// Each tick is one grant under the key [Key](name, n), "gifts:NAME:N". The
// granted item carries its key and recipient under a unique index, so a
// grant of a key serves each user at most once however often it runs: no
// ledger rows beside the gifts, and no duplicate even when two processes
// grant one tick at the same moment. The grant serves the inventories that
// exist when it starts; a player who registers during a tick gets the next
// one.
//
// After each batch commits, each user it served gets an [EventGift] event
// on their private channel, "user.ID", through the gamekit.Publisher in
// [Options] (usually the realtime hub). Every tick logs its number, the
// users it served and how long it took; [Scheduler.Stats] has the same
// figures for metrics.
//
// # The lease
//
// The schedule's row in gamekit_gift_schedules holds a lease: which
// scheduler (its [Options].Holder) runs ticks, until when, and in which
// term. A scheduler takes the lease when it is free or expired, renews it
// at every tick and during long ones, and checks it with every update of
// the row, each a single conditional UPDATE; the term grows whenever
// another scheduler takes over, so one that stalled past its lease finds
// out at its next batch and stops. The others wait, and try again at every
// tick and when the lease would expire. So only one of several processes
// sharing a database grants at a time, and the unique key catches anything
// the lease misses (a stall, two processes with one Holder).
//
// The row also records the last tick done and the tick in progress. A
// tick interrupted half way — a crash, a lost connection, a Stop that ran
// out of time — stays recorded as in progress, and whoever holds the lease
// next completes it first under the same key: the users served before the
// interruption get nothing twice, and the others get theirs. Servers'
// clocks must agree to well within the lease (15 seconds by default).
//
// # Missed ticks and the clock
//
// When a scheduler takes the lease it grants the current tick — the latest
// that has fired — if nobody did. Ticks before it that fired while no
// scheduler ran (an outage, every process restarting) are missed, and so
// is a tick that fires while the previous one is still being granted.
// [Options].CatchUp says what happens to them: 0, the default, skips them;
// n > 0 grants up to n of them, the latest, oldest first, before the
// current one. [DefaultCatchUp] (6) is the usual cap.
//
// A failover is not an outage: a scheduler that takes over a lease which
// expired in another's hands (it crashed, or stalled) grants, whatever the
// policy, every tick that fell since shortly before the other last renewed
// it, so players lose no gift while servers were running. The same holds
// for a process that restarts before its old lease has expired.
//
// A tick at or before the last one done is never granted, so a clock that
// goes back grants nothing until it is past the last tick again (the
// scheduler logs a warning), and a clock that jumps forward skips, as
// after an outage, the ticks in between.
//
// # Starting and stopping
//
// [Scheduler.Start] returns as soon as the scheduler runs, in one
// goroutine of its own. [Scheduler.Stop] lets the tick in progress finish
// (it is not cut off half way), releases the lease so another process
// takes the next tick on time instead of when the lease expires, and
// returns once that goroutine has exited. If Stop's context ends first,
// the tick is cancelled between two statements, the lease is left to
// expire, and the next scheduler completes the tick. Stop is idempotent
// and safe before Start.
package gifts
