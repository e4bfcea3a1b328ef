// Package deploy holds the Kubernetes manifests of the driver; its test
// validates them offline.
package deploy
