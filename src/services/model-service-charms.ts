// ModelService: charms. Listing what a model can deploy, uploading local
// charm archives (streamed, size- and SHA-256-checked), and resolving the
// charm a deploy names, copying a built-in sample into the model on first use.
import { createHash } from "node:crypto";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import type { Charm } from "../../gen/ts/ferry/v1/resources_pb.js";
import { builtinCharm, builtinCharms } from "../domain/charm-samples.js";
import {
  formatCharmUrl,
  MAX_CHARM_ARCHIVE,
  metaFromStored,
  verifyCharmArchive,
  parseCharmUrl,
  storedMetadata,
  type CharmMeta,
} from "../domain/charms.js";
import { validateCharmName } from "../domain/names.js";
import type { CharmInfoRow, Repos } from "../store/index.js";
import { badField, ferryError, notFound, unavailable } from "./errors.js";
import { toCharm, type CharmFacts } from "./model-mapping.js";
import { clock, invalidWithReason, liveModel, modelFor, type ModelServiceDeps } from "./model-service-support.js";
import { UploadSpool } from "./upload-spool.js";

const MAX_CHUNK = 1024 * 1024;

function factsOf(row: CharmInfoRow): CharmFacts {
  return {
    meta: metaFromStored(row.name, row.metadata),
    revision: row.revision,
    url: row.url,
    sha256: row.sha256,
    size: row.size,
  };
}

/** A charm stored in the model, with its parsed metadata. */
export interface ModelCharm extends CharmFacts {
  meta: CharmMeta;
}

async function copyBuiltin(tx: Repos, modelUuid: string, name: string, now: number): Promise<ModelCharm | undefined> {
  const b = builtinCharm(name);
  if (!b) return undefined;
  const existing = await tx.charms.findInfo(modelUuid, b.url);
  if (existing) return factsOf(existing);
  await tx.charms.insert({
    modelUuid,
    url: b.url,
    name,
    revision: b.revision,
    source: "builtin",
    metadata: JSON.stringify(storedMetadata(b.meta)),
    sha256: b.sha256,
    size: b.size,
    archive: Buffer.from(b.archive),
    createdAt: now,
  });
  return { meta: b.meta, revision: b.revision, url: b.url, sha256: b.sha256, size: b.size };
}

/**
 * Resolves what a deploy names: a built-in sample ("postgresql"), an uploaded
 * charm by name (its latest revision), or a URL ("local:foo-2", "local:foo",
 * "ferry:postgresql-3"). Built-ins are copied into the model on first use so
 * their archive migrates with it. Runs inside the deploy's transaction.
 */
export async function resolveCharmForDeploy(
  tx: Repos,
  modelUuid: string,
  ref: string,
  now: number,
): Promise<ModelCharm> {
  if (!ref) throw badField("charm", 'a charm is required: a built-in name such as "postgresql" or an uploaded URL');
  const available = builtinCharms()
    .map((c) => c.meta.name)
    .join(", ");
  if (ref.includes(":")) {
    const url = parseCharmUrl(ref);
    if (!url)
      throw badField("charm", `"${ref}" is not a valid charm URL: use local:<name>-<rev> or ferry:<name>-<rev>`);
    if (url.revision < 0) {
      const latest = await tx.charms.latestRevision(modelUuid, url.source, url.name);
      if (latest) return factsOf(latest);
      if (url.source === "builtin") {
        const copied = await copyBuiltin(tx, modelUuid, url.name, now);
        if (copied) return copied;
      }
      throw notFound(`charm "${ref}"`, "CHARM_NOT_FOUND");
    }
    const full = formatCharmUrl(url);
    const stored = await tx.charms.findInfo(modelUuid, full);
    if (stored) return factsOf(stored);
    if (url.source === "builtin" && builtinCharm(url.name)?.url === full)
      return (await copyBuiltin(tx, modelUuid, url.name, now))!;
    throw notFound(`charm "${full}"`, "CHARM_NOT_FOUND");
  }
  const badName = validateCharmName(ref);
  if (badName) throw badField("charm", badName);
  const builtin = await copyBuiltin(tx, modelUuid, ref, now);
  if (builtin) return builtin;
  const local = await tx.charms.latestRevision(modelUuid, "local", ref);
  if (local) return factsOf(local);
  throw ferryError(
    Code.NotFound,
    "CHARM_NOT_FOUND",
    `charm "${ref}" not found: deploy a built-in charm (${available}) or upload a local charm first`,
  );
}

/** The stored charm of an application (its metadata drives relations and config). */
export async function charmOf(tx: Repos, modelUuid: string, url: string): Promise<ModelCharm> {
  const row = await tx.charms.findInfo(modelUuid, url);
  // Every application's charm is stored with the model; missing means a broken import.
  if (!row) throw ferryError(Code.FailedPrecondition, "CHARM_MISSING", `charm ${url} is missing from the model`);
  return factsOf(row);
}

type CharmHandlers = Pick<ServiceImpl<typeof ModelService>, "listCharms" | "uploadCharm">;

/**
 * Bytes of charm uploads this process may be receiving at once (declared
 * sizes, reserved when an upload starts, released when it ends however it
 * ends). More is refused with UNAVAILABLE + RetryInfo, UPLOADS_BUSY. The
 * bytes arrive in a spool file (upload-spool.ts), so this bounds the disk
 * they take and the archives that can be read back and checked at once.
 */
export const MAX_UPLOAD_BYTES_IN_FLIGHT = 256 * 1024 * 1024;
let uploadsInFlight = 0;

export function charmHandlers(deps: ModelServiceDeps): CharmHandlers {
  const { store } = deps;
  return {
    async listCharms(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "read");
      const stored = await store.read((tx) => tx.charms.listInfos(model.uuid));
      const storedUrls = new Set(stored.map((c) => c.url));
      const charms: Charm[] = builtinCharms()
        .filter((b) => !storedUrls.has(b.url))
        .map((b) => toCharm(b));
      charms.push(...stored.map((c) => toCharm(factsOf(c))));
      charms.sort((a, b) => a.name.localeCompare(b.name) || a.url.localeCompare(b.url));
      return { charms };
    },

    async uploadCharm(requests, ctx) {
      let model: Awaited<ReturnType<typeof modelFor>>["model"] | undefined;
      let size = 0;
      let reserved = 0;
      let spool: UploadSpool | undefined;
      try {
        let expected = "";
        const hash = createHash("sha256");
        let received = 0;
        for await (const msg of requests) {
          if (!model) {
            if (msg.data.case !== "metadata") {
              throw badField("metadata", "the first message must carry the upload metadata (model, size, sha256)");
            }
            const md = msg.data.value;
            model = (await modelFor(deps, ctx, md.model, "write", true)).model;
            size = Number(md.size);
            if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_CHARM_ARCHIVE) {
              throw badField("metadata.size", `must be between 1 and ${MAX_CHARM_ARCHIVE} bytes, got ${md.size}`);
            }
            expected = md.sha256.toLowerCase();
            if (!/^[0-9a-f]{64}$/.test(expected)) {
              throw badField("metadata.sha256", "must be the archive's SHA-256 as 64 hex digits");
            }
            // The whole declared size, held until the upload ends: uploads left
            // open cannot take the controller's memory between them.
            if (uploadsInFlight + size > MAX_UPLOAD_BYTES_IN_FLIGHT) {
              throw unavailable(
                "UPLOADS_BUSY",
                `the controller is receiving ${uploadsInFlight} bytes of uploads already (at most ${MAX_UPLOAD_BYTES_IN_FLIGHT}); try again shortly`,
                5000,
              );
            }
            uploadsInFlight += size;
            reserved = size;
            spool = await UploadSpool.create(deps.spoolDir);
            continue;
          }
          if (msg.data.case !== "chunk") throw badField("metadata", "metadata may only be sent once, first");
          const chunk = msg.data.value;
          if (chunk.length > MAX_CHUNK)
            throw badField("chunk", `chunks must be at most ${MAX_CHUNK} bytes, got ${chunk.length}`);
          received += chunk.length;
          if (received > size) {
            throw badField("metadata.size", `received more than the declared ${size} bytes`);
          }
          hash.update(chunk);
          await spool!.append(chunk);
        }
        if (!model) throw badField("metadata", "the upload was empty: send the metadata, then the archive in chunks");
        if (received !== size) {
          throw invalidWithReason("SIZE_MISMATCH", "metadata.size", `declared ${size} bytes but received ${received}`);
        }
        const actual = hash.digest("hex");
        if (actual !== expected) {
          throw invalidWithReason(
            "CHECKSUM_MISMATCH",
            "metadata.sha256",
            `SHA-256 mismatch: declared ${expected}, received archive has ${actual}; the archive was corrupted or the checksum is wrong`,
          );
        }
        // Read back only now that it is complete and its digest checked.
        const archive = await spool!.contents();
        const parsed = await verifyCharmArchive(archive);
        if ("error" in parsed)
          throw invalidWithReason("INVALID_CHARM", "chunk", `invalid charm archive: ${parsed.error}`);
        const meta = parsed.meta;
        const uuid = model.uuid;
        const facts = await store.write(async (tx): Promise<CharmFacts> => {
          await liveModel(tx, uuid);
          const now = clock(deps);
          const latest = await tx.charms.latestRevision(uuid, "local", meta.name);
          const revision = latest ? latest.revision + 1 : 0;
          const url = formatCharmUrl({ source: "local", name: meta.name, revision });
          await tx.charms.insert({
            modelUuid: uuid,
            url,
            name: meta.name,
            revision,
            source: "local",
            metadata: JSON.stringify(storedMetadata(meta)),
            sha256: actual,
            size,
            archive,
            createdAt: now,
          });
          await tx.logs.append(uuid, {
            entity: "model",
            level: "INFO",
            module: "ferry.charms",
            message: `charm ${url} uploaded (${size} bytes, sha256 ${actual})`,
            time: now,
          });
          return { meta, revision, url, sha256: actual, size };
        });
        return { charm: toCharm(facts) };
      } finally {
        uploadsInFlight -= reserved;
        await spool?.discard();
      }
    },
  };
}
