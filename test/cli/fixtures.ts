// A realistic model status: wordpress related to postgresql, two machines.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { FullStatusSchema, type FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import { EndpointRole, Life } from "../../gen/ts/ferry/v1/resources_pb.js";

export const NOW = new Date(Date.UTC(2026, 10, 26, 14, 3, 7));
const ts = (d: Date) => timestampFromDate(d);
const since = ts(new Date(NOW.getTime() - 60_000));

export function sampleStatus(modelMessage = ""): FullStatus {
  return create(FullStatusSchema, {
    time: ts(NOW),
    model: {
      name: "migrate",
      owner: "admin",
      uuid: "5f227519-3cdb-4538-871c-1c4589a4598a",
      type: "iaas",
      controllerName: "src-server-name",
      cloud: "localhost",
      region: "localhost",
      cloudType: "lxd",
      life: Life.ALIVE,
      agentVersion: "1.2.0",
      status: { current: modelMessage ? "busy" : "available", message: modelMessage, since },
    },
    machines: [
      {
        id: "0",
        agentStatus: { current: "started", since },
        instanceStatus: { current: "running", since },
        instanceId: "inst-0",
        dnsName: "10.0.0.2",
        ipAddresses: ["10.0.0.2"],
        base: { name: "ubuntu", channel: "24.04" },
        hostname: "machine-0",
      },
      {
        id: "1",
        agentStatus: { current: "started", since },
        instanceId: "inst-1",
        dnsName: "10.0.0.3",
        ipAddresses: ["10.0.0.3"],
        base: { name: "ubuntu", channel: "24.04" },
      },
    ],
    applications: [
      {
        name: "postgresql",
        charm: "postgresql",
        charmRev: 3,
        status: { current: "active", since },
        unitCount: 1,
        units: [
          {
            name: "postgresql/0",
            application: "postgresql",
            machine: "0",
            workloadStatus: { current: "active", since },
            agentStatus: { current: "idle", since },
            publicAddress: "10.0.0.2",
            leader: true,
          },
        ],
      },
      {
        name: "wordpress",
        charm: "wordpress",
        charmRev: 5,
        status: { current: "active", since },
        unitCount: 1,
        units: [
          {
            name: "wordpress/0",
            application: "wordpress",
            machine: "1",
            workloadStatus: { current: "active", since },
            agentStatus: { current: "idle", since },
            publicAddress: "10.0.0.3",
            leader: true,
          },
        ],
      },
    ],
    relations: [
      {
        id: 0,
        key: "wordpress:db postgresql:db",
        interface: "pgsql",
        scope: "global",
        status: { current: "joined", since },
        endpoints: [
          { application: "wordpress", name: "db", role: EndpointRole.REQUIRER, interface: "pgsql" },
          { application: "postgresql", name: "db", role: EndpointRole.PROVIDER, interface: "pgsql" },
        ],
      },
    ],
  });
}
