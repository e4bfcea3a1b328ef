package firewall

import (
	"context"
	"errors"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
)

// Collection is the stored intent, for the bridge's replay pass
// (resource.ReplayStep). Mutations go through the Policies' methods.
func (p *Policies) Collection() *resource.Collection[*securityv1.FirewallPolicy] { return p.coll }

// Recover finishes the changes a crash interrupted (resource.Recoverer).
func (p *Policies) Recover(ctx context.Context) error { return p.coll.Recover(ctx) }

// Replayer makes the backend enforce a stored policy again. Apply is
// idempotent and cheap when nothing changed (the XDP backend re-adopts
// its pinned maps and links, so enforcement has no gap and counters
// continue), so there is no Present: every policy is applied.
func (p *Policies) Replayer() resource.Replayer[*securityv1.FirewallPolicy] {
	return resource.Replayer[*securityv1.FirewallPolicy]{
		Backend: "the firewall",
		Apply: func(ctx context.Context, pol *securityv1.FirewallPolicy) error {
			id, err := Pattern.ID(pol.GetName())
			if err != nil {
				return err
			}
			err = p.apply(ctx, id, pol)
			// pol carries the status of the previous pass: an operator
			// learns from the log when enforcement stops and when it
			// resumes (an interface deleted and created again), not only
			// from polling the status.
			wasError := pol.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_ERROR
			switch {
			case err != nil && !wasError:
				p.logger.WarnContext(ctx, "a firewall policy is no longer enforced", "policy", id, "interfaces", pol.GetInterfaces(), "error", err)
			case err == nil && wasError:
				p.logger.InfoContext(ctx, "a firewall policy is enforced again: re-attached to its interfaces", "policy", id, "interfaces", pol.GetInterfaces())
			}
			return err
		},
	}
}

// RemoveUnwanted is a replay step that takes out of the backend the
// policies it holds that are no longer stored (deleted while the bridge
// was down, or by a crashed delete). It refuses nothing.
func (p *Policies) RemoveUnwanted(ctx context.Context) (int, error) {
	want := map[string]bool{}
	if err := p.coll.Walk(ctx, func(pol *securityv1.FirewallPolicy) error {
		id, _ := Pattern.ID(pol.GetName())
		want[id] = true
		return nil
	}); err != nil {
		return 0, err
	}
	held, err := p.backend.Policies(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, id := range held {
		if !want[id] {
			p.logger.InfoContext(ctx, "removing a firewall policy that is no longer stored", "policy", id)
			errs = append(errs, p.backend.Remove(ctx, id))
		}
	}
	return 0, errors.Join(errs...)
}

// Exclusive runs step with the policies' mutations held off, so that a
// replay pass and an API call never apply the same policy at once.
func (p *Policies) Exclusive(step resource.Step) resource.Step {
	return func(ctx context.Context) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return step(ctx)
	}
}

// WatchInterfaces calls changed whenever the backend sees the host's
// interfaces change, until ctx ends, if the backend can watch them
// (InterfaceWatcher); otherwise it returns at once and the periodic
// replay pass is what notices.
func (p *Policies) WatchInterfaces(ctx context.Context, changed func()) {
	w, ok := p.backend.(InterfaceWatcher)
	if !ok {
		return
	}
	if err := w.WatchInterfaces(ctx, changed); err != nil && ctx.Err() == nil {
		p.logger.WarnContext(ctx, "cannot watch the host's interfaces; a vanished interface is noticed at the next periodic pass", "error", err)
	}
}

// Probe reports whether the backend is usable; the service is NOT_SERVING
// while it is not.
func (p *Policies) Probe(ctx context.Context) error { return p.backend.Probe(ctx) }
