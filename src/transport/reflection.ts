// gRPC server reflection, v1 and v1alpha, as bidi streams through the adapter.
//
// Both versions are served because older grpcurl builds and many tools only speak
// v1alpha. The two protos are wire-identical apart from their package name, so the
// logic is written once against v1 and v1alpha messages are transcoded through
// their binary form (same field numbers, same types).
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptors.js";
import { until } from "./signals.js";

export interface ReflectionOptions {
  index: DescriptorIndex;
  /** The services to list: those actually registered on the server. */
  listServices: () => readonly string[];
  /** When aborted (server draining), open reflection streams end cleanly. */
  drainSignal?: AbortSignal;
}

type ResponseInit = MessageInitShape<typeof v1.ServerReflectionResponseSchema>;

/** Answer one reflection request; never throws, errors are ErrorResponse messages. */
export function answerReflection(
  req: v1.ServerReflectionRequest,
  opts: Pick<ReflectionOptions, "index" | "listServices">,
): v1.ServerReflectionResponse {
  return create(v1.ServerReflectionResponseSchema, {
    validHost: req.host,
    originalRequest: req,
    ...answerBody(req, opts),
  });
}

function answerBody(
  req: v1.ServerReflectionRequest,
  { index, listServices }: Pick<ReflectionOptions, "index" | "listServices">,
): ResponseInit {
  const r = req.messageRequest;
  switch (r.case) {
    case "listServices":
      return {
        messageResponse: {
          case: "listServicesResponse",
          value: { service: [...listServices()].sort().map((name) => ({ name })) },
        },
      };
    case "fileByFilename":
      return files(index.fileByName(r.value), `file "${r.value}" not found`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(r.value), `symbol "${r.value}" not found`);
    case "fileContainingExtension":
      return files(
        index.fileContainingExtension(r.value.containingType, r.value.extensionNumber),
        `extension ${r.value.extensionNumber} of "${r.value.containingType}" not found`,
      );
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(r.value);
      if (!numbers) return error(Code.NotFound, `type "${r.value}" not found`);
      return {
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: r.value, extensionNumber: numbers },
        },
      };
    }
    default:
      return error(Code.InvalidArgument, "empty reflection request: set one of the message_request fields");
  }
}

function files(protos: Uint8Array[] | undefined, notFound: string): ResponseInit {
  if (!protos) return error(Code.NotFound, notFound);
  return { messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: protos } } };
}

function error(code: Code, message: string): ResponseInit {
  return { messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } } };
}

/** grpc.reflection.v1.ServerReflection */
export function createReflectionV1(opts: ReflectionOptions): ServiceImpl<typeof v1.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of until(requests, opts.drainSignal)) yield answerReflection(req, opts);
    },
  };
}

/** grpc.reflection.v1alpha.ServerReflection, transcoded onto the v1 logic. */
export function createReflectionV1Alpha(opts: ReflectionOptions): ServiceImpl<typeof v1alpha.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of until(requests, opts.drainSignal)) {
        const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, req));
        const res = answerReflection(asV1, opts);
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, res));
      }
    },
  };
}
