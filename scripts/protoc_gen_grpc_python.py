"""A protoc plugin (for `buf generate`) that writes grpcio's service stubs
(`*_pb2_grpc.py`) with grpcio-tools, plus an empty `__init__.py` in each
generated package directory so that `ferry.v1` imports as a regular package.

grpcio-tools ships its gRPC generator only inside its bundled protoc, not as a
plugin executable, so this hands the request's descriptors to that protoc
(`--descriptor_set_in`) and returns what it wrote. Run through
scripts/protoc-gen-grpc-python with $PYTHON (the pinned venv of .ci/run).
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = os.path.join(tmp, "descriptors.binpb")
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        args = ["grpc_tools.protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={out}"]
        if request.parameter:
            args[-1] = f"--grpc_python_out={request.parameter}:{out}"
        if protoc.main(args + list(request.file_to_generate)) != 0:
            response.error = "grpc_tools.protoc failed (see its output above)"
        else:
            packages = set()
            for root, _, names in os.walk(out):
                for name in sorted(names):
                    path = os.path.relpath(os.path.join(root, name), out)
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        response.file.add(name=path, content=f.read())
                    packages.add(os.path.dirname(path))
            for pkg in sorted(packages):
                if pkg:
                    response.file.add(name=os.path.join(pkg, "__init__.py"), content="")
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
