package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
)

// The differential test: one scripted JSON-RPC sequence (diffScript) runs
// against spdk-sim and against a real spdk_tgt, through the project's own
// client, and every step's outcome is compared. The real target is the
// authority: a difference is either fixed in the sim or listed in the
// README's "Known differences from spdk_tgt" table and marked on the step,
// so that any new difference fails the test.

// dstep is one call of the script.
type dstep struct {
	method string
	// params is the JSON params ("" sends none), with {{VAR}} placeholders
	// for what differs per run (ports, files).
	params string
	// msg compares the error message too: set where a client reads it
	// (-17 File exists, -19 No such device, SPDK's nvmf texts).
	msg bool
	// value compares the result's value, not only its shape: set where the
	// value is deterministic and clients use it (a created bdev's name, an
	// nsid).
	value bool
	// known marks an accepted difference: the id of its row in the
	// README's "Known differences from spdk_tgt" table, and what the real
	// target answers there, so a change on either side still fails.
	known *knownDiff
}

// knownDiff is an accepted difference between spdk-sim and spdk_tgt.
type knownDiff struct {
	id   string // the README row, e.g. "D1"
	real string // outcome summary spdk_tgt gives (see outcome.summary)
	sim  string // outcome summary spdk-sim gives
}

// outcome is what one call answered.
type outcome struct {
	code   int    // 0 on success
	msg    string // the error message
	result json.RawMessage
}

// summary is the short form known differences are written in: "ok",
// "ok <value>" when the step compares values, "code N" or "code N: msg".
func (o outcome) summary(s dstep) string {
	switch {
	case o.code == 0 && s.value:
		return "ok " + string(o.result)
	case o.code == 0:
		return "ok"
	case s.msg:
		return fmt.Sprintf("code %d: %s", o.code, o.msg)
	default:
		return fmt.Sprintf("code %d", o.code)
	}
}

// differences lists how two outcomes of step s differ, empty when they
// agree on everything the step compares.
func differences(s dstep, sim, real outcome) []string {
	var d []string
	if sim.code != real.code {
		d = append(d, fmt.Sprintf("code: sim %d (%s), spdk_tgt %d (%s)", sim.code, sim.msg, real.code, real.msg))
		return d
	}
	if s.msg && sim.msg != real.msg {
		d = append(d, fmt.Sprintf("message: sim %q, spdk_tgt %q", sim.msg, real.msg))
	}
	if sim.code != 0 {
		return d
	}
	if s.value && !jsonEqual(sim.result, real.result) {
		d = append(d, fmt.Sprintf("value: sim %s, spdk_tgt %s", sim.result, real.result))
	} else if ss, rs := shapeOf(sim.result), shapeOf(real.result); ss != rs {
		d = append(d, "shape: "+shapeDiff(sim.result, real.result)+"\n  spdk_tgt's result: "+truncate(string(real.result), 2000))
	}
	return d
}

// shapeOf is a result's JSON shape: object keys (sorted) with the shapes of
// their values, an array as the set of its elements' shapes, and the type
// of a scalar, so that UUIDs, counters and timestamps do not matter.
func shapeOf(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return "none"
	}
	return shape(v)
}

func shape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + shape(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		set := map[string]bool{}
		for _, e := range x {
			set[shape(e)] = true
		}
		elems := make([]string, 0, len(set))
		for e := range set {
			elems = append(elems, e)
		}
		sort.Strings(elems)
		return "[" + strings.Join(elems, "|") + "]"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// shapeDiff names the key paths whose shapes differ, which is what a
// reader needs from two long shape strings.
func shapeDiff(simRaw, realRaw json.RawMessage) string {
	var s, r any
	_ = json.Unmarshal(simRaw, &s)
	_ = json.Unmarshal(realRaw, &r)
	var out []string
	walkDiff("$", s, r, &out)
	return strings.Join(out, "\n  ")
}

func walkDiff(path string, s, r any, out *[]string) {
	sm, sok := s.(map[string]any)
	rm, rok := r.(map[string]any)
	if sok && rok {
		for k, v := range rm {
			if sv, ok := sm[k]; !ok {
				*out = append(*out, path+"."+k+": only in spdk_tgt ("+shape(v)+")")
			} else {
				walkDiff(path+"."+k, sv, v, out)
			}
		}
		for k, v := range sm {
			if _, ok := rm[k]; !ok {
				*out = append(*out, path+"."+k+": only in sim ("+shape(v)+")")
			}
		}
		sort.Strings(*out)
		return
	}
	sa, sok := s.([]any)
	ra, rok := r.([]any)
	if sok && rok && len(sa) == 1 && len(ra) == 1 {
		walkDiff(path+"[0]", sa[0], ra[0], out)
		return
	}
	if sok && rok {
		// Several elements: name the element shapes only one side has.
		in := func(set []any) map[string]bool {
			m := map[string]bool{}
			for _, e := range set {
				m[shape(e)] = true
			}
			return m
		}
		ss, rs := in(sa), in(ra)
		for e := range rs {
			if !ss[e] {
				*out = append(*out, path+"[]: only in spdk_tgt "+e)
			}
		}
		for e := range ss {
			if !rs[e] {
				*out = append(*out, path+"[]: only in sim "+e)
			}
		}
		return
	}
	if shape(s) != shape(r) {
		*out = append(*out, path+": sim "+shape(s)+", spdk_tgt "+shape(r))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return shape(x) == shape(y) && fmt.Sprint(x) == fmt.Sprint(y)
}

// target is one side of the comparison: a client and the values its
// placeholders take.
type target struct {
	name string
	c    *spdk.Client
	vars map[string]string
}

func (tg *target) call(t *testing.T, s dstep) outcome {
	t.Helper()
	params := s.params
	for k, v := range tg.vars {
		params = strings.ReplaceAll(params, "{{"+k+"}}", v)
	}
	var p any
	if params != "" {
		p = json.RawMessage(params)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var res json.RawMessage
	err := tg.c.Call(ctx, s.method, p, &res)
	var e *spdk.Error
	switch {
	case err == nil:
		return outcome{result: res}
	case errors.As(err, &e):
		return outcome{code: e.Code, msg: e.Message}
	default:
		t.Fatalf("%s: %s %s: %v", tg.name, s.method, params, err)
		return outcome{}
	}
}

// newTargetFiles makes the files one side's script needs in dir: an aio
// backing file and keyring files (0600, and 0644 which keyring_file refuses).
func newTargetFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	aio := filepath.Join(dir, "aio.img")
	if err := os.WriteFile(aio, make([]byte, 4<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	psk := "NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:"
	vars := map[string]string{"DIR": dir, "AIOFILE": aio}
	for _, f := range []struct {
		name, file, content string
		mode                os.FileMode
	}{
		{"KEYFILE", "psk.key", psk, 0o600},
		{"NLKEYFILE", "psk-nl.key", psk + "\n", 0o600},
		{"BADKEYFILE", "psk-bad.key", "NVMeTLSkey-1:01:bm90IGEga2V5:", 0o600},
		{"OPENKEYFILE", "psk-open.key", psk, 0o644},
	} {
		p := filepath.Join(dir, f.file)
		vars[f.name] = p
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return vars
}

// freePort returns a TCP port on 127.0.0.1 nothing listens on now: the
// real target binds its NVMe/TCP listeners, and other developers' targets
// may hold 4420 on a shared machine. (The sim binds no TCP port.)
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// TestSimMatchesSPDKTarget runs diffScript against spdk-sim and spdk_tgt
// step by step and fails on every difference not listed as known. It
// skips where no real SPDK can run (fails under CI, see spdktest).
func TestSimMatchesSPDKTarget(t *testing.T) {
	dir, err := spdktest.Dir()
	if err == nil {
		// vhost and vfio-user sockets are created relative to the target's
		// working directory: run both sides in a temporary one, so nothing
		// lands in the source tree. spdktest finds SPDK from the working
		// directory, so it is told where first.
		t.Setenv("SPDK_DIR", dir)
	} else {
		spdktest.Start(t) // skips (fails under CI) saying where it looked
	}
	work := t.TempDir()
	t.Chdir(work)
	tgt := spdktest.Start(t)
	_, simSock := startSim(t)

	ports := map[string]string{"PORT": freePort(t), "PORT2": freePort(t), "DEADPORT": freePort(t)}
	sides := make([]*target, 2)
	for i, side := range []struct{ name, sock string }{{"sim", simSock}, {"spdk_tgt", tgt.Socket}} {
		d := filepath.Join(work, side.name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		vars := newTargetFiles(t, d)
		for k, v := range ports {
			vars[k] = v
		}
		c := spdk.New(side.sock)
		t.Cleanup(func() { c.Close() })
		sides[i] = &target{name: side.name, c: c, vars: vars}
	}
	readme, err := os.ReadFile(filepath.Join(readmeDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}

	script := diffScript()
	differ := 0
	for i, s := range script {
		sim, tgt := sides[0].call(t, s), sides[1].call(t, s)
		where := fmt.Sprintf("step %d %s %s", i, s.method, s.params)
		d := differences(s, sim, tgt)
		switch {
		case s.known == nil && len(d) > 0:
			differ++
			t.Errorf("%s:\n  %s", where, strings.Join(d, "\n  "))
		case s.known != nil && len(d) == 0:
			t.Errorf("%s: marked as known difference %s, but the sim and spdk_tgt now agree (%s): drop the mark and the README row",
				where, s.known.id, sim.summary(s))
		case s.known != nil && (tgt.summary(s) != s.known.real || sim.summary(s) != s.known.sim):
			t.Errorf("%s: known difference %s changed: sim %q (recorded %q), spdk_tgt %q (recorded %q)",
				where, s.known.id, sim.summary(s), s.known.sim, tgt.summary(s), s.known.real)
		case s.known != nil && !strings.Contains(string(readme), "| "+s.known.id+" |"):
			t.Errorf("%s: known difference %s has no row in the README's known differences table", where, s.known.id)
		}
	}
	t.Logf("%d steps, %d new differences", len(script), differ)
	checkMethodsExist(t, sides)
	if t.Failed() {
		t.Logf("spdk_tgt log:\n%s", tgt.Log())
	}
}

// readmeDir is the module's root, where README.md lists the known
// differences. The test runs in a temporary directory, so it is found
// from the package's source directory, remembered before the Chdir.
func readmeDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(pkgDir, "..", "..")
}

// pkgDir is this package's source directory: the working directory when
// the test binary starts.
var pkgDir, _ = os.Getwd()

// checkMethodsExist fails for every method the sim serves that spdk_tgt
// does not list in rpc_get_methods: the sim would be testing the bridge
// against a method the real build lacks (e.g. vfio-user where SPDK is built
// without it). Methods only spdk_tgt has are expected: the sim serves
// what the bridge uses.
func checkMethodsExist(t *testing.T, sides []*target) {
	t.Helper()
	var lists [2][]string
	for i, side := range sides {
		o := side.call(t, dstep{method: "rpc_get_methods"})
		if o.code != 0 || json.Unmarshal(o.result, &lists[i]) != nil {
			t.Fatalf("%s: rpc_get_methods: code %d %s", side.name, o.code, o.msg)
		}
	}
	real := map[string]bool{}
	for _, m := range lists[1] {
		real[m] = true
	}
	for _, m := range lists[0] {
		if !real[m] {
			t.Errorf("the sim serves %s, which spdk_tgt does not have: drop it or list it as a known difference", m)
		}
	}
	t.Logf("rpc_get_methods: the sim serves %d methods, spdk_tgt %d", len(lists[0]), len(lists[1]))
}
