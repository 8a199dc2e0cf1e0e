// The client uses the same fingerprint code as the controller's PKI.
export { fingerprintDer, fingerprint as fingerprintPem, normaliseFingerprint } from "../pki/fingerprint.js";
