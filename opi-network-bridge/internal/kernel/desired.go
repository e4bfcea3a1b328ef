package kernel

import "net"

// desired is what the adapter has applied and not removed since it
// started: the devices and FDB entries it manages, with the state each
// should keep. The watcher reports a difference between it and the kernel
// as drift. It starts empty: after a restart the bridge's replay pass
// ensures every resource again, which fills it.
type desired struct {
	links map[string]linkWant
	fdb   map[fdbEntry]bool
}

// linkWant is the state a managed interface should keep.
type linkWant struct {
	master string // the device it is enslaved to; "": any (or none)
	up     bool
}

// fdbEntry is a static FDB entry the adapter added.
type fdbEntry struct {
	mac  string // net.HardwareAddr.String()
	port string
}

func newDesired() desired {
	return desired{links: map[string]linkWant{}, fdb: map[fdbEntry]bool{}}
}

func newFDBEntry(mac net.HardwareAddr, port string) fdbEntry {
	return fdbEntry{mac: mac.String(), port: port}
}
