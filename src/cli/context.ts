// What every command needs: the client store, which controller and model the
// user means, and connections to controllers (closed when the command ends so
// the process exits at once).
import type { FerryClients } from "../client/connect.js";
import { ClientStore, type AccountRecord, type ControllerRecord } from "../client/store/store.js";
import { CliError } from "./errors.js";

export interface Session {
  /** The client's name for the controller. */
  name: string;
  record: ControllerRecord;
  account?: AccountRecord;
  clients: FerryClients;
}

export interface ModelTarget {
  controller: string;
  /** What to send as the request's `model`: "owner/name" when known. */
  model: string;
  /** What the user typed (or the current model). */
  display: string;
}

/** A token within 30 s of its recorded expiry is as good as expired (clocks differ). */
function expired(expiry: string | undefined): boolean {
  if (!expiry) return false;
  const at = Date.parse(expiry);
  return Number.isFinite(at) && at - 30_000 <= Date.now();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CliContext {
  readonly store: ClientStore;
  /** The controller the command is talking to, for error hints. */
  controllerInUse?: string;
  private readonly open: FerryClients[] = [];
  /** Work to finish before the command ends (address refreshes). */
  private readonly pending: Promise<void>[] = [];

  constructor(
    readonly debug: boolean,
    store?: ClientStore,
  ) {
    this.store = store ?? new ClientStore();
  }

  out(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Progress and notices: stderr, so stdout stays clean for scripts. */
  info(text: string): void {
    process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  get stdoutIsTTY(): boolean {
    return Boolean(process.stdout.isTTY);
  }

  /** `-c` if given, else the current controller. */
  async controllerName(flag?: string): Promise<string> {
    if (flag) {
      if (!(await this.store.controller(flag)))
        throw new CliError(`controller "${flag}" not found in the client store`);
      return flag;
    }
    const { currentController } = await this.store.controllers();
    if (!currentController) {
      throw new CliError(
        "no current controller",
        "Bootstrap one with 'ferry bootstrap', log in to one with 'ferry login <host:port> -c <name>', or pick one with 'ferry switch'.",
      );
    }
    return currentController;
  }

  async controllerRecord(name: string): Promise<ControllerRecord> {
    const rec = await this.store.controller(name);
    if (!rec) throw new CliError(`controller "${name}" not found in the client store`);
    return rec;
  }

  /** Connect to a controller without a token (login, info). */
  async anonymous(name: string): Promise<Session> {
    const record = await this.controllerRecord(name);
    return { name, record, clients: await this.connectTo(record, undefined, name) };
  }

  /**
   * Connect to a controller with the stored session token. A token past its
   * expiry is renewed first, when that needs nobody: with the password
   * bootstrap kept, or by asking for it on a terminal.
   */
  async session(name: string): Promise<Session> {
    const record = await this.controllerRecord(name);
    let account = await this.store.account(name);
    if (account?.token && expired(account.tokenExpiry)) account = (await this.renewSession(name)) ?? account;
    if (!account?.token) {
      throw new CliError(`not logged in to controller "${name}"`, `Run 'ferry login -c ${name}' to log in.`);
    }
    this.controllerInUse = name;
    return { name, record, account, clients: await this.connectTo(record, account.token, name) };
  }

  /**
   * Log in again as the stored account's user: with the password bootstrap
   * kept, else by asking on a terminal. Undefined when neither is possible
   * (a script: the caller reports the expired session).
   */
  async renewSession(name: string): Promise<AccountRecord | undefined> {
    const account = await this.store.account(name);
    if (!account?.user) return undefined;
    const { stdinIsTTY, readPassword } = await import("./prompt.js");
    let password = account.password;
    if (!password) {
      if (!stdinIsTTY()) return undefined;
      this.info(`Your session on controller "${name}" has expired.`);
      password = await readPassword(`password for ${account.user} on ${name}: `);
    }
    const { accountFrom, loginWith } = await import("./commands/login.js");
    const anon = await this.anonymous(name);
    let renewed: AccountRecord;
    try {
      renewed = accountFrom(await loginWith(anon.clients, account.user, password), account.user);
    } catch (err) {
      if (err instanceof CliError && account.password) {
        throw new CliError(
          `the password kept for ${account.user} on controller "${name}" was refused: ${err.message}`,
          `Run 'ferry login -c ${name}' to log in again.`,
        );
      }
      throw err;
    }
    const next = { ...renewed, ...(account.password ? { password: account.password } : {}) };
    await this.store.putAccount(name, next);
    return next;
  }

  /**
   * Connects to a controller at every address the client store knows for it
   * (the nodes of an HA controller), moving on when one refuses or is
   * unavailable. When it had to move on, the stored addresses are refreshed
   * from the controller (the one that answered first) before the command ends.
   */
  async connectTo(record: ControllerRecord, token?: string, name?: string): Promise<FerryClients> {
    if (!record.apiEndpoints.length) throw new CliError("the client store has no API address for this controller");
    const { connect } = await import("../client/connect.js");
    const clients: FerryClients = connect({
      addresses: record.apiEndpoints,
      caPem: record.caCert,
      token,
      onAddressChange: (address) => {
        if (name) this.pending.push(this.refreshAddresses(name, clients, address));
      },
    });
    this.open.push(clients);
    return clients;
  }

  /** Records the controller's live addresses, the one that answered first. */
  async refreshAddresses(name: string, clients: FerryClients, working?: string): Promise<void> {
    try {
      const { controller } = await clients.controller.getControllerInfo({}, { timeoutMs: 5000 });
      const record = await this.store.controller(name);
      if (!controller || !record || controller.uuid !== record.uuid) return;
      const first = working ?? clients.address();
      const apiEndpoints = [...new Set([first, ...controller.apiAddresses])];
      if (apiEndpoints.join() !== record.apiEndpoints.join())
        await this.store.putController(name, { ...record, apiEndpoints });
    } catch {
      // Best effort: the addresses stay as they were.
    }
  }

  /**
   * Which model `-m [<controller>:]<model>` (or the current model) means.
   * A bare name is qualified from the model cache ("owner/name") so models
   * shared by other users resolve too; the server has the last word.
   */
  async modelTarget(flag?: string): Promise<ModelTarget> {
    let controllerPart: string | undefined;
    let modelPart: string | undefined = flag;
    if (flag?.includes(":")) {
      const i = flag.indexOf(":");
      controllerPart = flag.slice(0, i);
      modelPart = flag.slice(i + 1);
      // "<controller>:" alone is that controller's current model.
      if (!controllerPart) throw new CliError(`invalid model "${flag}": expected [<controller>:]<model>`);
    }
    const controller = await this.controllerName(controllerPart);
    const cache = await this.store.models(controller);
    if (!modelPart) {
      if (!cache.currentModel) {
        throw new CliError(
          `no current model on controller "${controller}"`,
          `Use 'ferry switch ${controller}:<model>', 'ferry add-model <name>', or -m <model>.`,
        );
      }
      modelPart = cache.currentModel;
    }
    return { controller, model: await this.qualify(controller, modelPart), display: modelPart };
  }

  /** "name" -> "owner/name" when the model cache knows exactly which one. */
  async qualify(controller: string, model: string): Promise<string> {
    if (model.includes("/") || UUID.test(model)) return model;
    const cache = await this.store.models(controller);
    const matches = Object.keys(cache.models).filter((k) => k.slice(k.indexOf("/") + 1) === model);
    const user = (await this.store.account(controller))?.user;
    const own = matches.find((k) => k === `${user}/${model}`);
    if (own) return own;
    return matches.length === 1 ? matches[0]! : model;
  }

  /** Finish pending work, then close every connection this command opened. */
  async close(): Promise<void> {
    await Promise.allSettled(this.pending.splice(0));
    for (const c of this.open.splice(0)) c.close();
  }
}
