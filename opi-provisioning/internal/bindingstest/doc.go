// Package bindingstest checks the non-Go bindings of the OPI API end to end:
// the generated Python and C++ clients in opi-api call the real inventory
// service, served by Go over gRPC. It holds only a test.
package bindingstest
