// The repositories a transaction hands its function, one per area.
import type { Session } from "../session.js";
import { AgentRepo } from "./agents.js";
import { ApplicationRepo, CharmRepo, UnitRepo } from "./applications.js";
import { ControllerRepo, LeaseRepo, NodeRepo } from "./cluster.js";
import { ImportRepo } from "./imports.js";
import { LogRepo } from "./logs.js";
import { MachineRepo } from "./machines.js";
import { MigrationRepo } from "./migrations.js";
import { ModelRepo } from "./models.js";
import { RedirectRepo } from "./redirects.js";
import { RelationRepo } from "./relations.js";
import { StatusRepo } from "./status.js";
import { TokenRepo, UserRepo } from "./users.js";

export class Repos {
  readonly controller: ControllerRepo;
  readonly models: ModelRepo;
  readonly machines: MachineRepo;
  readonly charms: CharmRepo;
  readonly applications: ApplicationRepo;
  readonly units: UnitRepo;
  readonly relations: RelationRepo;
  readonly status: StatusRepo;
  readonly users: UserRepo;
  readonly tokens: TokenRepo;
  readonly migrations: MigrationRepo;
  readonly imports: ImportRepo;
  readonly redirects: RedirectRepo;
  readonly logs: LogRepo;
  readonly agents: AgentRepo;
  readonly leases: LeaseRepo;
  readonly nodes: NodeRepo;

  constructor(private readonly session: Session) {
    this.controller = new ControllerRepo(session, this);
    this.models = new ModelRepo(session, this);
    this.machines = new MachineRepo(session, this);
    this.charms = new CharmRepo(session, this);
    this.applications = new ApplicationRepo(session, this);
    this.units = new UnitRepo(session, this);
    this.relations = new RelationRepo(session, this);
    this.status = new StatusRepo(session, this);
    this.users = new UserRepo(session, this);
    this.tokens = new TokenRepo(session, this);
    this.migrations = new MigrationRepo(session, this);
    this.imports = new ImportRepo(session, this);
    this.redirects = new RedirectRepo(session, this);
    this.logs = new LogRepo(session, this);
    this.agents = new AgentRepo(session, this);
    this.leases = new LeaseRepo(session, this);
    this.nodes = new NodeRepo(session, this);
  }

  /** Which engine runs this transaction ("sqlite" or "postgres"). */
  get engine(): Session["engine"] {
    return this.session.engine;
  }

  /**
   * Serialises writers of one model for the rest of the transaction; call it
   * before a check that a write depends on (e.g. "no migration is active").
   */
  lockModel(modelUuid: string): Promise<void> {
    return this.session.lock(`model:${modelUuid}`);
  }

  /** Serialises the transactions that take the same named lock (e.g. the controller's bootstrap). */
  lock(name: string): Promise<void> {
    return this.session.lock(name);
  }

  /** Bulk insert (SQL table and column names), for the store's own loaders: generated models. */
  insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
    return this.session.insertRows(table, columns, rows);
  }

  /** Records a change of a model made through insertRows (its version moves, watchers hear of it). */
  touch(modelUuid: string): void {
    this.session.touch(modelUuid, "status", "migration", "units", "workload", "config", "log");
  }
}
