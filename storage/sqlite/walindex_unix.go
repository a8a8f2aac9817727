//go:build unix

package sqlite

import (
	"errors"
	"sync"
	"syscall"
	"unsafe"
)

// walIndexes are the WAL indexes this process maps, by file (device and
// inode), so that two pools on one database share one. Each stays open and
// mapped until the process ends: closing any descriptor of a file drops
// every POSIX lock the process holds on it, SQLite's own included, and
// SQLite locks its WAL index with such locks. That is one descriptor and
// one page of memory per database file the process watched.
var walIndexes struct {
	mu   sync.Mutex
	byID map[[2]uint64]*walIndex
}

// mapWALIndex maps the header of the WAL index named name, read-only.
func mapWALIndex(name string) (*walIndex, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(name, &st); err != nil {
		return nil, err
	}
	id := [2]uint64{uint64(st.Dev), uint64(st.Ino)}
	walIndexes.mu.Lock()
	defer walIndexes.mu.Unlock()
	if idx := walIndexes.byID[id]; idx != nil {
		return idx, nil
	}
	const size = 2 * walHeaderWords * 4
	if st.Size < size {
		return nil, errors.New("sqlite: " + name + " is too short for a WAL index")
	}
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// From here on fd stays open, even if mapping fails (see walIndexes).
	mem, err := syscall.Mmap(fd, 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	idx := &walIndex{words: (*[2 * walHeaderWords]uint32)(unsafe.Pointer(&mem[0]))}
	if walIndexes.byID == nil {
		walIndexes.byID = make(map[[2]uint64]*walIndex)
	}
	walIndexes.byID[id] = idx
	return idx, nil
}
