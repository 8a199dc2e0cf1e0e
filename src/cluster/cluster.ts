// This process as one node of its controller. Several ferryd processes on one
// shared store (PostgreSQL) are one controller; on the embedded store there
// is one node, through the same code. A node registers itself with its API
// addresses and heartbeats; it holds leases on singular work (a migration's
// worker, a model's simulated agents), on the database's clock, renewed in
// one statement; a lease it cannot renew in time, or finds moved, is lost and
// its work stops (every write made for it is fenced by its epoch anyway).
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Fence, Lease, NodeRow, Store } from "../store/index.js";

export interface NodeInfo {
  id: string;
  addresses: string[];
  version: string;
  hostname: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  /** Heartbeat seen within the node timeout (database clock). */
  live: boolean;
  /** This process. */
  self: boolean;
}

export interface ClusterOptions {
  store: Store;
  /** Where the node's id is kept (one node per data dir). */
  dataDir: string;
  version: string;
  /** Lease time (default 10 s): a node that stops renewing loses its work within about this long. */
  leaseTtlMs?: number;
  log: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

/** What the workers need of the leases: take one, hear when it is lost, give it back. */
export interface LeaseAccess {
  /** Takes (or keeps) the lease; undefined when another live node holds it. */
  acquire(name: string): Promise<Fence | undefined>;
  /** Calls `lost` once if the lease is lost; call the result to stop listening. */
  watch(name: string, lost: () => void): () => void;
  /** Gives the lease up (its epoch stays, so a late write of ours is still refused). */
  release(name: string): Promise<void>;
  /** Whether this node holds the lease now. */
  holds(name: string): boolean;
  /** This node's holder name (lease rows carry it). */
  readonly holder: string;
  /** How long a lease lasts without renewal. */
  readonly leaseTtlMs: number;
}

export const DEFAULT_LEASE_TTL_MS = 10_000;

/** The node id of a data dir: created once, kept in <data-dir>/node-id. */
export function nodeIdOf(dataDir: string): string {
  const file = join(dataDir, "node-id");
  try {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{16}$/.test(id)) return id;
  } catch {
    // first start
  }
  const id = randomBytes(8).toString("hex");
  writeFileSync(file, id + "\n", { mode: 0o644 });
  return id;
}

interface Held {
  lease: Lease;
  lost: Set<() => void>;
}

/** How old a node list GetControllerInfo may answer with. */
const FRESH_NODES_MS = 1000;

export class Cluster implements LeaseAccess {
  readonly nodeId: string;
  readonly incarnation = randomBytes(6).toString("hex");
  readonly holder: string;
  readonly leaseTtlMs: number;
  private addresses: string[] = [];
  private nodes: NodeInfo[] = [];
  /** performance.now() of the last node list read. */
  private nodesAt = -Infinity;
  private refreshing: Promise<void> | undefined;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** performance.now() of the last renewal that reached the store. */
  private renewedAt = performance.now();
  private stopped = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: ClusterOptions) {
    this.nodeId = nodeIdOf(opts.dataDir);
    this.holder = `${this.nodeId}/${this.incarnation}`;
    this.leaseTtlMs = opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** How often heartbeats and renewals go out. */
  get tickMs(): number {
    return Math.max(50, Math.floor(this.leaseTtlMs / 3));
  }

  /**
   * Registers the node (its addresses), takes back the leases an earlier run
   * of this node held (that run is over: a new epoch fences it), forgets the
   * agent connections it recorded, and starts heartbeating.
   */
  async start(addresses: string[]): Promise<void> {
    this.addresses = addresses;
    const prefix = `${this.nodeId}/`;
    const adopted = await this.opts.store.write(async (tx) => {
      await tx.nodes.register({
        id: this.nodeId,
        incarnation: this.incarnation,
        addresses,
        version: this.opts.version,
        hostname: hostname(),
        pid: process.pid,
      });
      await tx.agents.disconnectNode(this.nodeId);
      return tx.leases.adopt(prefix, this.holder, this.leaseTtlMs);
    });
    this.renewedAt = performance.now();
    for (const lease of adopted) this.held.set(lease.name, { lease, lost: new Set() });
    if (adopted.length)
      this.opts.log.info("node: took back the leases of its previous run", { leases: adopted.length });
    await this.refreshNodes();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Called when the node list (and so the controller's API addresses) may have changed. */
  onNodesChanged(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Every API address of the controller: this node's first, then the other live nodes'. */
  apiAddresses(): string[] {
    const out = [...this.addresses];
    for (const n of this.nodes) {
      if (n.self || !n.live) continue;
      for (const a of n.addresses) if (!out.includes(a)) out.push(a);
    }
    return out;
  }

  /**
   * The nodes as of at most a second ago: GetControllerInfo right after a
   * node joined lists it, while a flood of those (public) calls costs one
   * store read per second. Falls back to the last list when the store fails.
   */
  async currentNodes(): Promise<NodeInfo[]> {
    if (performance.now() - this.nodesAt > FRESH_NODES_MS) {
      this.refreshing ??= this.refreshNodes()
        .catch(() => undefined)
        .finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return this.nodes;
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = (async () => {
      const started = performance.now();
      // Leases taken while the renewal runs are not in its answer: only these count.
      const before = new Set(this.held.keys());
      try {
        // One transaction: heartbeat, renewals, and the node list as of the same clock.
        const { renewed, rows, now } = await this.opts.store.write(async (tx) => {
          const { now } = await tx.nodes.heartbeat(this.nodeId, this.incarnation);
          const renewed = await tx.leases.renewAll(this.holder, this.leaseTtlMs);
          return { renewed, rows: await tx.nodes.all(), now };
        });
        this.renewedAt = started;
        const still = new Set(renewed.map((l) => l.name));
        for (const l of renewed) {
          const h = this.held.get(l.name);
          if (h) h.lease = l;
        }
        for (const name of before) if (!still.has(name)) this.lose(name, "moved to another holder");
        this.applyNodes(rows, now);
      } catch (err) {
        if (this.stopped) return;
        this.opts.log.warn("node: heartbeat failed", { error: (err as Error).message });
        // Past the lease time without a renewal, others may have taken our work.
        if (performance.now() - this.renewedAt >= this.leaseTtlMs) {
          for (const name of [...this.held.keys()]) this.lose(name, "not renewed within the lease time");
        }
      }
    })();
    try {
      await this.ticking;
    } finally {
      this.ticking = undefined;
    }
  }

  private async refreshNodes(): Promise<void> {
    const { rows, now } = await this.opts.store.read(async (tx) => ({
      rows: await tx.nodes.all(),
      now: await tx.nodes.clock(),
    }));
    this.applyNodes(rows, now);
  }

  private applyNodes(rows: NodeRow[], now: number): void {
    const before = JSON.stringify(this.apiAddresses());
    this.nodes = rows.map((r) => toInfo(r, now - this.leaseTtlMs, this.nodeId));
    this.nodesAt = performance.now();
    if (JSON.stringify(this.apiAddresses()) !== before) for (const fn of this.listeners) fn();
  }

  private lose(name: string, why: string): void {
    const h = this.held.get(name);
    if (!h) return;
    this.held.delete(name);
    this.opts.log.warn("node: lease lost; its work stops here", { lease: name, epoch: h.lease.epoch, why });
    for (const fn of h.lost) fn();
  }

  // ---- LeaseAccess -----------------------------------------------------------

  async acquire(name: string): Promise<Fence | undefined> {
    if (this.stopped) return undefined;
    const mine = this.held.get(name);
    if (mine) return fenceOf(mine.lease);
    const lease = await this.opts.store.write((tx) =>
      tx.leases.acquire(name, this.holder, this.leaseTtlMs, `${this.nodeId}/`),
    );
    if (!lease) return undefined;
    const again = this.held.get(name);
    if (again) return fenceOf(again.lease);
    this.held.set(name, { lease, lost: new Set() });
    return fenceOf(lease);
  }

  watch(name: string, lost: () => void): () => void {
    const h = this.held.get(name);
    if (!h) {
      lost();
      return () => undefined;
    }
    h.lost.add(lost);
    return () => void h.lost.delete(lost);
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name)) return;
    await this.opts.store.write((tx) => tx.leases.release(name, this.holder)).catch(() => undefined);
  }

  holds(name: string): boolean {
    return this.held.has(name);
  }

  /** Stops heartbeating, gives every lease up and leaves the node list (a graceful stop). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking?.catch(() => undefined);
    const names = [...this.held.keys()];
    this.held.clear();
    await this.opts.store
      .write(async (tx) => {
        for (const name of names) await tx.leases.release(name, this.holder);
        await tx.agents.disconnectNode(this.nodeId);
        await tx.nodes.remove(this.nodeId, this.incarnation);
      })
      .catch((err: unknown) => this.opts.log.warn("node: could not sign off", { error: String(err) }));
  }
}

function fenceOf(l: Lease): Fence {
  return { name: l.name, holder: l.holder, epoch: l.epoch };
}

function toInfo(r: NodeRow, aliveAfter: number, self: string): NodeInfo {
  let addresses: string[] = [];
  try {
    addresses = JSON.parse(r.addresses) as string[];
  } catch {
    // a row we cannot read has no addresses
  }
  return {
    id: r.id,
    addresses,
    version: r.version,
    hostname: r.hostname,
    pid: r.pid,
    startedAt: r.startedAt,
    heartbeatAt: r.heartbeatAt,
    live: r.heartbeatAt > aliveAfter,
    self: r.id === self,
  };
}
