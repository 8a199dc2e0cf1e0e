import { HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import type { FerryClients } from "./connect.js";

/** Whether the whole server (service "") reports SERVING. Never throws. */
export async function isServing(clients: FerryClients, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await clients.health.check({ service: "" }, { timeoutMs });
    return res.status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}
