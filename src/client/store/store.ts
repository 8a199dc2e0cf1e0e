// The client store in $FERRY_HOME: what this client knows about controllers,
// its sessions on them, and the models it has seen. Plain YAML a person can
// read; kebab-case keys on disk, camelCase in code.
import { homedir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { readIfExists, withFileLock, writeFileAtomic } from "./files.js";

export interface ControllerRecord {
  uuid: string;
  apiEndpoints: string[];
  caCert: string;
  caFingerprint: string;
  agentVersion?: string;
  cloud?: string;
  cloudType?: string;
  region?: string;
  /** Only for controllers bootstrapped by this client: where ferryd keeps its data. */
  dataDir?: string;
  /** Only for bootstrapped controllers: the file ferryd writes its address and pid to. */
  pidFile?: string;
  pid?: number;
  /** The store the controller runs on, for display: "sqlite", or its PostgreSQL URL without a password. */
  store?: string;
  /** More nodes of a bootstrapped controller this client started (`ferry enable-ha`). */
  nodes?: LocalNode[];
}

/** A ferryd process of a controller, started by this client. */
export interface LocalNode {
  dataDir: string;
  pidFile: string;
  pid?: number;
  address?: string;
}

export interface AccountRecord {
  user: string;
  token?: string;
  /** RFC 3339. */
  tokenExpiry?: string;
  /** Controller access as of the last login, e.g. "superuser". */
  access?: string;
  /**
   * Only for the user `ferry bootstrap` created (as the reference keeps it in
   * its accounts file): lets an expired session renew itself. The file is
   * 0600; `ferry logout` forgets it.
   */
  password?: string;
}

export interface ModelRecord {
  uuid: string;
  type?: string;
}

export interface ModelsOfController {
  /** Keyed by "owner/name". */
  models: Record<string, ModelRecord>;
  currentModel?: string;
}

const PUBLIC_MODE = 0o644;
const SECRET_MODE = 0o600;

export function ferryHome(): string {
  return process.env.FERRY_HOME || join(homedir(), ".local", "share", "ferry");
}

type Doc = Record<string, unknown>;

function asDoc(v: unknown): Doc {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Doc) : {};
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

function controllerFromYaml(d: Doc): ControllerRecord {
  const endpoints = Array.isArray(d["api-endpoints"]) ? (d["api-endpoints"] as unknown[]).map(String) : [];
  return dropUndefined({
    uuid: str(d.uuid) ?? "",
    apiEndpoints: endpoints,
    caCert: str(d["ca-cert"]) ?? "",
    caFingerprint: str(d["ca-fingerprint"]) ?? "",
    agentVersion: str(d["agent-version"]),
    cloud: str(d.cloud),
    cloudType: str(d["cloud-type"]),
    region: str(d.region),
    dataDir: str(d["data-dir"]),
    pidFile: str(d["pid-file"]),
    pid: typeof d.pid === "number" ? d.pid : undefined,
    store: str(d.store),
    nodes: Array.isArray(d.nodes)
      ? (d.nodes as unknown[]).map((n) => {
          const nd = asDoc(n);
          return dropUndefined({
            dataDir: str(nd["data-dir"]) ?? "",
            pidFile: str(nd["pid-file"]) ?? "",
            pid: typeof nd.pid === "number" ? nd.pid : undefined,
            address: str(nd.address),
          });
        })
      : undefined,
  });
}

function controllerToYaml(c: ControllerRecord): Doc {
  return dropUndefined({
    uuid: c.uuid,
    "api-endpoints": c.apiEndpoints,
    "ca-cert": c.caCert,
    "ca-fingerprint": c.caFingerprint,
    "agent-version": c.agentVersion,
    cloud: c.cloud,
    "cloud-type": c.cloudType,
    region: c.region,
    "data-dir": c.dataDir,
    "pid-file": c.pidFile,
    pid: c.pid,
    store: c.store,
    nodes: c.nodes?.map((n) =>
      dropUndefined({ "data-dir": n.dataDir, "pid-file": n.pidFile, pid: n.pid, address: n.address }),
    ),
  });
}

function accountFromYaml(d: Doc): AccountRecord {
  return dropUndefined({
    user: str(d.user) ?? "",
    token: str(d.token),
    tokenExpiry: str(d["token-expiry"]),
    access: str(d["last-known-access"]),
    password: str(d.password),
  });
}

function accountToYaml(a: AccountRecord): Doc {
  return dropUndefined({
    user: a.user,
    token: a.token,
    "token-expiry": a.tokenExpiry,
    "last-known-access": a.access,
    password: a.password,
  });
}

function modelsFromYaml(d: Doc): ModelsOfController {
  const models: Record<string, ModelRecord> = {};
  for (const [name, v] of Object.entries(asDoc(d.models))) {
    const md = asDoc(v);
    models[name] = dropUndefined({ uuid: str(md.uuid) ?? "", type: str(md.type) });
  }
  const current = str(d["current-model"]);
  return current ? { models, currentModel: current } : { models };
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export class ClientStore {
  // Parsed files, per store instance: a command reads the same few files many
  // times and start-up time matters. Writes go through update(), which reads
  // under the lock and refreshes this.
  private readonly cache = new Map<string, Doc>();

  constructor(readonly home: string = ferryHome()) {}

  private path(file: string): string {
    return join(this.home, file);
  }

  private async read(file: string): Promise<Doc> {
    const cached = this.cache.get(file);
    if (cached) return structuredClone(cached);
    const doc = await this.readFresh(file);
    this.cache.set(file, doc);
    return structuredClone(doc);
  }

  private async readFresh(file: string): Promise<Doc> {
    const text = await readIfExists(this.path(file));
    if (text === undefined || text.trim() === "") return {};
    try {
      return asDoc(parse(text));
    } catch (err) {
      throw new Error(`cannot read ${this.path(file)}: ${(err as Error).message}`);
    }
  }

  /** Read-modify-write under the file's lock, then replace it atomically. */
  private async update(file: string, mode: number, fn: (doc: Doc) => void): Promise<void> {
    await withFileLock(this.path(file), async () => {
      const doc = await this.readFresh(file);
      fn(doc);
      await writeFileAtomic(this.path(file), stringify(doc, { lineWidth: 0 }), mode);
      this.cache.set(file, doc);
    });
  }

  private static section(doc: Doc, key = "controllers"): Doc {
    const s = asDoc(doc[key]);
    doc[key] = s;
    return s;
  }

  // --- controllers.yaml -------------------------------------------------

  async controllers(): Promise<{ controllers: Record<string, ControllerRecord>; currentController?: string }> {
    const doc = await this.read("controllers.yaml");
    const out: Record<string, ControllerRecord> = {};
    for (const [name, d] of Object.entries(asDoc(doc.controllers))) out[name] = controllerFromYaml(asDoc(d));
    const current = str(doc["current-controller"]);
    return current && out[current] ? { controllers: out, currentController: current } : { controllers: out };
  }

  async controller(name: string): Promise<ControllerRecord | undefined> {
    return (await this.controllers()).controllers[name];
  }

  async putController(name: string, rec: ControllerRecord): Promise<void> {
    await this.update("controllers.yaml", PUBLIC_MODE, (doc) => {
      ClientStore.section(doc)[name] = controllerToYaml(rec);
    });
  }

  async setCurrentController(name: string | undefined): Promise<void> {
    await this.update("controllers.yaml", PUBLIC_MODE, (doc) => {
      if (name === undefined) delete doc["current-controller"];
      else doc["current-controller"] = name;
    });
  }

  /** What `switch -` goes back to: "<controller>" or "<controller>:<model>" (the reference keeps it too). */
  async previousTarget(): Promise<string | undefined> {
    return str((await this.read("controllers.yaml"))["previous-target"]);
  }

  async setPreviousTarget(target: string): Promise<void> {
    await this.update("controllers.yaml", PUBLIC_MODE, (doc) => {
      doc["previous-target"] = target;
    });
  }

  /** Forget a controller entirely: its record, account and model cache. */
  async removeController(name: string): Promise<void> {
    await this.update("controllers.yaml", PUBLIC_MODE, (doc) => {
      delete ClientStore.section(doc)[name];
      if (doc["current-controller"] === name) delete doc["current-controller"];
    });
    await this.update("accounts.yaml", SECRET_MODE, (doc) => {
      delete ClientStore.section(doc)[name];
    });
    await this.update("models.yaml", PUBLIC_MODE, (doc) => {
      delete ClientStore.section(doc)[name];
    });
  }

  // --- accounts.yaml (secrets: 0600) -------------------------------------

  async account(controller: string): Promise<AccountRecord | undefined> {
    const d = asDoc((await this.read("accounts.yaml")).controllers)[controller];
    return d === undefined ? undefined : accountFromYaml(asDoc(d));
  }

  async putAccount(controller: string, rec: AccountRecord | undefined): Promise<void> {
    await this.update("accounts.yaml", SECRET_MODE, (doc) => {
      const s = ClientStore.section(doc);
      if (rec === undefined) delete s[controller];
      else s[controller] = accountToYaml(rec);
    });
  }

  // --- models.yaml --------------------------------------------------------

  async models(controller: string): Promise<ModelsOfController> {
    return modelsFromYaml(asDoc(asDoc((await this.read("models.yaml")).controllers)[controller]));
  }

  /**
   * Change one controller's model cache. `fn` gets the models keyed by
   * "owner/name" and the current model, and edits them in place.
   */
  async updateModels(controller: string, fn: (m: ModelsOfController) => void): Promise<void> {
    await this.update("models.yaml", PUBLIC_MODE, (doc) => {
      const s = ClientStore.section(doc);
      const m = modelsFromYaml(asDoc(s[controller]));
      fn(m);
      const out: Doc = {
        models: Object.fromEntries(Object.entries(m.models).map(([k, v]) => [k, dropUndefined({ ...v })])),
      };
      if (m.currentModel) out["current-model"] = m.currentModel;
      s[controller] = out;
    });
  }
}
