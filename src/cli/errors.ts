// Errors the CLI raises itself for expected failures (bad input, missing
// login, refused confirmation). They print as `ERROR <message>` plus optional
// hint lines, never with a stack trace.
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}
