// What every repository shares: its transaction's session and its siblings
// (a unit insert writes status history and a log entry through theirs).
import type { Repos } from "./index.js";
import type { Db, Session, Tables } from "../session.js";

export abstract class Repo {
  constructor(
    protected readonly s: Session,
    protected readonly r: Repos,
  ) {}

  protected get db(): Db {
    return this.s.db;
  }

  protected get t(): Tables {
    return this.s.t;
  }
}
