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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CliContext {
  readonly store: ClientStore;
  /** The controller the command is talking to, for error hints. */
  controllerInUse?: string;
  private readonly open: FerryClients[] = [];

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
    return { name, record, clients: await this.connectTo(record) };
  }

  /** Connect to a controller with the stored session token. */
  async session(name: string): Promise<Session> {
    const record = await this.controllerRecord(name);
    const account = await this.store.account(name);
    if (!account?.token) {
      throw new CliError(`not logged in to controller "${name}"`, `Run 'ferry login -c ${name}' to log in.`);
    }
    this.controllerInUse = name;
    return { name, record, account, clients: await this.connectTo(record, account.token) };
  }

  async connectTo(record: ControllerRecord, token?: string): Promise<FerryClients> {
    const address = record.apiEndpoints[0];
    if (!address) throw new CliError("the client store has no API address for this controller");
    const { connect } = await import("../client/connect.js");
    const clients = connect({ address, caPem: record.caCert, token });
    this.open.push(clients);
    return clients;
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
      if (!controllerPart || !modelPart) throw new CliError(`invalid model "${flag}": expected [<controller>:]<model>`);
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

  /** Close every connection this command opened. */
  close(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}
