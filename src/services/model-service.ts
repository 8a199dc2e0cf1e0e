// ModelService: models and everything in them. The handlers live in one
// module per concern (models, charms, deploy, relations, config, streams);
// this module assembles them into the service implementation the transport
// mounts.
import type { ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { charmHandlers } from "./model-service-charms.js";
import { configHandlers } from "./model-service-config.js";
import { deployHandlers } from "./model-service-deploy.js";
import { modelHandlers } from "./model-service-models.js";
import { relationHandlers } from "./model-service-relations.js";
import { removeHandlers } from "./model-service-remove.js";
import { streamHandlers } from "./model-service-streams.js";
import type { ModelServiceDeps } from "./model-service-support.js";

export type { ModelServiceDeps } from "./model-service-support.js";
export { createChangeHub, type ChangeHub, type ModelChange, type ModelChangeKind } from "../store/index.js";
export { createSimulator, type Simulator, type SimulatorOptions, type LogSink } from "./simulator.js";

export function createModelService(deps: ModelServiceDeps): ServiceImpl<typeof ModelService> {
  return {
    ...modelHandlers(deps),
    ...charmHandlers(deps),
    ...deployHandlers(deps),
    ...relationHandlers(deps),
    ...removeHandlers(deps),
    ...configHandlers(deps),
    ...streamHandlers(deps),
  };
}
