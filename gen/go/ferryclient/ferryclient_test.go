package ferryclient

import (
	"errors"
	"testing"

	ferryv1 "github.com/ferry/ferry/gen/go/ferry/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

func withDetails(t *testing.T, c codes.Code, msg string, details ...protoadapt.MessageV1) error {
	t.Helper()
	st, err := status.New(c, msg).WithDetails(details...)
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

func TestAsRedirect(t *testing.T) {
	info := &errdetails.ErrorInfo{Reason: ReasonModelMigrated, Domain: "ferry.v1"}
	redirect := &ferryv1.ModelRedirect{
		ModelName: "web", ModelOwner: "admin", ModelUuid: "u", ControllerUuid: "c", ControllerName: "dst",
		Addresses: []string{"10.0.0.5:17070"}, CaCert: "PEM", CaFingerprint: "AA:BB", MigrationId: "u:0",
	}
	r, ok := AsRedirect(withDetails(t, codes.FailedPrecondition, "moved", info, redirect))
	if !ok {
		t.Fatal("a MODEL_MIGRATED error is a redirect")
	}
	want := Redirect{Model: "admin/web", ModelUUID: "u", ControllerName: "dst", ControllerUUID: "c",
		Addresses: []string{"10.0.0.5:17070"}, CACert: "PEM", CAFingerprint: "AA:BB", MigrationID: "u:0"}
	if r.Model != want.Model || r.ModelUUID != want.ModelUUID || r.ControllerName != want.ControllerName ||
		r.ControllerUUID != want.ControllerUUID || len(r.Addresses) != 1 || r.Addresses[0] != want.Addresses[0] ||
		r.CACert != want.CACert || r.CAFingerprint != want.CAFingerprint || r.MigrationID != want.MigrationID {
		t.Fatalf("got %+v, want %+v", *r, want)
	}

	notRedirects := map[string]error{
		"nil":          nil,
		"not a status": errors.New("boom"),
		"not found":    status.Error(codes.NotFound, "model not found"),
		"precondition": withDetails(t, codes.FailedPrecondition, "checks failed", &errdetails.PreconditionFailure{}),
		"reason only":  withDetails(t, codes.FailedPrecondition, "moved", info),
		"detail only":  withDetails(t, codes.FailedPrecondition, "moved", redirect),
		"wrong code":   withDetails(t, codes.Unavailable, "moved", info, redirect),
		"other reason": withDetails(t, codes.FailedPrecondition, "x", &errdetails.ErrorInfo{Reason: "MODEL_MIGRATING"}, redirect),
	}
	for name, err := range notRedirects {
		if _, ok := AsRedirect(err); ok {
			t.Errorf("%s: reported as a redirect", name)
		}
	}
}

func TestFollowNeedsAnAddress(t *testing.T) {
	if _, err := (&Redirect{}).Follow("t"); err == nil {
		t.Fatal("a redirect without addresses cannot be followed")
	}
}

func TestDialRejectsABadCA(t *testing.T) {
	if _, err := Dial("127.0.0.1:1", []byte("not a PEM"), ""); err == nil {
		t.Fatal("a CA that is not PEM must be refused")
	}
}
