// The Go journey against two real ferryd processes, using the generated client
// in gen/go and its ferryclient helper. Run by test/interop/clients.test.ts:
//
//	go run . (env: SRC_ADDR SRC_CA DST_ADDR DST_CA ADMIN_PASSWORD MODEL)
//
// Prints one "ok <step>" line per step; exits non-zero on the first failure.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	ferryv1 "github.com/ferry/ferry/gen/go/ferry/v1"
	"github.com/ferry/ferry/gen/go/ferryclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func must(step string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", step, err)
		os.Exit(1)
	}
	fmt.Println("ok", step)
}

func check(step string, cond bool, format string, args ...any) {
	if !cond {
		must(step, fmt.Errorf(format, args...))
	}
	must(step, nil)
}

func readCA(env string) []byte {
	b, err := os.ReadFile(os.Getenv(env))
	if err != nil {
		must("read "+env, err)
	}
	return b
}

func login(addr string, ca []byte, password string) string {
	conn, err := ferryclient.Dial(addr, ca, "")
	must("dial "+addr, err)
	defer conn.Close()
	res, err := ferryv1.NewControllerServiceClient(conn).Login(context.Background(), &ferryv1.LoginRequest{User: "admin", Password: password})
	must("login", err)
	return res.GetToken()
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srcAddr, dstAddr := os.Getenv("SRC_ADDR"), os.Getenv("DST_ADDR")
	srcCA, dstCA := readCA("SRC_CA"), readCA("DST_CA")
	pw, name := os.Getenv("ADMIN_PASSWORD"), os.Getenv("MODEL")

	token := login(srcAddr, srcCA, pw)
	conn, err := ferryclient.Dial(srcAddr, srcCA, token)
	must("dial with token", err)
	defer conn.Close()
	health := grpc_health_v1.NewHealthClient(conn)
	ctl := ferryv1.NewControllerServiceClient(conn)
	models := ferryv1.NewModelServiceClient(conn)
	migs := ferryv1.NewMigrationServiceClient(conn)

	h, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
	must("health", err)
	check("health serving", h.GetStatus() == grpc_health_v1.HealthCheckResponse_SERVING, "status %v", h.GetStatus())

	who, err := ctl.WhoAmI(ctx, &ferryv1.WhoAmIRequest{})
	must("whoami", err)
	_ = who

	cm, err := models.CreateModel(ctx, &ferryv1.CreateModelRequest{Name: name})
	must("create model", err)
	model := "admin/" + name
	_, err = models.DeployApplication(ctx, &ferryv1.DeployApplicationRequest{Model: model, Charm: "postgresql", Application: "pg", NumUnits: 1})
	must("deploy", err)
	st, err := models.GetStatus(ctx, &ferryv1.GetStatusRequest{Model: model})
	must("get status", err)
	check("status has pg", len(st.GetStatus().GetApplications()) == 1 && st.GetStatus().GetApplications()[0].GetName() == "pg", "apps %v", st.GetStatus().GetApplications())
	// The same status through StreamStatus (any size of model), put back together.
	fs, err := ferryclient.FetchStatus(ctx, models, model)
	must("fetch status", err)
	check("fetched status matches", fs.GetModel().GetUuid() == st.GetStatus().GetModel().GetUuid() && len(fs.GetApplications()) == 1 &&
		len(fs.GetApplications()[0].GetUnits()) == 1 && fs.GetApplications()[0].GetUnits()[0].GetName() == "pg/0" && len(fs.GetMachines()) == len(st.GetStatus().GetMachines()),
		"fetched %v", fs)

	// WatchStatus: the current status at once, then a new one after each change.
	wctx, wcancel := context.WithCancel(ctx)
	ws, err := models.WatchStatus(wctx, &ferryv1.WatchStatusRequest{Model: model})
	must("watch status", err)
	upd, err := ws.Recv()
	must("watch status update", err)
	check("watch status model", upd.GetStatus().GetModel().GetName() == name, "model %v", upd.GetStatus().GetModel().GetName())
	_, err = models.AddUnits(ctx, &ferryv1.AddUnitsRequest{Model: model, Application: "pg", Count: 1})
	must("add unit", err)
	for len(upd.GetStatus().GetApplications()[0].GetUnits()) < 2 {
		upd, err = ws.Recv()
		must("watch status change", err)
	}
	must("watch status sees the new unit", nil)
	wcancel()

	// Deadlines reach the server: a login (slowed to a second on the source
	// by the test) with 100 ms to live, and a watch (which never ends by
	// itself) with 300 ms.
	dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = ctl.Login(dctx, &ferryv1.LoginRequest{User: "admin", Password: pw})
	dcancel()
	check("deadline exceeded", status.Code(err) == codes.DeadlineExceeded, "got %v", err)
	sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
	ss, err := models.WatchStatus(sctx, &ferryv1.WatchStatusRequest{Model: model})
	must("watch with deadline", err)
	for err == nil {
		_, err = ss.Recv()
	}
	scancel()
	check("stream deadline exceeded", status.Code(err) == codes.DeadlineExceeded, "got %v", err)
	_, err = models.GetStatus(ctx, &ferryv1.GetStatusRequest{Model: model})
	must("works after deadline", err)

	big := strings.Repeat("x", 5<<20)
	_, err = models.UpdateModelConfig(ctx, &ferryv1.UpdateModelConfigRequest{Model: model, Set: map[string]string{"big": big}}, grpc.MaxCallSendMsgSize(64<<20))
	check("oversized request", status.Code(err) == codes.ResourceExhausted, "got %v", err)
	_, err = health.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
	must("works after oversized", err)

	// Migrate to the destination (token issued by the destination, as `ferry migrate` does).
	dstToken := login(dstAddr, dstCA, pw)
	dconn, err := ferryclient.Dial(dstAddr, dstCA, dstToken)
	must("dial destination", err)
	defer dconn.Close()
	dstInfo, err := ferryv1.NewControllerServiceClient(dconn).GetControllerInfo(ctx, &ferryv1.GetControllerInfoRequest{})
	must("destination info", err)
	srcInfo, err := ctl.GetControllerInfo(ctx, &ferryv1.GetControllerInfoRequest{})
	must("source info", err)
	mt, err := ferryv1.NewControllerServiceClient(dconn).CreateMigrationToken(ctx, &ferryv1.CreateMigrationTokenRequest{ModelUuid: cm.GetModel().GetUuid(), SourceControllerUuid: srcInfo.GetController().GetUuid()})
	must("migration token", err)
	sm, err := migs.StartMigration(ctx, &ferryv1.StartMigrationRequest{Model: model, Target: &ferryv1.MigrationTarget{
		ControllerUuid: dstInfo.GetController().GetUuid(), ControllerName: "dst", Addresses: []string{dstAddr}, CaCert: string(dstCA), Token: mt.GetToken(),
	}})
	must("start migration", err)
	wm, err := migs.WatchMigration(ctx, &ferryv1.WatchMigrationRequest{Id: sm.GetMigration().GetId()})
	must("watch migration", err)
	phase := ferryv1.MigrationPhase_MIGRATION_PHASE_UNSPECIFIED
	for phase != ferryv1.MigrationPhase_MIGRATION_PHASE_DONE && phase != ferryv1.MigrationPhase_MIGRATION_PHASE_ABORTDONE && phase != ferryv1.MigrationPhase_MIGRATION_PHASE_REAPFAILED {
		u, err := wm.Recv()
		if err == io.EOF {
			break
		}
		must("watch migration update", err)
		phase = u.GetMigration().GetPhase()
	}
	check("migration done", phase == ferryv1.MigrationPhase_MIGRATION_PHASE_DONE, "phase %v", phase)

	_, err = models.GetStatus(ctx, &ferryv1.GetStatusRequest{Model: model})
	r, ok := ferryclient.AsRedirect(err)
	check("redirect", ok && r.Model == model && r.ControllerName == "dst" && r.ControllerUUID == dstInfo.GetController().GetUuid() &&
		r.ModelUUID == cm.GetModel().GetUuid() && len(r.Addresses) == 1 && r.Addresses[0] == dstAddr && r.CACert == string(dstCA) && r.CAFingerprint != "",
		"err %v redirect %+v", err, r)
	_, err = models.GetStatus(ctx, &ferryv1.GetStatusRequest{Model: "admin/no-such-model"})
	_, isRedirect := ferryclient.AsRedirect(err)
	check("not found is not a redirect", status.Code(err) == codes.NotFound && !isRedirect, "err %v", err)
	fconn, err := r.Follow(login(r.Addresses[0], []byte(r.CACert), pw))
	must("follow redirect", err)
	defer fconn.Close()
	fst, err := ferryv1.NewModelServiceClient(fconn).GetStatus(ctx, &ferryv1.GetStatusRequest{Model: r.ModelUUID})
	must("status at destination", err)
	check("status at destination model", fst.GetStatus().GetModel().GetUuid() == r.ModelUUID, "uuid %v", fst.GetStatus().GetModel().GetUuid())

	// A destination with an address that is gone (a port nothing listens on)
	// before its live one is still reached.
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	must("reserve a dead port", err)
	gone.Close()
	past := *r
	past.Addresses = append([]string{gone.Addr().String()}, r.Addresses...)
	pconn, err := past.Follow(login(r.Addresses[0], []byte(r.CACert), pw))
	must("follow with a dead first address", err)
	defer pconn.Close()
	pst, err := ferryv1.NewModelServiceClient(pconn).GetStatus(ctx, &ferryv1.GetStatusRequest{Model: r.ModelUUID})
	must("follow past a dead address", err)
	check("status past a dead address", pst.GetStatus().GetModel().GetUuid() == r.ModelUUID, "uuid %v", pst.GetStatus().GetModel().GetUuid())

	// A controller's own addresses (the nodes of an HA controller), a dead one first.
	aconn, err := ferryclient.DialAll([]string{gone.Addr().String(), dstAddr}, "dst", dstCA, dstToken)
	must("dial all addresses", err)
	defer aconn.Close()
	ainfo, err := ferryv1.NewControllerServiceClient(aconn).GetControllerInfo(ctx, &ferryv1.GetControllerInfoRequest{})
	must("call over all addresses", err)
	check("connect over all addresses", len(ainfo.GetController().GetApiAddresses()) > 0, "%v", ainfo.GetController().GetApiAddresses())
	fmt.Println("JOURNEY OK")
}
