// Package network is the network bridge's domain: the intent for the EVPN
// gateway (logical bridges, bridge ports, VRFs, SVIs) and kernel
// interfaces, its value rules and invariants, and the interfaces through
// which it reaches the kernel and the routing suite.
package network
