// The file descriptors server reflection answers from.
//
// The preferred source is the `buf build` image (gen/ferry.binpb): it carries source
// info, so `grpcurl describe` shows the proto comments. Embedded descriptors from
// generated code fill any gap (e.g. a test server without an image, or a vendored
// file the image lacks) so reflection never answers "not found" for a type the
// server actually uses.
import { create, createFileRegistry, fromBinary, toBinary, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";

export interface DescriptorIndexOptions {
  /** A serialized google.protobuf.FileDescriptorSet (buf build -o x.binpb). */
  image?: Uint8Array;
  /** Embedded descriptors (GenFile from *_pb.ts), added with their dependencies. */
  files?: readonly DescFile[];
}

export class DescriptorIndex {
  readonly #protos = new Map<string, FileDescriptorProto>();
  readonly #encoded = new Map<string, Uint8Array>();
  readonly #registry: FileRegistry;

  constructor(opts: DescriptorIndexOptions) {
    if (opts.image) {
      for (const file of fromBinary(FileDescriptorSetSchema, opts.image).file) {
        if (!this.#protos.has(file.name)) this.#protos.set(file.name, file);
      }
    }
    for (const file of opts.files ?? []) this.#addEmbedded(file);
    // Building the registry resolves every import and type reference, so a broken
    // or incomplete image fails here, at server start, not on some client's request.
    this.#registry = createFileRegistry(create(FileDescriptorSetSchema, { file: this.#topological() }));
  }

  /** Names of all files known to the index. */
  get fileNames(): string[] {
    return [...this.#protos.keys()];
  }

  /** Whether `name` is a service this index can describe. */
  hasService(name: string): boolean {
    return this.#registry.getService(name) !== undefined;
  }

  /** The file and all its transitive dependencies, serialized, requested file first. */
  fileByName(name: string): Uint8Array[] | undefined {
    return this.#protos.has(name) ? this.#closure(name) : undefined;
  }

  /**
   * The file defining `symbol` (service, method, message at any nesting depth,
   * enum, extension, or a message's field/oneof), with its dependencies.
   */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const name = this.#fileOfSymbol(symbol.startsWith(".") ? symbol.slice(1) : symbol);
    return name === undefined ? undefined : this.#closure(name);
  }

  /** The file declaring extension `number` of message `typeName`, with its dependencies. */
  fileContainingExtension(typeName: string, number: number): Uint8Array[] | undefined {
    const extendee = this.#registry.getMessage(typeName);
    const ext = extendee && this.#registry.getExtensionFor(extendee, number);
    return ext ? this.#closure(ext.file.proto.name) : undefined;
  }

  /** Extension field numbers known for `typeName`; undefined if the type is unknown. */
  extensionNumbers(typeName: string): number[] | undefined {
    if (!this.#registry.getMessage(typeName)) return undefined;
    const numbers: number[] = [];
    for (const desc of this.#registry) {
      if (desc.kind === "extension" && desc.extendee.typeName === typeName) numbers.push(desc.number);
    }
    return numbers.sort((a, b) => a - b);
  }

  #addEmbedded(file: DescFile): void {
    if (this.#protos.has(file.proto.name)) return;
    this.#protos.set(file.proto.name, file.proto);
    for (const dep of file.dependencies) this.#addEmbedded(dep);
  }

  // createFileRegistry wants every import before the file importing it; mixing an
  // image with embedded files can break the image's own ordering.
  #topological(): FileDescriptorProto[] {
    const out: FileDescriptorProto[] = [];
    const visited = new Set<string>();
    const visit = (name: string) => {
      if (visited.has(name)) return;
      visited.add(name);
      const proto = this.#protos.get(name);
      if (!proto) return; // reported by createFileRegistry as a missing import
      for (const dep of proto.dependency) visit(dep);
      out.push(proto);
    };
    for (const name of this.#protos.keys()) visit(name);
    return out;
  }

  #fileOfSymbol(symbol: string): string | undefined {
    const desc = this.#registry.get(symbol);
    if (desc) return desc.file.proto.name;
    // Members are not registry entries: "pkg.Service.Method", "pkg.Message.field".
    const dot = symbol.lastIndexOf(".");
    if (dot < 0) return undefined;
    const parent = this.#registry.get(symbol.slice(0, dot));
    const member = symbol.slice(dot + 1);
    if (parent?.kind === "service" && parent.methods.some((m) => m.name === member)) {
      return parent.file.proto.name;
    }
    if (
      parent?.kind === "message" &&
      (parent.fields.some((f) => f.name === member) || parent.oneofs.some((o) => o.name === member))
    ) {
      return parent.file.proto.name;
    }
    return undefined;
  }

  // Every answer carries the full dependency closure: clients such as grpcurl build
  // descriptors from what one response contains, and an error detail type
  // (google.rpc.*) must resolve without a second round trip.
  #closure(root: string): Uint8Array[] {
    const order: string[] = [];
    const seen = new Set<string>();
    const queue = [root];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const proto = this.#protos.get(name);
      if (!proto) continue; // unreachable: the registry validated all imports
      order.push(name);
      queue.push(...proto.dependency);
    }
    return order.map((name) => this.#encode(name));
  }

  #encode(name: string): Uint8Array {
    let bytes = this.#encoded.get(name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, this.#protos.get(name)!);
      this.#encoded.set(name, bytes);
    }
    return bytes;
  }
}
