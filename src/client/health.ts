import { HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { connect, type FerryClients } from "./connect.js";

/** Whether the whole server (service "") reports SERVING. Never throws. */
export async function isServing(clients: FerryClients, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await clients.health.check({ service: "" }, { timeoutMs });
    return res.status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}

/**
 * Whether the controller at `address`, over TLS pinned to `caPem`, reports
 * SERVING within `timeoutMs`, on a connection of its own. Never throws.
 */
export async function isServingAt(address: string, caPem: string, timeoutMs = 2_000): Promise<boolean> {
  if (!address) return false;
  const clients = connect({ address, caPem });
  try {
    return await isServing(clients, timeoutMs);
  } finally {
    clients.close();
  }
}
