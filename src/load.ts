// Load you can see (issue 12 item 3), kept by every ferryd whether metrics
// are on or not: per-model API calls (reads, writes, agent status reports)
// over sliding 1, 5 and 15 minute windows, watch streams open per model, and
// the process's own figures (calls per second, event-loop lag p99, RSS, CPU).
// Per process: each node of an HA controller counts what it serves.
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** 10 s buckets over 15 minutes: the 1, 5 and 15 minute windows. */
const BUCKET_MS = 10_000;
const BUCKETS = 90;

export type LoadKind = "read" | "write" | "report";

/** Counts over the last 15 minutes in 10 s buckets, read back as rates per window. */
class Ring {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  private at = 0;

  constructor(private readonly now: () => number) {
    this.at = Math.floor(now() / BUCKET_MS);
  }

  private advance(bucket: number): void {
    for (let i = 1; i <= Math.min(BUCKETS, bucket - this.at); i++) this.counts[(this.at + i) % BUCKETS] = 0;
    this.at = Math.max(this.at, bucket);
  }

  add(n = 1): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    this.advance(bucket);
    this.counts[bucket % BUCKETS]! += n;
  }

  /** Per second over the last `windowMs`. */
  rate(windowMs: number): number {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    this.advance(bucket);
    const n = Math.max(1, Math.min(BUCKETS, Math.round(windowMs / BUCKET_MS)));
    let s = 0;
    for (let i = 0; i < n; i++) s += this.counts[(bucket - i + BUCKETS * 2) % BUCKETS]!;
    return s / ((n * BUCKET_MS) / 1000);
  }
}

interface ModelCounts {
  name: string;
  rings: Record<LoadKind, Ring>;
  /** When a call was last counted: a model silent for the whole window is dropped. */
  last: number;
}

const WINDOW_MS = BUCKETS * BUCKET_MS;

/** Per-model call counts over sliding windows, in this process. */
export class ModelLoad {
  private readonly models = new Map<string, ModelCounts>();

  constructor(private readonly now: () => number = Date.now) {}

  record(modelUuid: string, name: string, kind: LoadKind): void {
    let m = this.models.get(modelUuid);
    if (!m) {
      const ring = () => new Ring(this.now);
      m = { name, rings: { read: ring(), write: ring(), report: ring() }, last: 0 };
      this.models.set(modelUuid, m);
    }
    m.name = name;
    m.last = this.now();
    m.rings[kind].add();
  }

  /** Calls per second of each kind over the last `windowMs`, per model seen in the last 15 minutes. */
  rates(windowMs: number): { uuid: string; name: string; read: number; write: number; report: number }[] {
    const out = [];
    for (const [uuid, m] of this.models) {
      if (this.now() - m.last >= WINDOW_MS) {
        this.models.delete(uuid);
        continue;
      }
      const r = m.rings;
      out.push({
        uuid,
        name: m.name,
        read: r.read.rate(windowMs),
        write: r.write.rate(windowMs),
        report: r.report.rate(windowMs),
      });
    }
    return out
      .filter((x) => x.read || x.write || x.report)
      .sort((a, b) => b.read + b.write + b.report - (a.read + a.write + a.report));
  }
}

export const WINDOWS_MS = { oneMinute: 60_000, fiveMinutes: 300_000, fifteenMinutes: 900_000 } as const;

/** This process's own load. */
export class ProcessLoad {
  readonly models: ModelLoad;
  private readonly calls: Ring;
  private readonly lag: IntervalHistogram;
  private readonly streams = new Map<string, number>();
  private cpuAt = { time: Date.now(), usage: process.cpuUsage() };
  private cpuPercent = 0;
  private lastLagP99 = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.models = new ModelLoad(now);
    this.calls = new Ring(now);
    this.lag = monitorEventLoopDelay({ resolution: 10 });
    this.lag.enable();
    // Lag p99 and CPU over the last minute or so: reset each minute.
    const t = setInterval(() => this.sample(), 60_000);
    t.unref();
  }

  /** CPU percent of one core since the last sample, and the reading it was taken from. */
  private cpuSinceSample(): { percent: number; time: number; usage: NodeJS.CpuUsage } {
    const usage = process.cpuUsage();
    const time = Date.now();
    const micros = usage.user - this.cpuAt.usage.user + (usage.system - this.cpuAt.usage.system);
    return { percent: (micros / 1000 / Math.max(1, time - this.cpuAt.time)) * 100, time, usage };
  }

  private sample(): void {
    const cpu = this.cpuSinceSample();
    this.cpuPercent = cpu.percent;
    this.cpuAt = { time: cpu.time, usage: cpu.usage };
    this.lastLagP99 = this.lag.percentile(99) / 1e6;
    this.lag.reset();
  }

  call(): void {
    this.calls.add();
  }

  callRates(): { oneMinute: number; fiveMinutes: number; fifteenMinutes: number } {
    return {
      oneMinute: this.calls.rate(WINDOWS_MS.oneMinute),
      fiveMinutes: this.calls.rate(WINDOWS_MS.fiveMinutes),
      fifteenMinutes: this.calls.rate(WINDOWS_MS.fifteenMinutes),
    };
  }

  /** A watch stream on a model opened; call the result when it ends. */
  streamOpened(modelUuid: string): () => void {
    this.streams.set(modelUuid, (this.streams.get(modelUuid) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.streams.get(modelUuid) ?? 1) - 1;
      if (n > 0) this.streams.set(modelUuid, n);
      else this.streams.delete(modelUuid);
    };
  }

  streamsOpen(modelUuid: string): number {
    return this.streams.get(modelUuid) ?? 0;
  }

  /** Event-loop lag p99 (seconds) since the last sample, or over the last minute. */
  lagP99Seconds(): number {
    const current = this.lag.count ? this.lag.percentile(99) / 1e6 : 0;
    return Math.max(current, this.lastLagP99);
  }

  figures(): { rssBytes: number; cpuPercent: number } {
    const { percent: recent, time } = this.cpuSinceSample();
    return {
      rssBytes: process.memoryUsage.rss(),
      cpuPercent: time - this.cpuAt.time > 5000 ? recent : this.cpuPercent || recent,
    };
  }
}

/** The process's load, always kept (cheap: a few array writes a call). */
export const processLoad = new ProcessLoad();
