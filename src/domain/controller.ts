// The identity of the controller a process serves, as every layer sees it.

export interface ControllerIdentity {
  uuid: string;
  name: string;
  /** Controller (and default model agent) version, e.g. "1.0.0". */
  version: string;
  cloud: string;
  cloudType: string;
  region: string;
  /** Regions offered by this controller's cloud (the default region first). */
  regions: string[];
  /** API addresses, host:port, known once the server is listening. */
  addresses: string[];
  caCertPem: string;
  caFingerprint: string;
  controllerModelUuid: string;
}
