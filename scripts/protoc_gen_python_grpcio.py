"""A protoc plugin (for `buf generate`) that writes the whole Python client
with grpcio-tools: messages (`*_pb2.py`), type stubs (`*_pb2.pyi`) and grpcio
service stubs (`*_pb2_grpc.py`), plus an empty `__init__.py` in each generated
package directory so that `ferry.v1` imports as a regular package.

grpcio-tools ships its generators only inside its bundled protoc, not as
plugin executables, so this hands the request's descriptors to that protoc
(`--descriptor_set_in`) in one run and returns what it wrote. Run through
scripts/protoc-gen-python-grpcio with $PYTHON (the pinned venv of .ci/run).
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest, response: plugin_pb2.CodeGeneratorResponse) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = os.path.join(tmp, "descriptors.binpb")
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        grpc_target = f"{request.parameter}:{out}" if request.parameter else out
        args = [
            "grpc_tools.protoc",
            f"--descriptor_set_in={descriptors}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={grpc_target}",
        ]
        if protoc.main(args + list(request.file_to_generate)) != 0:
            response.error = "grpc_tools.protoc failed (see its output above)"
            return
        packages = set()
        for root, dirs, names in os.walk(out):
            dirs.sort()  # a stable order of files in the response
            for name in sorted(names):
                path = os.path.relpath(os.path.join(root, name), out)
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    response.file.add(name=path, content=f.read())
                # Directories of generated code become packages; their parents
                # (gen/python/ferry) are the package's own, hand-written.
                packages.add(os.path.dirname(path))
        for pkg in sorted(p for p in packages if p):
            response.file.add(name=os.path.join(pkg, "__init__.py"), content="")


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    try:
        generate(request, response)
    except Exception as e:  # reported to buf as a plugin error, per the protocol
        response.error = f"protoc-gen-python-grpcio: {e}"
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
