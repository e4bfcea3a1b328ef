package sim

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// rpcError is the JSON-RPC error object the sim answers with; handlers
// return it as their error.
type rpcError = spdk.ErrorObject

func newErr(code int, format string, args ...any) *rpcError {
	return &rpcError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// strerror gives glibc's text for an errno, which is what SPDK's
// spdk_strerror returns; Go's own texts are lower-case and differ.
func strerror(e syscall.Errno) string {
	switch e {
	case syscall.EPERM:
		return "Operation not permitted"
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.EIO:
		return "Input/output error"
	case syscall.EFAULT:
		return "Bad address"
	case syscall.ENXIO:
		return "No such device or address"
	case syscall.EAGAIN:
		return "Resource temporarily unavailable"
	case syscall.ENOMEM:
		return "Cannot allocate memory"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.EBUSY:
		return "Device or resource busy"
	case syscall.EEXIST:
		return "File exists"
	case syscall.ENODEV:
		return "No such device"
	case syscall.ENOTDIR:
		return "Not a directory"
	case syscall.EISDIR:
		return "Is a directory"
	case syscall.EINVAL:
		return "Invalid argument"
	case syscall.ENOSPC:
		return "No space left on device"
	case syscall.ENOTSUP:
		return "Operation not supported"
	case syscall.ETIMEDOUT:
		return "Connection timed out"
	case syscall.ECONNREFUSED:
		return "Connection refused"
	case syscall.EALREADY:
		return "Operation already in progress"
	case syscall.ENOKEY:
		return "Required key not available"
	case syscall.ELOOP:
		return "Too many levels of symbolic links"
	case syscall.ENAMETOOLONG:
		return "File name too long"
	}
	return fmt.Sprintf("Unknown error %d", int(e))
}

// errnoErr is the error SPDK sends with
// spdk_jsonrpc_send_error_response(request, rc, spdk_strerror(-rc)).
func errnoErr(e syscall.Errno) *rpcError {
	return &rpcError{Code: -int(e), Message: strerror(e)}
}

// errnoMsg is a negative errno code with a handler-specific message.
func errnoMsg(e syscall.Errno, format string, args ...any) *rpcError {
	return &rpcError{Code: -int(e), Message: fmt.Sprintf(format, args...)}
}

// errnoOf extracts the errno from an os/syscall error, EIO when unknown.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// Short names for the errnos handlers return.
const (
	ePERM     = syscall.EPERM
	eNOENT    = syscall.ENOENT
	eFAULT    = syscall.EFAULT
	eIO       = syscall.EIO
	eNXIO     = syscall.ENXIO
	eBUSY     = syscall.EBUSY
	eEXIST    = syscall.EEXIST
	eNODEV    = syscall.ENODEV
	eINVAL    = syscall.EINVAL
	eNOSPC    = syscall.ENOSPC
	eALREADY  = syscall.EALREADY
	eNOTSUP   = syscall.ENOTSUP
	eACCES    = syscall.EACCES
	eNOTDIR   = syscall.ENOTDIR
	eTIMEDOUT = syscall.ETIMEDOUT
)

// Errors that many handlers answer with.
var (
	errInvalidParams = &rpcError{Code: spdk.CodeInvalidParams, Message: "Invalid parameters"}
	errInternal      = &rpcError{Code: spdk.CodeInternalError, Message: "Internal error"}
)
