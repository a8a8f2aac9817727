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
//	store, err := inventory.NewSQLStore(db, nil)
//	...
//	s, err := gifts.New(db, store, &gifts.Options{Publisher: hub})
//	...
//	err = s.Start(ctx)  // when the server is ready
//	...
//	err = s.Stop(ctx)   // on shutdown: waits for the tick in progress
//
// [Migrations] creates the package's tables: gamekit_gift_schedules (a
// row per schedule) and gamekit_gift_schedulers (a heartbeat per
// scheduler).
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
// term. The lease is dated by the database's clock alone — its expiry is
// computed and compared in SQL — so servers whose clocks disagree cannot
// both hold it. A scheduler takes the lease when it is free or expired,
// renews it at every tick and every third of [Options].LeaseDuration (5
// seconds by default), and checks it with every update of the row, each a
// single conditional UPDATE; the term grows whenever another scheduler
// takes over, so one that stalled past its lease finds out at its next
// batch and stops. A holder trusts its term for a lease from when it last
// asked, by its own clock, and renews after a third of it, during a long
// tick too. The others look every third of the lease and when it expires,
// so after a crash of the holder another takes over within a lease of the
// holder's last renewal. So only one of several processes sharing a
// database grants at a time, and the unique key catches anything the lease
// misses (a stall, two processes with one Holder).
//
// The row also records the last tick done and the tick in progress. A
// tick interrupted half way — a crash, a lost connection, a Stop that ran
// out of time — stays recorded as in progress, and whoever holds the lease
// next completes it first under the same key: the users served before the
// interruption get nothing twice, and the others get theirs.
//
// # Missed ticks and the clock
//
// Every scheduler, holding the lease or not, sends a heartbeat (its row
// in gamekit_gift_schedulers) every third of the lease, and withdraws it
// on Stop. Whoever holds the lease grants every tick after the last one
// done, late if need be and oldest first: the ticks that fell while the
// holder crashed and its lease ran out, those that fire while a long tick
// or a catch-up is granted, those a holder that died while catching up
// left. Players lose no gift while any server runs.
//
// Only ticks that fell while no scheduler ran — an outage — are missed. A
// scheduler that starts when no other one's heartbeat or lease is alive
// by the database's clock records an outage from the last sign of life
// (the latest heartbeat, or the Stop of the last scheduler) to the call
// to Start; so does one that finds it slept far longer than it asked for
// (its clock jumped ahead, or its process was frozen) while no other ran,
// up to the end of that sleep. A scheduler is alive from Start on, so
// time it spends waiting for its own statements — behind other writers,
// for a lock, in Start itself — is never an outage, even when its
// heartbeat lapses meanwhile: the ticks that fell are granted late.
// [Options].CatchUp says what happens to an outage's ticks: 0, the
// default, skips them; n > 0 grants up to n of them, the latest, oldest
// first. [DefaultCatchUp] (6) is the usual cap. The current tick — the
// latest that has fired — is granted in any case. A process restarted
// within a lease of a crash, with its old Holder or while its former
// heartbeat lives, finds no outage, and grants what it missed.
//
// Ticks are numbered by each scheduler's own clock ([Options].Now), so
// servers' clocks should agree to well within an interval for ticks to
// fire on time; if they do not, no tick is given twice, and the lease
// stays with one holder. A tick at or before the last one done is never
// granted, so a clock that goes back grants nothing until it is past the
// last tick again (the scheduler logs a warning).
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
