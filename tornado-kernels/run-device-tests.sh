#!/usr/bin/env bash
# The TornadoVM device tests: checks the compile-only API stubs against the SDK (check-api-stubs.sh), builds
# tornado-kernels with its TornadoVM profile, then runs every kernel through a TaskGraph on a TornadoVM device
# (DeviceKernelCheck) and the end-to-end model checks (DeviceModelCheck: logits, chunking, truncation, sessions, greedy
# tokens identical to the CPU with tokens/s of both, MDLM passes, generation through the device SPI). Skips, and says
# so, when TORNADOVM_HOME is not set.
#
# Environment: TORNADOVM_HOME (a TornadoVM SDK, required), JAVA_HOME (a JDK 25), SPECDIFF4J_TORNADO_DEVICE (backend:device,
# default 0:0), SPECDIFF4J_DEVICE_MODEL (a bigger GPT-2 folder for the greedy comparison; default models/demo/target
# when it exists), SPECDIFF4J_MVN_ARGS (extra Maven arguments, e.g. -o).
set -euo pipefail
module="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$module")"

if [[ -z "${TORNADOVM_HOME:-}" ]]; then
  echo "tornado-kernels/run-device-tests.sh: SKIPPED: TORNADOVM_HOME is not set, so there is no TornadoVM SDK to run the device tests on (see tornado-kernels/README.md)."
  exit 0
fi
if [[ ! -f "$TORNADOVM_HOME/tornado-argfile" ]]; then
  echo "tornado-kernels/run-device-tests.sh: TORNADOVM_HOME=$TORNADOVM_HOME holds no tornado-argfile: it is not a TornadoVM SDK." >&2
  exit 1
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# the JDK's signal-chaining library, so that OpenCL drivers cannot take the JVM's signal handlers (see bin/specdiff4j)
jsig="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")/lib/libjsig.so"
if [[ ! -f "$jsig" ]]; then
  echo "tornado-kernels/run-device-tests.sh: $jsig is missing: the device tests need the JDK's signal-chaining library." >&2
  exit 1
fi

status=0
echo "run-device-tests: the compile-only API stubs against the SDK's tornado-api"
"$module/check-api-stubs.sh" || status=1

echo "run-device-tests: building tornado-kernels with the TornadoVM profile"
# shellcheck disable=SC2086
(cd "$root" && ./mvnw -q ${SPECDIFF4J_MVN_ARGS:-} install -pl tornado-kernels -am -DskipTests)

# the module's own jar, not its tests, sources or javadoc jars
jar_of() { find "$root/$1/target" -maxdepth 1 -name "specdiff4j-$1-*.jar" ! -name '*-tests.jar' ! -name '*-sources.jar' ! -name '*-javadoc.jar' | head -n 1; }
classpath="$module/target/tornado/classes:$module/target/tornado/test-classes:$(jar_of engine):$(jar_of tokenizer)"
classpath="$classpath:$(find "$root/engine/target" -maxdepth 1 -name 'specdiff4j-engine-*-tests.jar' | head -n 1)"

device_args=()
[[ -n "${SPECDIFF4J_TORNADO_DEVICE:-}" ]] && device_args=(--device "$SPECDIFF4J_TORNADO_DEVICE")
model="${SPECDIFF4J_DEVICE_MODEL:-$root/models/demo/target}"
model_args=()
[[ -f "$model/config.json" ]] && model_args=(--model "$model" --tokens 64)

# The argfile puts the working directory on the module path: run from an empty one. The checks' temporary files go
# to tmp/ beside it; both are under target/ and deleted at the end.
scratch="$module/target/device-tests"
rm -rf "$scratch"
mkdir -p "$scratch/workdir" "$scratch/tmp"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch/workdir"
run() {
  LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}" "$java" @"$TORNADOVM_HOME/tornado-argfile" \
    -Dtornado.load.annotation.parallel=dev.specdiff4j.tornado.Parallel -Djava.io.tmpdir="$scratch/tmp" \
    -Dtornado.recover.bailout=False -Dtornado.tvm.maxbytecodesize=1048576 \
    -cp "$classpath" "$@"
}
echo "run-device-tests: kernels on the device"
run dev.specdiff4j.tornado.device.DeviceKernelCheck "${device_args[@]}" || status=1
echo "run-device-tests: models on the device"
run dev.specdiff4j.tornado.device.DeviceModelCheck "${device_args[@]}" "${model_args[@]}" || status=1
exit $status
