// The transport layer: everything between the wire and the service implementations.
export {
  MAX_MESSAGE_BYTES,
  peerAddressKey,
  registerService,
  registeredServices,
  type Authenticate,
  type RegisterOptions,
} from "./adapter.js";
export {
  callLogInterceptor,
  createCallTracker,
  loggingCallHook,
  type CallLogHook,
  type CallRecord,
  type CallTracker,
} from "./calllog.js";
export {
  serveConnectProtocol,
  type ConnectMount,
  type ConnectProtocol,
  type ConnectProtocolOptions,
} from "./connect-protocol.js";
export { DescriptorIndex, type DescriptorIndexOptions } from "./descriptors.js";
export { HealthState, ServingStatus, createHealthService } from "./health.js";
export {
  createLogger,
  isLogLevel,
  silentLogger,
  type LogFields,
  type LogLevel,
  type Logger,
  type LoggerOptions,
} from "./log.js";
export { answerReflection, createReflectionV1, createReflectionV1Alpha, type ReflectionOptions } from "./reflection.js";
export {
  DEFAULT_GRACE_MS,
  createServerCredentials,
  defaultGrpcOptions,
  serverDrainingKey,
  serviceRegistration,
  startServer,
  type RunningServer,
  type ServiceRegistration,
  type StartServerOptions,
  type TlsMaterial,
} from "./server.js";
export {
  INTERNAL_ERROR_MESSAGE,
  STATUS_DETAILS_KEY,
  errorToStatus,
  metadataToHeaders,
  toConnectError,
} from "./status.js";
