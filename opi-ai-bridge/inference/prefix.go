package inference

import (
	"hash/maphash"
	"sync"
)

// BlockSize is how many bytes of a prompt make one prefix block. Model
// servers cache KV entries per block of tokens (vLLM: 16 tokens); a block
// of about 64 characters is of that order, and only whole blocks count.
const BlockSize = 64

// maxBlocks bounds the prefix a request is hashed over (16 KiB of prompt).
const maxBlocks = 256

// blockHashes hashes prompt in whole blocks, each hash chained on the one
// before, so that equal hashes at position i mean equal prompts up to the
// end of block i.
func blockHashes(seed maphash.Seed, prompt string) []uint64 {
	n := min(len(prompt)/BlockSize, maxBlocks)
	out := make([]uint64, n)
	var h maphash.Hash
	h.SetSeed(seed)
	var prev [8]byte
	for i := range n {
		h.Reset()
		h.Write(prev[:])
		h.WriteString(prompt[i*BlockSize : (i+1)*BlockSize])
		out[i] = h.Sum64()
		for b := range 8 {
			prev[b] = byte(out[i] >> (8 * b))
		}
	}
	return out
}

// prefixIndex remembers which endpoints were sent which prefix blocks: the
// blocks those endpoints probably hold in their prefix caches. It keeps at
// most about capacity blocks in two generations: when the young one is
// full it becomes the old one and the old one is dropped, an LRU's
// approximation at a map's cost.
type prefixIndex struct {
	mu       sync.Mutex
	seed     maphash.Seed
	capacity int
	young    map[uint64]map[string]struct{}
	old      map[uint64]map[string]struct{}
}

func newPrefixIndex(capacity int) *prefixIndex {
	return &prefixIndex{seed: maphash.MakeSeed(), capacity: capacity, young: map[uint64]map[string]struct{}{}}
}

// matches returns, for each endpoint that holds the first block, how many
// leading blocks of hashes it holds.
func (x *prefixIndex) matches(hashes []uint64) map[string]int {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[string]int{}
	for i, h := range hashes {
		eps := x.lookup(h)
		found := false
		for ep := range eps {
			if out[ep] == i {
				out[ep] = i + 1
				found = true
			}
		}
		if !found {
			break
		}
	}
	return out
}

func (x *prefixIndex) lookup(h uint64) map[string]struct{} {
	if eps, ok := x.young[h]; ok {
		return eps
	}
	if eps, ok := x.old[h]; ok {
		// Used again: move it to the young generation.
		x.young[h] = eps
		delete(x.old, h)
		return eps
	}
	return nil
}

// record notes that endpoint was sent hashes.
func (x *prefixIndex) record(endpoint string, hashes []uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, h := range hashes {
		eps := x.lookup(h)
		if eps == nil {
			eps = map[string]struct{}{}
			x.young[h] = eps
		}
		eps[endpoint] = struct{}{}
		if len(x.young) >= x.capacity/2 {
			x.old, x.young = x.young, map[uint64]map[string]struct{}{}
		}
	}
}

// forget drops endpoint from every block (it died or left the pool: its
// cache is gone).
func (x *prefixIndex) forget(endpoint string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, gen := range []map[uint64]map[string]struct{}{x.young, x.old} {
		for h, eps := range gen {
			delete(eps, endpoint)
			if len(eps) == 0 {
				delete(gen, h)
			}
		}
	}
}
