package players

// SetBeforeRead makes s run fn after each refused move's UPDATE, before it
// reads the player to say why: a test plays there the concurrent move that
// can land between the two statements.
func (s *SQLStore) SetBeforeRead(fn func()) { s.beforeRead = fn }

// MaxMoveAttempts is how often a move is tried before ErrConcurrentMove.
const MaxMoveAttempts = maxMoveAttempts
