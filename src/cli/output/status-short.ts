// `ferry status --format short` (also `oneline` and `line`, as the reference
// names it): one line per unit, for eyes and for grep.
//   - wordpress/0: 10.0.0.3 (agent:idle, workload:active)
import type { FullStatus } from "../../../gen/ts/ferry/v1/model_pb.js";
import { palette } from "./status-table.js";

export function statusShort(status: FullStatus, opts: { color?: boolean } = {}): string {
  const paint = palette(Boolean(opts.color)).status;
  const lines: string[] = [];
  for (const a of status.applications) {
    for (const u of a.units) {
      const agent = u.agentStatus?.current || "unknown";
      const workload = u.workloadStatus?.current || "unknown";
      const address = u.publicAddress || "(no address)";
      lines.push(`- ${u.name}: ${address} (agent:${paint(agent)}, workload:${paint(workload)})`);
    }
  }
  return lines.join("\n");
}
