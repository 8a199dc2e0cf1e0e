// Reading a model's status whatever its size: StreamStatus parts merged back
// into the FullStatus GetStatus would return (GetStatus is one message, so it
// stops at 4 MiB, about 30,000 units).
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type CallOptions } from "@connectrpc/connect";
import { FullStatusSchema, type FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import type { FerryClients } from "./connect.js";

/**
 * Rebuilds one FullStatus from StreamStatus parts, by the rule in the proto:
 * append machines, applications and relations in order; an application that
 * opens a part with the name of the one that closed the previous part
 * continues it (more of its units).
 */
export function mergeStatusParts(parts: Iterable<FullStatus>): FullStatus {
  let out: FullStatus | undefined;
  for (const part of parts) {
    if (!out) {
      out = create(FullStatusSchema, { model: part.model, time: part.time });
    }
    for (const m of part.machines) out.machines.push(m);
    part.applications.forEach((app, i) => {
      const last = out!.applications.at(-1);
      if (i === 0 && last?.name === app.name) {
        for (const u of app.units) last.units.push(u);
      } else {
        out!.applications.push({ ...app, units: [...app.units] });
      }
    });
    for (const r of part.relations) out.relations.push(r);
  }
  return out ?? create(FullStatusSchema);
}

/**
 * The model's full status through StreamStatus, for models of any size. A
 * controller from before StreamStatus (UNIMPLEMENTED) is asked with GetStatus.
 */
export async function fetchStatus(
  clients: Pick<FerryClients, "model">,
  model: string,
  opts: CallOptions = {},
): Promise<FullStatus> {
  const parts: FullStatus[] = [];
  try {
    for await (const res of clients.model.streamStatus({ model }, opts)) {
      if (res.status) parts.push(res.status);
    }
  } catch (err) {
    if (!(err instanceof ConnectError && err.code === Code.Unimplemented && parts.length === 0)) throw err;
    const res = await clients.model.getStatus({ model }, opts);
    if (!res.status) throw new Error("GetStatus returned no status");
    return res.status;
  }
  const status = mergeStatusParts(parts);
  if (!status.model) throw new Error("StreamStatus ended without a part");
  return status;
}
