// Package nvml adds what NVIDIA's management library knows (product name,
// UUID, driver version, memory) to the NVIDIA accelerators another Source
// finds. It is built only with the `nvml` build tag (cgo, and NVIDIA's
// driver at run time for it to find anything): without the tag, or without
// the driver, New returns the inner Source unchanged.
package nvml
