"""The Python journey against two real ferryd processes, using the generated
client in gen/python (pip-installed) and its ferry.client helper, with pip's
grpcio, grpcio-status and grpcio-health-checking. Run by
test/interop/clients.test.ts with env SRC_ADDR SRC_CA DST_ADDR DST_CA
ADMIN_PASSWORD MODEL. Prints one "ok <step>" line per step; exits non-zero on
the first failure.
"""

import dataclasses
import os
import socket
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ferry import client
from ferry.v1 import (
    controller_pb2,
    controller_pb2_grpc,
    migration_pb2,
    migration_pb2_grpc,
    model_pb2,
    model_pb2_grpc,
    resources_pb2,
)


def ok(step, cond=True, detail=""):
    if not cond:
        print(f"FAIL {step}: {detail}", file=sys.stderr)
        sys.exit(1)
    print("ok", step, flush=True)


def code_of(fn):
    try:
        fn()
    except grpc.RpcError as e:
        return e.code(), e
    return None, None


def read(path):
    with open(path) as f:
        return f.read()


def login(addr, ca, password):
    with client.connect(addr, ca) as ch:
        return controller_pb2_grpc.ControllerServiceStub(ch).Login(
            controller_pb2.LoginRequest(user="admin", password=password), timeout=30
        ).token


def main():
    src_addr, dst_addr = os.environ["SRC_ADDR"], os.environ["DST_ADDR"]
    src_ca, dst_ca = read(os.environ["SRC_CA"]), read(os.environ["DST_CA"])
    pw, name = os.environ["ADMIN_PASSWORD"], os.environ["MODEL"]
    model = f"admin/{name}"

    print("ok imported", client.__file__, flush=True)
    # The StreamStatus merge rule on parts cut mid-application.
    R = resources_pb2
    parts = [
        model_pb2.FullStatus(
            model=R.Model(name="big"),
            machines=[R.Machine(id="0")],
            applications=[R.Application(name="a", units=[R.Unit(name="a/0")]), R.Application(name="b", unit_count=3, units=[R.Unit(name="b/0")])],
        ),
        model_pb2.FullStatus(applications=[R.Application(name="b", unit_count=3, units=[R.Unit(name="b/1"), R.Unit(name="b/2")]), R.Application(name="c")]),
        model_pb2.FullStatus(relations=[R.Relation(id=1)]),
    ]
    merged = client.merge_status_parts(parts)
    want = model_pb2.FullStatus(
        model=R.Model(name="big"),
        machines=[R.Machine(id="0")],
        applications=[
            R.Application(name="a", units=[R.Unit(name="a/0")]),
            R.Application(name="b", unit_count=3, units=[R.Unit(name=f"b/{i}") for i in range(3)]),
            R.Application(name="c"),
        ],
        relations=[R.Relation(id=1)],
    )
    ok("merge status parts", merged == want, merged)
    token = login(src_addr, src_ca, pw)
    ok("login")
    ch = client.connect(src_addr, src_ca, token)
    health = health_pb2_grpc.HealthStub(ch)
    ctl = controller_pb2_grpc.ControllerServiceStub(ch)
    models = model_pb2_grpc.ModelServiceStub(ch)
    migs = migration_pb2_grpc.MigrationServiceStub(ch)

    h = health.Check(health_pb2.HealthCheckRequest(), timeout=30)
    ok("health serving", h.status == health_pb2.HealthCheckResponse.SERVING, h)

    cm = models.CreateModel(model_pb2.CreateModelRequest(name=name), timeout=30)
    ok("create model")
    models.DeployApplication(
        model_pb2.DeployApplicationRequest(model=model, charm="postgresql", application="pg", num_units=1), timeout=30
    )
    ok("deploy")
    st = models.GetStatus(model_pb2.GetStatusRequest(model=model), timeout=30)
    ok("get status", [a.name for a in st.status.applications] == ["pg"], st.status.applications)
    # The same status through StreamStatus (any size of model), put back together.
    fs = client.fetch_status(models, model, timeout=30)
    ok("fetch status")
    ok(
        "fetched status matches",
        fs.model.uuid == st.status.model.uuid
        and [u.name for a in fs.applications for u in a.units] == ["pg/0"]
        and len(fs.machines) == len(st.status.machines),
        fs,
    )

    # WatchStatus: the current status at once, then a new one after each change.
    stream = models.WatchStatus(model_pb2.WatchStatusRequest(model=model), timeout=30)
    upd = next(stream)
    ok("watch status", upd.status.model.name == name, upd.status.model.name)
    models.AddUnits(model_pb2.AddUnitsRequest(model=model, application="pg", count=1), timeout=30)
    while len(upd.status.applications[0].units) < 2:
        upd = next(stream)
    stream.cancel()
    ok("watch status sees the new unit")

    # Deadlines reach the server: a login (slowed to a second on the source by
    # the test) with 100 ms to live, and a watch (which never ends by itself)
    # with 300 ms.
    code, err = code_of(lambda: ctl.Login(controller_pb2.LoginRequest(user="admin", password=pw), timeout=0.1))
    ok("deadline exceeded", code == grpc.StatusCode.DEADLINE_EXCEEDED, err)
    code, err = code_of(lambda: list(models.WatchStatus(model_pb2.WatchStatusRequest(model=model), timeout=0.3)))
    ok("stream deadline exceeded", code == grpc.StatusCode.DEADLINE_EXCEEDED, err)
    models.GetStatus(model_pb2.GetStatusRequest(model=model), timeout=30)
    ok("works after deadline")

    big = model_pb2.UpdateModelConfigRequest(model=model, set={"big": "x" * (5 << 20)})
    code, err = code_of(lambda: models.UpdateModelConfig(big, timeout=30))
    ok("oversized request", code == grpc.StatusCode.RESOURCE_EXHAUSTED, err)
    health.Check(health_pb2.HealthCheckRequest(), timeout=30)
    ok("works after oversized")

    # Migrate to the destination (token issued by the destination, as `ferry migrate` does).
    dst = client.connect(dst_addr, dst_ca, login(dst_addr, dst_ca, pw))
    dst_ctl = controller_pb2_grpc.ControllerServiceStub(dst)
    dst_uuid = dst_ctl.GetControllerInfo(controller_pb2.GetControllerInfoRequest(), timeout=30).controller.uuid
    src_uuid = ctl.GetControllerInfo(controller_pb2.GetControllerInfoRequest(), timeout=30).controller.uuid
    mt = dst_ctl.CreateMigrationToken(
        controller_pb2.CreateMigrationTokenRequest(model_uuid=cm.model.uuid, source_controller_uuid=src_uuid),
        timeout=30,
    )
    sm = migs.StartMigration(
        migration_pb2.StartMigrationRequest(
            model=model,
            target=migration_pb2.MigrationTarget(
                controller_uuid=dst_uuid, controller_name="dst", addresses=[dst_addr], ca_cert=dst_ca, token=mt.token
            ),
        ),
        timeout=30,
    )
    ok("start migration")
    terminal = {
        resources_pb2.MIGRATION_PHASE_DONE,
        resources_pb2.MIGRATION_PHASE_ABORTDONE,
        resources_pb2.MIGRATION_PHASE_REAPFAILED,
    }
    phase = None
    for u in migs.WatchMigration(migration_pb2.WatchMigrationRequest(id=sm.migration.id), timeout=60):
        phase = u.migration.phase
        if phase in terminal:
            break
    ok("migration done", phase == resources_pb2.MIGRATION_PHASE_DONE, phase)

    code, err = code_of(lambda: models.GetStatus(model_pb2.GetStatusRequest(model=model), timeout=30))
    r = client.as_redirect(err) if err is not None else None
    ok(
        "redirect",
        r is not None
        and r.model == model
        and r.controller_name == "dst"
        and r.controller_uuid == dst_uuid
        and r.model_uuid == cm.model.uuid
        and r.addresses == [dst_addr]
        and r.ca_cert == dst_ca
        and r.ca_fingerprint != "",
        f"{code} {r}",
    )
    # Other errors are not redirects.
    code, err = code_of(lambda: models.GetStatus(model_pb2.GetStatusRequest(model="admin/no-such-model"), timeout=30))
    ok("not found is not a redirect", code == grpc.StatusCode.NOT_FOUND and client.as_redirect(err) is None, err)
    with r.connect(login(r.addresses[0], r.ca_cert, pw)) as follow:
        fst = model_pb2_grpc.ModelServiceStub(follow).GetStatus(model_pb2.GetStatusRequest(model=r.model_uuid), timeout=30)
    ok("follow redirect", fst.status.model.uuid == r.model_uuid, fst.status.model.uuid)
    # A destination with an address that is gone (a port nothing listens on)
    # before its live one is still reached.
    gone = socket.socket()
    gone.bind(("127.0.0.1", 0))
    dead = "127.0.0.1:%d" % gone.getsockname()[1]
    gone.close()
    past = dataclasses.replace(r, addresses=[dead, *r.addresses])
    with past.connect(login(r.addresses[0], r.ca_cert, pw)) as follow:
        pst = model_pb2_grpc.ModelServiceStub(follow).GetStatus(model_pb2.GetStatusRequest(model=r.model_uuid), timeout=30)
    ok("follow past a dead address", pst.status.model.uuid == r.model_uuid, pst.status.model.uuid)
    try:
        dataclasses.replace(r, addresses=[dead]).connect(timeout=5)
        ok("no address connects", False, "connected to a dead address")
    except ConnectionError as e:
        ok("no address connects", dead in str(e), e)
    # A controller's own addresses (the nodes of an HA controller), a dead one first.
    with client.connect([dead, dst_addr], dst_ca, login(dst_addr, dst_ca, pw), timeout=5) as any_node:
        info = controller_pb2_grpc.ControllerServiceStub(any_node).GetControllerInfo(
            controller_pb2.GetControllerInfoRequest(), timeout=30
        )
    ok("connect over all addresses", dst_addr in info.controller.api_addresses, info.controller.api_addresses)
    ch.close()
    dst.close()
    print("JOURNEY OK")


if __name__ == "__main__":
    main()
