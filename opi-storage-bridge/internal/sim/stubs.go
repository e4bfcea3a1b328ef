package sim

const discoveryNQN = "nqn.2014-08.org.nvmexpress.discovery"

type lvstore struct{ base *bdev }
type vbdevConfig struct{ base, bdev *bdev }
type cryptoKey struct{}
type keyringKey struct{}
type nvmfTransport struct{}
type namespace struct{ bdev *bdev }
type subsystem struct {
	nqn, subtype string
	allowAnyHost bool
	namespaces   []*namespace
}
type nvmeCtrlr struct{}
type vhostCtrlr struct{ bdev *bdev }
type vfuEndpoint struct{ bdev *bdev }

func (st *state) removeNamespace(ss *subsystem, ns *namespace) {}
func (st *state) unloadLvstore(l *lvstore)                     {}
func (st *state) examine(b *bdev)                              {}
func (s *Sim) registerLvol()                                   {}
func (s *Sim) registerVbdevs()                                 {}
func (s *Sim) registerCrypto()                                 {}
func (s *Sim) registerKeyring()                                {}
func (s *Sim) registerNvmf()                                   {}
func (s *Sim) registerNvme()                                   {}
func (s *Sim) registerVhost()                                  {}
