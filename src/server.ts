// Composition root of a controller process: PKI, store, identity, services and
// the gRPC server, wired once. Everything a ferryd process runs is built here.
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "./util/files.js";
import { fileURLToPath } from "node:url";
import { AgentService } from "../gen/ts/ferry/v1/agent_pb.js";
import { ControllerService } from "../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService } from "../gen/ts/ferry/v1/migration_pb.js";
import { MigrationTargetService } from "../gen/ts/ferry/v1/migration_target_pb.js";
import { ModelService } from "../gen/ts/ferry/v1/model_pb.js";
import { Cluster } from "./cluster/cluster.js";
import { GroupCommit } from "./services/group-commit.js";
import { createStorePresence } from "./cluster/presence.js";
import { describeStore, FERRY_VERSION, type ControllerConfig } from "./config.js";
import type { ControllerIdentity } from "./domain/controller.js";
import { exportModel } from "./migration/export.js";
import { createSecretBox, createSecretBoxWithKey, newSecretKey } from "./migration/secrets.js";
import { MigrationWorker, workerOptionsFromEnv } from "./migration/worker.js";
import { createCa, ensureNodePki, ensurePki, type Pki } from "./pki/index.js";
import { createAgentService } from "./services/agent-service.js";
import { authenticate } from "./services/auth.js";
import { bootstrapController } from "./services/bootstrap.js";
import { principalKey } from "./services/context.js";
import { createControllerService } from "./services/controller-service.js";
import { createMigrationTargetService } from "./services/migration-target-service.js";
import { createMigrationService, migrationSummaryOf } from "./services/migration-service.js";
import { createModelService, createSimulator } from "./services/model-service.js";
import { cleanSpoolDir } from "./services/upload-spool.js";
import { AgentProvisioner } from "./services/provisioner.js";
import { openStore, type Store } from "./store/index.js";
import {
  loggingCallHook,
  serviceRegistration,
  startServer,
  type CallLogHook,
  type Logger,
  type RunningServer,
} from "./transport/index.js";
import { Metrics, serveMetrics, setProcessMetrics } from "./metrics.js";
import { processLoad } from "./load.js";

/** The call log line, the controller's call rate, and the RPC metrics when on. */
function withLoad(log: CallLogHook, metrics: Metrics | undefined): CallLogHook {
  return (r) => {
    log(r);
    processLoad.call();
    metrics?.onCall(r);
  };
}

export interface RunningController {
  identity: ControllerIdentity;
  port: number;
  server: RunningServer;
  store: Store;
  /** This process as a node of the controller (its id, leases, the other nodes). */
  cluster: Cluster;
  /** True when this start created the controller (first start on an empty store). */
  created: boolean;
  /** Graceful stop: health NOT_SERVING, in-flight calls finish, store closed. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: ControllerConfig;
  logger: Logger;
  /** Produces the first admin password; called only when the controller is new. */
  adminPassword: () => Promise<string>;
}

/** The buf-built descriptor image (with comments) that reflection serves. */
async function loadDescriptorImage(): Promise<Uint8Array | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      return await readFile(join(dir, "gen", "ferry.binpb"));
    } catch {
      dir = dirname(dir);
    }
  }
  return undefined;
}

function hostOf(listen: string): { host: string; port: string } {
  const i = listen.lastIndexOf(":");
  if (i < 0) throw new Error(`invalid listen address "${listen}": want host:port`);
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ""), port: listen.slice(i + 1) };
}

/** API addresses clients should use for a listener bound to `host`. */
function apiAddresses(host: string, port: number, hostnames: string[]): string[] {
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const first = wildcard || host === "localhost" ? "127.0.0.1" : host;
  const all = [first, ...hostnames.filter((h) => h !== first)];
  return all.map((h) => (h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`));
}

/**
 * The data dir holds the CA key, the store and the agents' credentials: 0700,
 * whatever the umask. One that already exists is tightened to 0700 when others
 * could only read it; one that others can write (they could swap the keys or
 * the database) is refused.
 */
async function secureDataDir(dir: string, logger: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  if (!st.isDirectory()) throw new Error(`data dir ${dir} is not a directory`);
  if (st.mode & 0o022) {
    throw new Error(
      `refusing to start: data dir ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); ` +
        `run 'chmod 700 ${dir}' if that is intended to be this controller's`,
    );
  }
  if (st.mode & 0o077) {
    await chmod(dir, 0o700);
    logger.warn("data dir was readable by others; now 0700", { dataDir: dir, was: (st.mode & 0o777).toString(8) });
  }
}

export async function startController(opts: StartOptions): Promise<RunningController> {
  const { config, logger } = opts;
  await secureDataDir(config.dataDir, logger);
  const spoolDir = join(config.dataDir, "uploads");
  const leftovers = await cleanSpoolDir(spoolDir);
  if (leftovers) logger.info("removed uploads left unfinished by the last run", { files: leftovers });
  const { host } = hostOf(config.listen);
  const certNames = [...new Set([...config.hostnames, ...(host && host !== "0.0.0.0" && host !== "::" ? [host] : [])])];

  const store = await openStore(config.store, { log: logger });
  logger.info("store open", { engine: store.engine, store: describeStore(config.store) });
  let cluster: Cluster | undefined;
  try {
    const boot = await bootstrapController(
      store,
      {
        name: config.name,
        cloud: config.cloud,
        cloudType: config.cloudType,
        region: config.region,
        agentVersion: config.agentVersion,
      },
      opts.adminPassword,
      {
        // The CA and its key go into the shared store, in the bootstrap transaction, never in a log.
        newSecrets: async () => {
          const ca = await createCa(config.name);
          return { caCertPem: ca.certPem, caKeyPem: ca.keyPem, migrationKey: newSecretKey() };
        },
      },
    );
    if (boot.created) logger.info("bootstrapped controller", { uuid: boot.row.uuid, name: boot.row.name });
    else if (store.shared) logger.info("joined controller", { uuid: boot.row.uuid, name: boot.row.name });
    const row = boot.row;
    // Embedded store: the CA lives in the data dir. Shared store: the CA is
    // the store's, and each node issues its own server certificate from it.
    const pki: Pki = boot.secrets
      ? await ensureNodePki(
          config.dataDir,
          { certPem: boot.secrets.caCertPem, keyPem: boot.secrets.caKeyPem },
          { controllerName: row.name, hostnames: certNames },
        )
      : await ensurePki(config.dataDir, { controllerName: config.name, hostnames: certNames });
    if (pki.caCreated) logger.info("created controller CA", { fingerprint: pki.fingerprint });
    const identity: ControllerIdentity = {
      uuid: row.uuid,
      // The stored identity wins over flags: a controller's name and cloud are
      // fixed at bootstrap.
      name: row.name,
      version: config.agentVersion,
      cloud: row.cloud,
      cloudType: row.cloudType,
      region: row.region,
      regions: config.regions.includes(row.region) ? config.regions : [row.region, ...config.regions],
      addresses: [],
      caCertPem: pki.caCertPem,
      caFingerprint: pki.fingerprint,
      controllerModelUuid: boot.controllerModelUuid,
    };

    const changes = store.changes;
    // This process as a node: its leases decide which node runs each piece of singular work.
    cluster = new Cluster({
      store,
      dataDir: config.dataDir,
      version: FERRY_VERSION,
      leaseTtlMs: config.leaseTtlMs,
      log: logger,
    });
    // --agents process: the simulated cloud gives each machine it starts an agent process.
    const provisioner =
      config.agents === "process"
        ? new AgentProvisioner({
            store,
            dataDir: config.dataDir,
            controller: identity,
            agentsPerProcess: config.agentsPerProcess,
            workloadIntervalMs: config.workloadIntervalMs,
            log: logger,
          })
        : undefined;
    const simulator = createSimulator({
      store,
      leases: cluster,
      delayMs: config.provisionDelayMs,
      rescanMs: cluster.leaseTtlMs,
      log: logger,
      agents: provisioner,
      agentTimeoutMs: config.agentTimeoutMs,
    });
    // The source side of migrations: the destination's token is kept sealed
    // (key in the data dir, or in the shared store); the worker drives
    // migrations in the background.
    const secrets = boot.secrets ? createSecretBoxWithKey(boot.secrets.migrationKey) : createSecretBox(config.dataDir);
    // Agents watching their model's migration status (on any node): the worker waits for their reports.
    // Agents' small writes share transactions (see group-commit.ts).
    const agentWrites = new GroupCommit(store);
    const presence = createStorePresence(store, cluster, logger, agentWrites);
    const metrics = config.metricsListen ? new Metrics({ store, controller: config.name }) : undefined;
    setProcessMetrics(metrics);
    // With metrics on, the agents connected to this node are counted as their streams open and end.
    const agents: typeof presence = metrics
      ? {
          connected: (m) => presence.connected(m),
          connect: async (m, tag) => {
            const release = await presence.connect(m, tag);
            const counted = metrics.agentConnected();
            return async () => {
              counted();
              await release();
            };
          },
        }
      : presence;
    const worker = new MigrationWorker({
      store,
      controller: identity,
      changes,
      simulator,
      secrets,
      exportModel,
      log: logger,
      agents,
      leases: cluster,
      options: workerOptionsFromEnv(),
    });
    const services = [
      serviceRegistration(
        ControllerService,
        createControllerService({
          store,
          nodes: () => cluster!.currentNodes(),
          agentsConnected: (m) => presence.connected(m),
          nodeId: () => cluster!.nodeId,
          dataDir: config.dataDir,
          controller: identity,
          tokenTtlMs: config.tokenTtlMs,
          migrationTokenTtlMs: config.migrationTokenTtlMs,
          loginDelayMs: config.loginTestDelayMs,
          log: logger,
        }),
      ),
      serviceRegistration(
        ModelService,
        createModelService({
          store,
          controller: identity,
          changes,
          simulator,
          log: logger,
          migrationSummary: migrationSummaryOf,
          spoolDir,
        }),
      ),
      serviceRegistration(
        MigrationService,
        createMigrationService({ store, controller: identity, changes, secrets, worker, log: logger }),
      ),
      serviceRegistration(
        MigrationTargetService,
        createMigrationTargetService({ store, controller: identity, simulator, log: logger, spoolDir }),
      ),
      serviceRegistration(
        AgentService,
        createAgentService({
          store,
          changes,
          presence: agents,
          writes: agentWrites,
          tokenTtlMs: config.tokenTtlMs,
          controller: identity,
        }),
      ),
    ];

    const server = await startServer({
      address: config.listen,
      tls: config.insecure ? undefined : { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
      insecure: config.insecure,
      services,
      authenticate: async (method, headers, ctx) => {
        const p = await authenticate(store, method, headers);
        if (p) ctx.values.set(principalKey, p);
      },
      logger,
      descriptorImage: await loadDescriptorImage(),
      onCall: withLoad(loggingCallHook(logger), metrics),
    });
    const metricsServer =
      metrics && config.metricsListen ? await serveMetrics(metrics, config.metricsListen) : undefined;
    if (metricsServer) logger.info("metrics listening", { address: `http://${metricsServer.address}/metrics` });
    const own = apiAddresses(host, server.port, config.hostnames);
    await cluster.start(own);
    // Every live node's addresses, this one's first (GetControllerInfo, redirects).
    identity.addresses = cluster.apiAddresses();
    cluster.onNodesChanged(() => (identity.addresses = cluster!.apiAddresses()));
    await provisioner?.resume();
    await simulator.resume();
    await worker.resume();

    // Expired tokens are useless; sweep them hourly so the table stays small.
    const sweep = setInterval(() => {
      store
        .write((tx) => tx.tokens.deleteExpired(Date.now()))
        .catch((err: unknown) => {
          logger.warn("token sweep failed", { error: String(err) });
        });
    }, 3600_000);
    sweep.unref();

    if (config.portFile) {
      await writeFileAtomic(
        config.portFile,
        JSON.stringify({
          address: own[0],
          pid: process.pid,
          node: cluster.nodeId,
          ...(metricsServer ? { metrics: metricsServer.address } : {}),
        }) + "\n",
        0o644,
      );
    }
    logger.info("controller ready", {
      name: identity.name,
      uuid: identity.uuid,
      node: cluster.nodeId,
      addresses: own,
      controllerAddresses: identity.addresses,
      fingerprint: identity.caFingerprint,
      agents: config.agents,
    });

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        clearInterval(sweep);
        metricsServer?.server.close();
        metricsServer?.server.closeAllConnections();
        // The worker stops where it is (its phase is in the store) while
        // in-flight calls finish; both before the store closes.
        await Promise.all([server.shutdown(config.shutdownGraceMs), worker.stop()]);
        simulator.stop();
        provisioner?.stop();
        // Leaves the node list and gives its leases up, so other nodes take the work at once.
        await cluster!.stop();
        await store.close();
        logger.info("controller stopped", { name: identity.name });
      })());
    return { identity, port: server.port, server, store, cluster, created: boot.created, stop };
  } catch (err) {
    await cluster?.stop();
    await store.close();
    throw err;
  }
}
