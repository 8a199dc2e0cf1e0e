package ferryclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	ferryv1 "github.com/ferry/ferry/gen/go/ferry/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
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

// testCA is a throwaway CA that signs a certificate for 127.0.0.1.
type testCA struct {
	pem  []byte
	cert tls.Certificate
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "controller"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		cert: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key},
	}
}

// serveHealth starts a TLS gRPC server whose health service reports `service`
// as SERVING, and returns its address.
func serveHealth(t *testing.T, ca testCA, service string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&ca.cert)))
	h := health.NewServer()
	h.SetServingStatus(service, grpc_health_v1.HealthCheckResponse_SERVING)
	grpc_health_v1.RegisterHealthServer(srv, h)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestFollowTriesEachAddressInTurn(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	// A port nothing listens on, then a server whose certificate another CA
	// signed, then the destination itself.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	impostor := serveHealth(t, other, "impostor")
	good := serveHealth(t, ca, "destination")

	r := &Redirect{ControllerName: "dst", Addresses: []string{deadAddr, impostor, good}, CACert: string(ca.pem)}
	conn, err := r.Follow("")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "destination"})
	if err != nil {
		t.Fatalf("the destination's own address was not reached: %v", err)
	}
	if res.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("status %v", res.GetStatus())
	}

	// With only addresses that cannot be reached or verified, calls fail.
	bad := &Redirect{ControllerName: "dst", Addresses: []string{deadAddr, impostor}, CACert: string(ca.pem)}
	bconn, err := bad.Follow("")
	if err != nil {
		t.Fatal(err)
	}
	defer bconn.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer scancel()
	if _, err := grpc_health_v1.NewHealthClient(bconn).Check(sctx, &grpc_health_v1.HealthCheckRequest{}); status.Code(err) != codes.Unavailable && status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("reached a controller the CA does not vouch for: %v", err)
	}
}

func TestFollowRefusesAnAddressWithoutPort(t *testing.T) {
	ca := string(newTestCA(t).pem)
	if _, err := (&Redirect{Addresses: []string{"10.0.0.5", "10.0.0.6:17070"}, CACert: ca}).Follow(""); err == nil {
		t.Fatal("an address without a port must be refused")
	}
	if _, err := (&Redirect{Addresses: []string{"10.0.0.5"}, CACert: ca}).Follow(""); err == nil {
		t.Fatal("an only address without a port must be refused too")
	}
}

func TestMergeStatusPart(t *testing.T) {
	unit := func(n string) *ferryv1.Unit { return &ferryv1.Unit{Name: n} }
	parts := []*ferryv1.FullStatus{
		{Model: &ferryv1.Model{Name: "big"}, Machines: []*ferryv1.Machine{{Id: "0"}},
			Applications: []*ferryv1.Application{{Name: "a", Units: []*ferryv1.Unit{unit("a/0")}}, {Name: "b", UnitCount: 3, Units: []*ferryv1.Unit{unit("b/0")}}}},
		// b continues; c is new even though it follows b.
		{Applications: []*ferryv1.Application{{Name: "b", UnitCount: 3, Units: []*ferryv1.Unit{unit("b/1"), unit("b/2")}}, {Name: "c"}}},
		{Relations: []*ferryv1.Relation{{Id: 1}}},
	}
	var got *ferryv1.FullStatus
	for _, p := range parts {
		got = MergeStatusPart(got, p)
	}
	want := &ferryv1.FullStatus{Model: &ferryv1.Model{Name: "big"}, Machines: []*ferryv1.Machine{{Id: "0"}},
		Applications: []*ferryv1.Application{{Name: "a", Units: []*ferryv1.Unit{unit("a/0")}},
			{Name: "b", UnitCount: 3, Units: []*ferryv1.Unit{unit("b/0"), unit("b/1"), unit("b/2")}}, {Name: "c"}},
		Relations: []*ferryv1.Relation{{Id: 1}}}
	if !proto.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// The parts are left as they were: merging them again gives the same.
	var again *ferryv1.FullStatus
	for _, p := range parts {
		again = MergeStatusPart(again, p)
	}
	if !proto.Equal(again, want) {
		t.Fatalf("second merge: got %v\nwant %v", again, want)
	}
}
