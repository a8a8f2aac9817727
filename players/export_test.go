package players

// MaxMoveAttempts is how often a move is tried before ErrConcurrentMove.
const MaxMoveAttempts = maxMoveAttempts
