// The public face of src/client: typed clients, typed errors, CA trust.
export * from "./connect.js";
export * from "./errors.js";
export * from "./fingerprint.js";
export * from "./fetch-ca.js";
export * from "./health.js";
export * from "./store/store.js";
