package main

import (
	"io"
	"sync"
	"time"
)

// logFlushInterval is how late a log line may reach the log's writer.
const logFlushInterval = 100 * time.Millisecond

// logBufferSize is how much log a logWriter gathers before it writes it
// out without waiting for the interval.
const logBufferSize = 64 << 10

// logWriter is the server's log output: lines are gathered in memory and
// written out when logFlushInterval has passed since the first of them,
// or when logBufferSize is reached, so a busy server writes its request
// log in a few large writes a second rather than with a system call per
// request (a third of the cost of a logged request that is not one). A
// line is at most logFlushInterval late; Close writes what is left, and
// a crash loses at most that interval's lines.
type logWriter struct {
	w io.Writer

	mu      sync.Mutex
	buf     []byte
	pending bool // a flush is scheduled
	closed  bool
}

func newLogWriter(w io.Writer) *logWriter {
	return &logWriter{w: w, buf: make([]byte, 0, logBufferSize)}
}

// Write gathers p, a line from a slog handler (which writes each line
// whole, under a lock of its own).
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.w.Write(p)
	}
	l.buf = append(l.buf, p...)
	switch {
	case len(l.buf) >= logBufferSize:
		l.flushLocked()
	case !l.pending:
		l.pending = true
		time.AfterFunc(logFlushInterval, l.flush)
	}
	return len(p), nil
}

func (l *logWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = false
	l.flushLocked()
}

func (l *logWriter) flushLocked() {
	if len(l.buf) > 0 {
		l.w.Write(l.buf) // a log with nowhere to go has nowhere to say so
		l.buf = l.buf[:0]
	}
}

// Close writes out what is gathered; later lines are written at once.
func (l *logWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	l.closed = true
	return nil
}
