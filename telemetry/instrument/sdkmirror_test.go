package instrument

import (
	"testing"

	"go.opentelemetry.io/otel/sdk"
)

// TestSDKMirrorVersion: the SDK linked in is the release MirroredSDKVersion's rules were
// checked against. An otel-go upgrade fails here until someone has compared the new release
// with the map in sdkmirror.go and updated it.
func TestSDKMirrorVersion(t *testing.T) {
	if got := sdk.Version(); got != MirroredSDKVersion {
		t.Fatalf("the OTel SDK is %s, but the fast path mirrors %s: follow \"Upgrading otel-go\" in sdkmirror.go, then set MirroredSDKVersion",
			got, MirroredSDKVersion)
	}
}
