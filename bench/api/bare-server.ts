// The baseline for bench/api: a bare @grpc/grpc-js server on the same TLS
// certificate, answering ferry.v1.ModelService/GetStatus with a fixed,
// pre-serialized response of the same size as Ferry's real answer. No auth,
// no store, no protobuf decoding: what the transport alone costs.
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";

const [certFile, keyFile, responseFile] = process.argv.slice(2);
const response = readFileSync(responseFile);
const server = new grpc.Server({ "grpc.max_receive_message_length": 4 << 20, "grpc.max_send_message_length": 4 << 20 });
const passthrough = (b: Buffer) => b;
server.addService(
  {
    getStatus: {
      path: "/ferry.v1.ModelService/GetStatus",
      requestStream: false,
      responseStream: false,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
    },
  },
  { getStatus: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, response) },
);
const creds = grpc.ServerCredentials.createSsl(null, [
  { cert_chain: readFileSync(certFile), private_key: readFileSync(keyFile) },
]);
server.bindAsync("127.0.0.1:0", creds, (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
process.on("SIGTERM", () => server.forceShutdown());
