// Package ferryclient holds what every Go caller of a Ferry controller needs
// next to the generated ferry/v1 stubs: a connection over TLS pinned to the
// controller's CA with bearer-token auth, reading a MODEL_MIGRATED error as a
// typed redirect (and following it), and reading the status of a model of any
// size. Hand-written; not generated.
package ferryclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"

	ferryv1 "github.com/ferry/ferry/gen/go/ferry/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ReasonModelMigrated is the google.rpc.ErrorInfo reason of a redirect.
const ReasonModelMigrated = "MODEL_MIGRATED"

// Dial connects to a controller at addr ("host:port", or any gRPC target) over TLS that trusts
// only caPEM (the controller's CA). A non-empty token is sent on every call as
// "authorization: Bearer <token>".
func Dial(addr string, caPEM []byte, token string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("ferryclient: no certificate in CA PEM")
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	all := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if token != "" {
		all = append(all, grpc.WithPerRPCCredentials(Bearer(token)))
	}
	return grpc.NewClient(addr, append(all, opts...)...)
}

// Bearer is per-call credentials sending "authorization: Bearer <token>"
// (only over TLS).
type Bearer string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (b Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (Bearer) RequireTransportSecurity() bool { return true }

// Redirect is where a migrated model lives now.
type Redirect struct {
	Model          string // "owner/name"
	ModelUUID      string
	ControllerName string
	ControllerUUID string
	Addresses      []string
	CACert         string // PEM
	CAFingerprint  string
	MigrationID    string
}

// AsRedirect reports whether err is FAILED_PRECONDITION with ErrorInfo reason
// MODEL_MIGRATED and returns the ferry.v1.ModelRedirect it carries.
func AsRedirect(err error) (*Redirect, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.FailedPrecondition {
		return nil, false
	}
	migrated := false
	var r *ferryv1.ModelRedirect
	for _, d := range st.Details() {
		switch v := d.(type) {
		case *errdetails.ErrorInfo:
			migrated = migrated || v.GetReason() == ReasonModelMigrated
		case *ferryv1.ModelRedirect:
			r = v
		}
	}
	if !migrated || r == nil {
		return nil, false
	}
	model := r.GetModelName()
	if r.GetModelOwner() != "" {
		model = r.GetModelOwner() + "/" + model
	}
	return &Redirect{
		Model:          model,
		ModelUUID:      r.GetModelUuid(),
		ControllerName: r.GetControllerName(),
		ControllerUUID: r.GetControllerUuid(),
		Addresses:      r.GetAddresses(),
		CACert:         r.GetCaCert(),
		CAFingerprint:  r.GetCaFingerprint(),
		MigrationID:    r.GetMigrationId(),
	}, true
}

// DialAll connects to a controller with several addresses (the nodes of an HA
// controller, from Controller.api_addresses) over TLS pinned to caPEM. The
// connection tries them in order (gRPC's pick_first, which starts the next
// one after 250 ms without an answer), uses the first that connects and whose
// certificate verifies for that address's host, and moves on to the others
// when it breaks, so calls keep working while one node is gone. name labels
// the connection (e.g. the controller's name).
func DialAll(addrs []string, name string, caPEM []byte, token string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if len(addrs) == 0 {
		return nil, errors.New("ferryclient: no addresses")
	}
	endpoints := make([]resolver.Endpoint, 0, len(addrs))
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("ferryclient: address %q: %w", a, err)
		}
		// ServerName: each address is verified against its own host, as if
		// dialled on its own (the target's authority is only a label).
		endpoints = append(endpoints, resolver.Endpoint{Addresses: []resolver.Address{{Addr: a, ServerName: host}}})
	}
	if len(addrs) == 1 {
		return Dial(addrs[0], caPEM, token, opts...)
	}
	b := manual.NewBuilderWithScheme("ferry-controller")
	b.InitialState(resolver.State{Endpoints: endpoints})
	target := b.Scheme() + ":///" + url.PathEscape(name)
	return Dial(target, caPEM, token, append([]grpc.DialOption{grpc.WithResolvers(b)}, opts...)...)
}

// Follow connects to the redirect's destination, pinned to the CA it carries,
// over all its addresses (DialAll), so a destination with one dead address,
// or an HA destination losing a node, is still reached.
func (r *Redirect) Follow(token string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if len(r.Addresses) == 0 {
		return nil, errors.New("ferryclient: redirect has no addresses")
	}
	return DialAll(r.Addresses, r.ControllerName, []byte(r.CACert), token, opts...)
}

// FetchStatus reads a model's full status through StreamStatus, which has no
// size limit (GetStatus is one message, so it stops at 4 MiB, about 30,000
// units), and puts the parts back together.
func FetchStatus(ctx context.Context, models ferryv1.ModelServiceClient, model string, opts ...grpc.CallOption) (*ferryv1.FullStatus, error) {
	stream, err := models.StreamStatus(ctx, &ferryv1.StreamStatusRequest{Model: model}, opts...)
	if err != nil {
		return nil, err
	}
	var out *ferryv1.FullStatus
	for {
		res, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		out = MergeStatusPart(out, res.GetStatus())
	}
	if out == nil {
		return nil, errors.New("ferryclient: StreamStatus ended without a part")
	}
	return out, nil
}

// MergeStatusPart adds one StreamStatus part to acc (nil for the first) and
// returns it, by the rule in the proto: machines, applications and relations
// are appended in order, and an application that opens a part with the name
// of the one that closed the previous part continues it with more units.
// Applications are copied into acc, so the parts themselves are not changed.
func MergeStatusPart(acc, part *ferryv1.FullStatus) *ferryv1.FullStatus {
	if acc == nil {
		acc = &ferryv1.FullStatus{Model: part.GetModel(), Time: part.GetTime()}
	}
	acc.Machines = append(acc.Machines, part.GetMachines()...)
	for i, app := range part.GetApplications() {
		if n := len(acc.Applications); i == 0 && n > 0 && acc.Applications[n-1].GetName() == app.GetName() {
			acc.Applications[n-1].Units = append(acc.Applications[n-1].Units, app.GetUnits()...)
		} else {
			acc.Applications = append(acc.Applications, proto.Clone(app).(*ferryv1.Application))
		}
	}
	acc.Relations = append(acc.Relations, part.GetRelations()...)
	return acc
}
