// Reference commands an operator may type that Ferry does not have (yet),
// each with why and what to do instead: better than commander's nearest
// spelling, which suggests remove-unit for remove-user. docs/cli.md lists
// the same commands.
export const NOT_YET: Record<string, string> = {
  "remove-user": "users cannot be removed yet; take their access away with 'ferry revoke <user> <access> <model>'",
  "disable-user": "users cannot be disabled yet; take their access away with 'ferry revoke'",
  "enable-user": "users cannot be disabled, so there is nothing to enable",
  "show-user": "'ferry users' shows every user with their access and last connection",
  machines: "'ferry status' shows the machines ('ferry status --format json | jq .machines' for scripts)",
  applications: "'ferry status' shows the applications",
  refresh: "charms cannot be upgraded in place yet; deploy the new revision as another application",
  resolved: "units in Ferry have no hook errors to resolve",
  exec: "Ferry's agents run no commands on machines",
  run: "Ferry's charms have no actions",
  ssh: "Ferry's machines are simulated or local agent processes, with no shell to open",
  "scale-application": "for machine models use 'ferry add-unit' and 'ferry remove-unit'",
  offer: "cross-model relations are not supported",
  consume: "cross-model relations are not supported",
  "model-defaults": "set each model's config with 'ferry model-config'",
  "controller-config": "controller settings are ferryd flags and environment variables (ferryd --help)",
  "upgrade-controller":
    "upgrade by migrating models to a controller of the new version ('ferry migrate -c <old> --all <new>')",
  "add-cloud": "clouds are named at bootstrap ('ferry bootstrap <cloud>[/<region>] <name>')",
  clouds: "clouds are named at bootstrap; 'ferry show-controller' shows a controller's",
  register: "log in to a controller with 'ferry login <host:port> -c <name>'",
  unregister: "'ferry logout' ends the session; 'ferry kill-controller' removes one this client bootstrapped",
};

/** The first command word of argv (after global options), if it is one of the above. */
export function notYetCommand(args: string[]): { name: string; why: string } | undefined {
  const name = args.find((a) => !a.startsWith("-"));
  if (name === undefined || !Object.hasOwn(NOT_YET, name)) return undefined;
  return { name, why: NOT_YET[name]! };
}
