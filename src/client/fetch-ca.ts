// Trust on first use: learn a controller's CA before we trust it.
//
// We open ONE TLS connection without verification, ask the controller for its
// identity (GetControllerInfo needs no token) over that same connection, and
// then check that the CA it names actually signed the certificate this very
// connection presented. Only then is the fingerprint worth showing to a
// person: it is the CA we will pin from now on, not just a string the server
// chose to send.
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { Http2SessionManager } from "@connectrpc/connect-node";
import type { Controller } from "../../gen/ts/ferry/v1/controller_pb.js";
import { baseUrl, clientsOver } from "./connect.js";
import { fingerprintDer } from "./fingerprint.js";

export interface FetchedCa {
  caPem: string;
  /** SHA-256 fingerprint of the CA DER, computed here (not taken from the server). */
  fingerprint: string;
  /** What the controller says about itself; trust it only after the user trusts the CA. */
  controller: Controller;
}

export class UntrustworthyCaError extends Error {}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid address "${address}": expected host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

function openUnverified(address: string, timeoutMs: number): Promise<TLSSocket> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port,
      // Verification is off on purpose: we do not know the CA yet. Nothing but
      // GetControllerInfo travels over this socket.
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
      ...(isIP(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${address}`));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Throws unless `caPem` is a certificate that signed `leaf`. */
export function assertIssuedBy(leaf: X509Certificate, caPem: string): X509Certificate {
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch {
    throw new UntrustworthyCaError("the controller sent a CA certificate that cannot be parsed");
  }
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
    throw new UntrustworthyCaError(
      "the CA certificate the controller reports did not sign the certificate it presented; refusing to trust it",
    );
  }
  return ca;
}

export async function fetchControllerCa(address: string, timeoutMs = 10_000): Promise<FetchedCa> {
  const socket = await openUnverified(address, timeoutMs);
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) {
    socket.destroy();
    throw new UntrustworthyCaError(`${address} presented no TLS certificate`);
  }
  // Reuse the socket we inspected, so the answer comes from the same peer.
  let handedOut = false;
  const manager = new Http2SessionManager(
    baseUrl(address),
    {},
    {
      createConnection: () => {
        if (handedOut) throw new Error("connection to controller lost while fetching its CA");
        handedOut = true;
        return socket;
      },
    },
  );
  const clients = clientsOver(manager, address, { unaryTimeoutMs: timeoutMs });
  try {
    const res = await clients.controller.getControllerInfo({});
    const controller = res.controller;
    if (!controller?.caCert) throw new UntrustworthyCaError(`${address} did not report a CA certificate`);
    const ca = assertIssuedBy(leaf, controller.caCert);
    return { caPem: ca.toString(), fingerprint: fingerprintDer(ca.raw), controller };
  } finally {
    clients.close();
    socket.destroy();
  }
}
