package network

// ComponentEntries is how many resources the gateway holds component
// states for.
func (g *Gateway) ComponentEntries() int { return g.comps.count() }
