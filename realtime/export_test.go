package realtime

// Holding is how many channels a sweep of b's expired history walks.
func (b *LocalBroker) Holding() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.holding)
}
